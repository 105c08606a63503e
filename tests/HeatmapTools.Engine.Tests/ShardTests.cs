using System.Collections;
using HeatmapTools.Engine.Scaling;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>-Shard k/N: every item in exactly one shard, the same on every machine and run.</summary>
public class ShardTests
{
    private static readonly string[] Keys = Enumerable.Range(0, 10_000).Select(i => $"photos/batch{i % 37}/img_{i:D5}.jpg").ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Shards_are_disjoint_and_cover_every_item(int count)
    {
        var shards = Enumerable.Range(1, count).Select(k => new Shard(k, count)).ToList();
        Assert.All(Keys, key => Assert.Single(shards, s => s.Contains(key)));
    }

    [Fact]
    public void Shards_share_the_items_about_evenly()
    {
        var sizes = Enumerable.Range(1, 4).Select(k => Keys.Count(key => new Shard(k, 4).Contains(key))).ToList();
        Assert.All(sizes, n => Assert.InRange(n, 2_200, 2_800));
    }

    [Fact]
    public void The_split_is_XXH64_of_the_UTF8_key_so_every_machine_agrees()
    {
        // The published XXH64 test vectors (seed 0): "" and "abc".
        Assert.Equal((int)(0xEF46DB3751D8E999UL % 7) + 1, Shard.Of("", 7));
        Assert.Equal((int)(0x44BC2CF5AD770999UL % 5) + 1, Shard.Of("abc", 5));
    }

    [Fact]
    public void Images_are_keyed_by_their_full_path_or_their_path_below_the_shard_root()
    {
        string root = Path.Combine(Path.GetTempPath(), "share");
        Assert.Equal(Path.Combine(root, "a", "b.png").Replace('\\', '/'), Shard.ImageKey(Path.Combine(root, "a", "b.png"), null));
        Assert.Equal("a/b.png", Shard.ImageKey(Path.Combine(root, "a", "b.png"), root));
        // The same file seen from another mount point gets the same key below its own root.
        Assert.Equal(Shard.ImageKey(Path.Combine(root, "a", "b.png"), root), Shard.ImageKey("/mnt/other/a/b.png", "/mnt/other"));
        Assert.Null(Shard.ImageKey("/elsewhere/c.png", root));
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("2")]
    [InlineData("1/100001")]
    public void Malformed_shards_are_refused_with_ShardInvalid(string text)
    {
        var error = Assert.Throws<HeatmapToolsException>(() => Shard.Parse(text));
        Assert.Equal(ErrorIds.ShardInvalid, error.ErrorId);
        Assert.Equal(new Shard(2, 3), Shard.Parse(" 2 / 3 "));
    }
}

/// <summary>-Shard Auto: a scheduler task's place among its array's tasks, the share -Shard (place+1)/N gets.</summary>
public class SchedulerShardTests
{
    private static Hashtable Slurm(long id, long min, long max, long step, long count) => new()
    {
        ["SLURM_ARRAY_TASK_ID"] = id.ToString(), ["SLURM_ARRAY_TASK_MIN"] = min.ToString(), ["SLURM_ARRAY_TASK_MAX"] = max.ToString(),
        ["SLURM_ARRAY_TASK_STEP"] = step.ToString(), ["SLURM_ARRAY_TASK_COUNT"] = count.ToString(), ["SLURM_ARRAY_JOB_ID"] = "77",
    };

    [Theory]
    [InlineData(0, 3, 1)]   // --array=0-3
    [InlineData(1, 31, 2)]  // --array=1-31:2, 16 tasks
    [InlineData(5, 9, 1)]   // --array=5-9
    [InlineData(10, 100, 10)]
    public void Every_task_of_a_stepped_Slurm_array_gets_its_own_place_and_all_places_are_taken(long min, long max, long step)
    {
        long count = (max - min) / step + 1;
        var places = new List<int>();
        for (long id = min; id <= max; id += step)
        {
            var (shard, source) = SchedulerShard.FromEnvironment(Slurm(id, min, max, step, count), null);
            Assert.Equal((int)count, shard.Count);
            places.Add(shard.Index);
            Assert.Contains($"task {id}", source);
        }
        Assert.Equal(Enumerable.Range(1, (int)count), places);
    }

    [Fact]
    public void A_Slurm_list_array_is_refused_since_a_place_cannot_be_told_from_an_id()
    {
        // --array=0,4,9: Slurm gives min 0, max 9, step 1, count 3.
        var e = Assert.Throws<HeatmapToolsException>(() => SchedulerShard.FromEnvironment(Slurm(4, 0, 9, 1, 3), null));
        Assert.Equal(ErrorIds.ShardInvalid, e.ErrorId);
        Assert.Contains("-Shard k/N", e.Message);
    }

    [Fact]
    public void A_Kubernetes_index_takes_its_count_from_the_job_spec_or_the_parameter()
    {
        var env = new Hashtable { ["JOB_COMPLETION_INDEX"] = "2", [SchedulerShard.CountVariable] = "5" };
        Assert.Equal(new Shard(3, 5), SchedulerShard.FromEnvironment(env, null).Shard);
        Assert.Equal(new Shard(3, 4), SchedulerShard.FromEnvironment(env, 4).Shard);
        var none = Assert.Throws<HeatmapToolsException>(() => SchedulerShard.FromEnvironment(new Hashtable { ["JOB_COMPLETION_INDEX"] = "2" }, null));
        Assert.Contains(SchedulerShard.CountVariable, none.Message);
        Assert.Throws<HeatmapToolsException>(() => SchedulerShard.FromEnvironment(new Hashtable { ["JOB_COMPLETION_INDEX"] = "4" }, 4));
    }

    [Fact]
    public void Outside_a_scheduler_it_names_the_variables_it_looked_for()
    {
        var e = Assert.Throws<HeatmapToolsException>(() => SchedulerShard.FromEnvironment(new Hashtable(), null));
        Assert.Contains("SLURM_ARRAY_TASK_ID", e.Message);
        Assert.Contains("JOB_COMPLETION_INDEX", e.Message);
    }
}

/// <summary>Threads follow what the process was given: a Slurm task's CPUs, never the whole node.</summary>
public class CpuAllocationTests
{
    [Fact]
    public void A_Slurm_task_computes_with_its_own_CPUs_and_an_explicit_setting_wins()
    {
        Assert.Equal(new CpuAllocation(2, "SLURM_CPUS_PER_TASK"), CpuAllocation.Detect(new Hashtable { ["SLURM_CPUS_PER_TASK"] = "2", ["SLURM_JOB_ID"] = "9" }, 64));
        Assert.Equal(new CpuAllocation(3, "SLURM_JOB_CPUS_PER_NODE"), CpuAllocation.Detect(new Hashtable { ["SLURM_JOB_CPUS_PER_NODE"] = "3(x2)", ["SLURM_JOB_ID"] = "9" }, 64));
        Assert.Equal(new CpuAllocation(1, CpuAllocation.ThreadsVariable), CpuAllocation.Detect(new Hashtable { [CpuAllocation.ThreadsVariable] = "1", ["SLURM_CPUS_PER_TASK"] = "2" }, 64));
        // Never more than the cores the process may use.
        Assert.Equal(4, CpuAllocation.Detect(new Hashtable { ["SLURM_CPUS_PER_TASK"] = "16" }, 4).Threads);
        Assert.Equal(8, CpuAllocation.Detect(new Hashtable(), 8).Threads);
    }
}
