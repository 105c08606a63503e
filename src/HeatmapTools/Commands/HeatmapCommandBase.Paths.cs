using System.Management.Automation;

namespace HeatmapTools.Commands;

/// <summary>How every cmdlet turns -Path and -LiteralPath into file system paths.</summary>
public abstract partial class HeatmapCommandBase
{
    /// <summary>
    /// Resolves wildcard or literal PowerShell paths to file system paths (files, and folders when <paramref name="folders"/>);
    /// a path that matches nothing is an error for that path. The one path resolver of every cmdlet.
    /// </summary>
    protected IEnumerable<string> ResolveFiles(string[]? paths, bool literal, bool folders = false)
    {
        // A slide's tile (Get-SlideTile's Path) names a region of an existing slide, not a file.
        bool Exists(string p) => File.Exists(p) || (folders && Directory.Exists(p)) || Engine.Slides.SlideTilePath.IsTile(p);
        foreach (var given in paths ?? Array.Empty<string>())
        {
            // A blank line of a list read with Get-Content names nothing (it is not the current folder); a line padded
            // with spaces names the file without them, unless a file of the padded name exists.
            if (string.IsNullOrWhiteSpace(given))
            {
                WriteVerbose("A blank path (an empty line of a list?) names no image; it is skipped.");
                continue;
            }
            string path = given;
            if (given.Trim() != given && !Exists(System.IO.Path.IsPathFullyQualified(given) ? given : GetUnresolvedProviderPathFromPSPath(given)))
                path = given.Trim();
            // Globbing costs far more than a file check, so a path without wildcards is taken literally; an absolute
            // file system path needs no provider at all.
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                string resolved = System.IO.Path.IsPathFullyQualified(path) ? path : GetUnresolvedProviderPathFromPSPath(path);
                if (Exists(resolved)) yield return resolved;
                else WriteError(NotFound(resolved, folders));
                continue;
            }
            List<string> matches;
            try
            {
                matches = GetResolvedProviderPathFromPSPath(path, out var provider).ToList();
                if (provider.Name != "FileSystem") throw new ItemNotFoundException($"'{path}' is not a file system path.");
            }
            catch (ItemNotFoundException)
            {
                WriteError(NotFound(path, folders));
                continue;
            }
            foreach (var match in matches.Where(Exists)) yield return match;
        }
    }

    /// <summary>The files named by whichever of -Path and -LiteralPath this record bound.</summary>
    protected IEnumerable<string> InputFiles(string[]? path, string[]? literalPath)
    {
        // A piped object with a PSPath binds -LiteralPath by property name, and PowerShell then also binds its text to
        // -Path by value; that second binding is the same item stringified, so only the literal path counts.
        if (literalPath is not null && !_pathOnCommandLine) path = null;
        if (path is null && literalPath is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give images with -Path, -LiteralPath or from the pipeline."),
                ErrorIds.NoInput, ErrorCategory.InvalidArgument, null));
        return ResolveFiles(literalPath, literal: true).Concat(ResolveFiles(path, literal: false));
    }

    private static ErrorRecord NotFound(string path, bool folders) =>
        new(new FileNotFoundException($"Cannot find {(folders ? "" : "image ")}'{path}' because it does not exist."), ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound, path);
}
