using System.Diagnostics;

namespace HeatmapTools.ElfPatch;

/// <summary>Finds the copy of a shared library the dynamic loader would pick, by asking ldconfig's cache.</summary>
public static class SystemLibraries
{
    public static string? Find(string soname)
    {
        foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
        {
            try
            {
                var psi = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                using var process = Process.Start(psi);
                if (process is null) continue;
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                foreach (var line in output.Split('\n'))
                {
                    var trimmed = line.Trim();
                    if (!trimmed.StartsWith(soname + " ", StringComparison.Ordinal) || !trimmed.Contains("x86-64")) continue;
                    int arrow = trimmed.IndexOf("=>", StringComparison.Ordinal);
                    if (arrow > 0) return trimmed[(arrow + 2)..].Trim();
                }
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }
}
