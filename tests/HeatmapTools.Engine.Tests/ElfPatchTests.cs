using HeatmapTools.ElfPatch;
using Xunit;

namespace HeatmapTools.Engine.Tests;

public class ElfPatchTests
{
    // The unpatched library as NuGet delivered it (the build patches only copies).
    private static string ShippedShim => Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so");

    [Fact]
    public void The_shipped_shim_needs_GLIBCXX_3_4_32_strongly_and_patching_makes_only_that_need_weak()
    {
        if (!OperatingSystem.IsLinux()) return;
        var needs = ElfVersionNeeds.Read(ShippedShim);
        var target = needs.Entries.Single(e => e.Version == "GLIBCXX_3.4.32");
        Assert.False(target.IsWeak);
        Assert.Equal("libstdc++.so.6", target.File);
        int strongBefore = needs.Entries.Count(e => !e.IsWeak);

        var copy = Path.Combine(Directory.CreateTempSubdirectory("hmt-elf").FullName, "lib.so");
        File.Copy(ShippedShim, copy);
        Assert.Equal(1, needs.MarkWeak("GLIBCXX_3.4.32"));
        needs.Save(copy);

        var after = ElfVersionNeeds.Read(copy);
        Assert.True(after.Entries.Single(e => e.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(strongBefore - 1, after.Entries.Count(e => !e.IsWeak));
        Assert.Equal(new FileInfo(ShippedShim).Length, new FileInfo(copy).Length);
    }

    [Fact]
    public void The_system_libstdcxx_is_read_for_the_versions_it_defines()
    {
        if (!OperatingSystem.IsLinux()) return;
        string lib = SystemLibraries.Find("libstdc++.so.6")!;
        Assert.True(ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_3.4.21"));
        Assert.False(ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void The_test_hosts_own_shim_was_patched_only_if_this_system_lacks_the_version()
    {
        if (!OperatingSystem.IsLinux()) return;
        string lib = SystemLibraries.Find("libstdc++.so.6")!;
        bool systemHasIt = ElfVersionNeeds.DefinesVersion(lib, "GLIBCXX_3.4.32");
        string loaded = Path.Combine(AppContext.BaseDirectory, "runtimes/linux-x64/native/libLibTorchSharp.so");
        if (!File.Exists(loaded)) loaded = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        var entry = ElfVersionNeeds.Read(loaded).Entries.Single(e => e.Version == "GLIBCXX_3.4.32");
        Assert.Equal(!systemHasIt, entry.IsWeak);
    }
}
