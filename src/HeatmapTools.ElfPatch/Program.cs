using HeatmapTools.ElfPatch;

// Usage: HeatmapTools.ElfPatch <library.so> <version> [--system-lib <libstdc++.so.6>] [--status] [--always]
// Marks <version> weak in <library.so> when the system library does not define it, or with --always whatever this system
// has: a package built here must load on older systems too, and a weak need is harmless where the symbol exists.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: HeatmapTools.ElfPatch <library.so> <version> [--system-lib <path>] [--status]");
    return 2;
}

string target = args[0];
string version = args[1];
bool statusOnly = args.Contains("--status");
bool always = args.Contains("--always");
int libIndex = Array.IndexOf(args, "--system-lib");
string? systemLib = libIndex >= 0 && libIndex + 1 < args.Length ? args[libIndex + 1] : SystemLibraries.Find("libstdc++.so.6");

bool systemHasIt = systemLib is not null && ElfVersionNeeds.DefinesVersion(systemLib, version);
var needs = ElfVersionNeeds.Read(target);
var matching = needs.Entries.Where(e => e.Version == version).ToList();
bool weak = matching.Count > 0 && matching.All(e => e.IsWeak);

if (statusOnly)
{
    Console.WriteLine($"system-lib={systemLib ?? "(none)"} system-has-version={systemHasIt} needs={matching.Count} weak={weak}");
    return 0;
}

if (matching.Count == 0 || (systemHasIt && !always) || weak)
{
    Console.WriteLine($"{Path.GetFileName(target)}: no change ({(matching.Count == 0 ? "does not need " + version : weak ? "already weak" : "system provides " + version)}).");
    return 0;
}

int changed = needs.MarkWeak(version);
needs.Save(target);
Console.WriteLine($"{Path.GetFileName(target)}: marked {changed} need(s) of {version} weak; " +
    (systemHasIt ? $"{systemLib} has it, but other systems may not." : $"{systemLib ?? "the system libstdc++"} lacks it."));
return 0;
