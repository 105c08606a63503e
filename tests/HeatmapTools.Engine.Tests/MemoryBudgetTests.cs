using HeatmapTools.Engine.Patches.ImageKinds;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Patches;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>One native memory budget for every worker: peak follows the budget, not the input.</summary>
public class MemoryBudgetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hmt-budget").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void A_reservation_waits_while_others_hold_the_budget_and_one_larger_than_it_runs_alone()
    {
        var budget = new MemoryBudget(100);
        Task<MemoryBudget.Lease> held;
        using (budget.Acquire(250, CancellationToken.None))
        {
            // Larger than the whole budget, yet granted: nothing else held. A second one now waits.
            var second = OwnThread.Run(() => budget.Acquire(10, CancellationToken.None));
            Assert.False(second.Wait(300));
            Assert.Equal(250, budget.Used);
            held = second;
        }
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)), "still waiting after the holder left");
        held.Result.Dispose();
        var a = budget.Acquire(60, CancellationToken.None);
        var waiting = OwnThread.Run(() => budget.Acquire(60, CancellationToken.None));
        Assert.False(waiting.Wait(300));
        a.Dispose();
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)), "still waiting after the holder left");
        waiting.Result.Dispose();
        Assert.Equal(250, budget.Peak);
    }

    [Fact]
    public void A_wait_ends_when_cancelled()
    {
        var budget = new MemoryBudget(10);
        using var held = budget.Acquire(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = OwnThread.Run(() => budget.Acquire(5, cancel.Token));
        Assert.False(waiting.Wait(300), "the budget was full, yet the reservation went through");
        cancel.Cancel();
        // Not a timing test: without the token the wait would last as long as the holder (for ever here).
        var error = Assert.Throws<AggregateException>(() => waiting.Wait(TimeSpan.FromSeconds(10)));
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        Assert.Equal(10, budget.Used);
    }

    [Fact]
    public void Four_huge_patients_on_four_workers_stay_within_the_budget_and_are_all_drawn()
    {
        var rows = Enumerable.Range(0, 4).SelectMany(p => new[]
        {
            new PatchRecord($"p{p}", 1, 1, 0, null, "/nonexistent.png", "t"), new PatchRecord($"p{p}", 3951, 3951, 1, null, "/nonexistent.png", "t"),
        }).ToList();
        var patients = PatchGridJob.Select(PatientGrouping.Group(Array.Empty<PatchRecord>(), rows, 50, GridOrigin.OneBased), new PatientSelection());
        // Each 4,000 x 4,000 patient reserves four canvases (192 MB); the budget holds one patient at a time.
        var budget = new MemoryBudget(250L << 20);
        var results = PatchGridJob.Render(patients, new PatchGridOptions { OutputDirectory = _root, ThrottleLimit = 4, Budget = budget, Images = PatientImageKind.Parse(new[] { "Labels" }) },
            CancellationToken.None).Drawn().ToList();
        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.NotEmpty(r.Files));
        Assert.InRange(budget.Peak, 4L * 3 * 4000 * 4000, budget.Capacity);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public void A_huge_JPEG_is_decoded_reduced_for_the_network_and_reported_at_its_own_size()
    {
        string path = Path.Combine(_root, "huge.jpg");
        using (var image = new Mat(6000, 8000, MatType.CV_8UC3, new Scalar(30, 120, 200)))
            Cv2.ImWrite(path, image);
        var budget = new MemoryBudget(1L << 30);
        using (var bgr = ImageReader.ReadBgr(path, budget, 224, CancellationToken.None, out var lease, out int reduction))
        using (lease)
        {
            // 48 megapixels, over the 40-megapixel line: halved, the shorter side (3,000) still well above 2 x 224.
            Assert.Equal(2, reduction);
            Assert.Equal(4000, bgr.Width);
            Assert.True(lease.Bytes < 8L * 4001 * 3001 + 1, $"{lease.Bytes} bytes reserved");
        }
        var prepared = InputBatch.Prepare(new[] { path }, PreprocessOptions.ImageNet(), CancellationToken.None, keepImages: true).Single();
        Assert.Null(prepared.Error);
        Assert.Equal(8000, prepared.Width);
        Assert.Null(prepared.Image);
        // A flat colour survives the reduction exactly: the network input is the same as from the full image.
        using var full = Cv2.ImRead(path);
        var expected = Preprocessor.ToChw(full, PreprocessOptions.ImageNet());
        Assert.Equal(expected[0], prepared.Chw![0], 3);
    }
}
