using System.Collections;
using System.Globalization;

namespace HeatmapTools.Engine.Scaling;

/// <summary>
/// -Shard Auto: this task's place among its array's tasks, from what the scheduler hands each task. Slurm job arrays
/// give the task's id and the array's minimum, maximum, step and count (an array 1-31:2 has ids 1, 3, ... 31: the task
/// with id 5 is in place 2 of 16); Kubernetes indexed Jobs give JOB_COMPLETION_INDEX (0..completions-1) and leave the count
/// to the Job spec (HEATMAPTOOLS_SHARD_COUNT, set to its completions) or to -ShardCount. The task in place p (0-based) of
/// N gets exactly the share -Shard (p+1)/N gets.
/// </summary>
public static class SchedulerShard
{
    public const string CountVariable = "HEATMAPTOOLS_SHARD_COUNT";

    /// <summary>The share and where it came from ("Slurm array task 5 of 1-31:2"), for -Verbose.</summary>
    public static (Shard Shard, string Source) FromEnvironment(IDictionary environment, int? count)
    {
        string? Get(string name) => environment[name] as string is { Length: > 0 } v ? v.Trim() : null;
        long? Number(string name)
        {
            var text = Get(name);
            if (text is null) return null;
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n
                : throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument, $"-Shard Auto: {name} is '{text}', not a whole number.", name);
        }

        if (Number("SLURM_ARRAY_TASK_ID") is long id)
        {
            long min = Number("SLURM_ARRAY_TASK_MIN") ?? 0, max = Number("SLURM_ARRAY_TASK_MAX") ?? id, step = Number("SLURM_ARRAY_TASK_STEP") ?? 1;
            long tasks = Number("SLURM_ARRAY_TASK_COUNT") ?? (max - min) / Math.Max(step, 1) + 1;
            // A list such as --array=0,4,9 has no step that maps ids to places; its count and range disagree.
            if (step < 1 || (id - min) % step != 0 || (max - min) / step + 1 != tasks)
                throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument,
                    $"-Shard Auto: this Slurm array (ids {min}..{max}, step {step}, {tasks} tasks, this one {id}) is not an evenly stepped range, so a task's place " +
                    "among the tasks cannot be told from its id. Submit a range (--array=0-9 or 1-31:2), or give each task -Shard k/N.", "SLURM_ARRAY_TASK_ID");
            var shard = Checked((int)((id - min) / step) + 1, tasks);
            return (shard, $"Slurm array task {id} of {min}-{max}{(step > 1 ? $":{step}" : "")} (job {Get("SLURM_ARRAY_JOB_ID") ?? "?"})");
        }
        if (Number("JOB_COMPLETION_INDEX") is long index)
        {
            long? tasks = count ?? Number(CountVariable);
            if (tasks is null)
                throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument,
                    $"-Shard Auto: JOB_COMPLETION_INDEX is {index} (a Kubernetes indexed Job) but nothing says how many tasks there are. Set {CountVariable} " +
                    "in the Job's container to its completions, or give -ShardCount.", "JOB_COMPLETION_INDEX");
            if (index < 0 || index >= tasks)
                throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument,
                    $"-Shard Auto: JOB_COMPLETION_INDEX {index} is not below the task count {tasks}.", "JOB_COMPLETION_INDEX");
            return (Checked((int)index + 1, tasks.Value), $"Kubernetes completion index {index} of {tasks}");
        }
        throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument,
            "-Shard Auto found no scheduler task: it reads SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, SLURM_ARRAY_TASK_STEP and " +
            $"SLURM_ARRAY_TASK_COUNT (sbatch --array), or JOB_COMPLETION_INDEX with {CountVariable} or -ShardCount (a Kubernetes indexed Job), and none is set. " +
            "Outside a scheduler give -Shard k/N.", "Auto");
    }

    private static Shard Checked(int place, long count) =>
        count is >= 1 and <= Shard.MaxCount ? new Shard(place, (int)count)
            : throw new HeatmapToolsException(ErrorIds.ShardInvalid, ErrorKind.InvalidArgument, $"-Shard Auto: {count} tasks is not between 1 and {Shard.MaxCount:N0}.", "Auto");
}
