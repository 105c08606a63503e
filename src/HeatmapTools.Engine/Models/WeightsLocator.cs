namespace HeatmapTools.Engine.Models;

/// <summary>Where a model's weights come from, in the documented order.</summary>
public sealed record WeightsRequest(
    string Model,
    string? WeightsPath = null,
    bool Random = false,
    int? Seed = null,
    bool Offline = false,
    int NumClasses = 1000,
    string? BaseDirectory = null);

/// <summary>
/// Finds weights: an explicit file, then each folder of HEATMAPTOOLS_MODEL_PATH, then the user cache, then (when
/// allowed) torchvision's official checkpoint downloaded into the cache. Failing, it names every place it looked.
/// </summary>
public static class WeightsLocator
{
    public const string ModelPathVariable = "HEATMAPTOOLS_MODEL_PATH";
    public const string OfflineVariable = "HEATMAPTOOLS_OFFLINE";
    public const string CacheVariable = "HEATMAPTOOLS_CACHE";

    public static string CacheDirectory
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable(CacheVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return overridden;
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "HeatmapTools", "Cache");
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = string.IsNullOrWhiteSpace(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "HeatmapTools");
        }
    }

    /// <summary>
    /// HEATMAPTOOLS_MODEL_PATH's folders, then the cache. A relative folder is taken relative to
    /// <paramref name="baseDirectory"/> (the cmdlets pass PowerShell's current location, which is not the process's).
    /// </summary>
    public static IEnumerable<string> SearchFolders(string? baseDirectory = null)
    {
        var list = Environment.GetEnvironmentVariable(ModelPathVariable);
        if (!string.IsNullOrWhiteSpace(list))
            foreach (var folder in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                yield return baseDirectory is null ? folder : Path.GetFullPath(folder, baseDirectory);
        yield return CacheDirectory;
    }

    public static bool OfflineByEnvironment =>
        Native.EnvironmentSettings.Flag(OfflineVariable);

    /// <summary>Returns the weights file to load, downloading it if that is allowed and nothing local exists.</summary>
    public static string Locate(WeightsRequest request, CancellationToken cancellation)
    {
        var info = ModelCatalog.Get(request.Model);
        if (request.WeightsPath is { } explicitPath)
        {
            if (File.Exists(explicitPath)) return Path.GetFullPath(explicitPath);
            throw new HeatmapToolsException(ErrorIds.WeightsNotFound, ErrorKind.ObjectNotFound,
                $"Weights file '{explicitPath}' does not exist.", explicitPath);
        }

        var tried = new List<string>();
        foreach (var folder in SearchFolders(request.BaseDirectory))
        {
            foreach (var candidate in CandidateNames(info))
            {
                var path = Path.Combine(folder, candidate);
                tried.Add(path);
                if (File.Exists(path)) return path;
            }
        }

        bool offline = request.Offline || OfflineByEnvironment;
        if (!offline && info.OfficialFileName is not null && request.NumClasses == 1000)
        {
            if (File.Exists(CacheDirectory))
                throw new HeatmapToolsException(ErrorIds.CacheUnusable, ErrorKind.InvalidArgument,
                    $"The download cache '{CacheDirectory}' is a file, not a folder; point {CacheVariable} at a folder (or unset it).", CacheDirectory);
            var url = DownloadBase() + info.OfficialFileName;
            var destination = Path.Combine(CacheDirectory, info.OfficialFileName);
            CheckpointDownloader.Download(new Uri(url), destination, info.OfficialHashPrefix, cancellation);
            return destination;
        }

        string why = offline ? "Downloading is off (-Offline or HEATMAPTOOLS_OFFLINE=1)." :
            request.NumClasses != 1000 ? $"A {request.NumClasses}-class head has no official checkpoint." : "No official checkpoint is known.";
        throw new HeatmapToolsException(ErrorIds.WeightsNotFound, ErrorKind.ObjectNotFound,
            $"No weights for '{info.Name}'. Looked for: {string.Join("; ", tried)}. {why} " +
            $"Pass -WeightsPath <file> (.safetensors, PyTorch state_dict .pth, or TorchSharp .dat), put the file in a folder " +
            $"listed in {ModelPathVariable}, or use -Weights Random -Seed <n> for a seeded random model.", info.Name);
    }

    public static IEnumerable<string> CandidateNames(ArchitectureInfo info)
    {
        yield return info.Name + ".safetensors";
        yield return info.Name + ".pth";
        if (info.OfficialFileName is not null) yield return info.OfficialFileName;
    }

    public static string DownloadBase()
    {
        var overridden = Environment.GetEnvironmentVariable(ModelCatalog.DownloadBaseEnvironmentVariable);
        var value = string.IsNullOrWhiteSpace(overridden) ? ModelCatalog.OfficialDownloadBase : overridden;
        return value.EndsWith('/') ? value : value + "/";
    }
}
