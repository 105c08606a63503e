using HeatmapTools.Engine.Native;
using System.Collections.Concurrent;
using HeatmapTools.Engine.IO;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>What drawing hands back, in order: each patient's result, then the montage if one was asked for and written.</summary>
public abstract record PatchGridOutput;
/// <summary>One patient: its result, or the error that stopped it with its patch counts (Value) still given.</summary>
public sealed record PatientDrawn(ItemResult<PatientResult> Item) : PatchGridOutput;
public sealed record MontageWritten(MontageResult Montage) : PatchGridOutput;

/// <summary>
/// Which patients to draw. <c>Limit</c> caps the final list: a montage-only run draws only the patients its panels
/// show, where drawing the others would decode their patches for nothing (all 279 IDC patients for a 5x3 grid).
/// </summary>
/// <param name="Shard">This node's share of the selected patients (-Shard k/N): the union over all shards is the unsharded selection.</param>
public sealed record PatientSelection(IReadOnlyList<string>? PatientIds = null, int? First = null, int? Random = null, int? Seed = null, int? Limit = null,
    Scaling.Shard? Shard = null);

public sealed record MontageResult(string Path, IReadOnlyList<string> PatientIds, int Rows, int Columns, int Width, int Height);

/// <summary>
/// Draws every selected patient on a bounded pool of workers (one canvas each at a time) and hands results back
/// in selection order as they finish; then, if asked, lays the selected patients' panels out as a rows x columns montage.
/// </summary>
public static class PatchGridJob
{
    public static IReadOnlyList<PatientPatches> Select(Dictionary<string, PatientPatches> patients, PatientSelection selection)
    {
        IEnumerable<PatientPatches> chosen;
        if (selection.PatientIds is { Count: > 0 } ids)
        {
            var missing = ids.Where(id => !patients.ContainsKey(id)).ToList();
            if (missing.Count > 0)
                throw new HeatmapToolsException(ErrorIds.PatientNotFound, ErrorKind.ObjectNotFound,
                    $"No patches for patient(s) {string.Join(", ", missing)}. Patients present: {string.Join(", ", patients.Keys.Order().Take(20))}{(patients.Count > 20 ? ", ..." : "")}.", missing);
            chosen = ids.Select(id => patients[id]);
        }
        else
        {
            chosen = patients.Values.OrderBy(p => p.PatientId, NaturalComparer.Instance);
        }
        if (selection.Random is int count)
        {
            var rng = selection.Seed is int seed ? new Random(seed) : new Random();
            chosen = chosen.OrderBy(_ => rng.Next()).Take(count).OrderBy(p => p.PatientId, NaturalComparer.Instance);
        }
        if (selection.First is int first) chosen = chosen.Take(first);
        if (selection.Limit is int limit) chosen = chosen.Take(limit);
        if (selection.Shard is { } shard) chosen = chosen.Where(p => shard.Contains(p.PatientId));
        return chosen.ToList();
    }

    /// <summary>Lowest and highest probability over the patients' patches; null when none has one.</summary>
    public static (double Min, double Max)? ProbabilityRange(IEnumerable<PatientPatches> patients)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var patch in patients.SelectMany(p => p.Patches))
            if (patch.Probability is double value) (min, max) = (Math.Min(min, value), Math.Max(max, value));
        return min <= max ? (min, max) : null;
    }

    /// <summary>Renders patients in parallel and yields the results on the caller's thread, in selection order, each as soon as it and those before it are done.</summary>
    /// <summary>The montage, or null when it could not be written: that is an error of its own, and the patients' results stand.</summary>
    private static MontageResult? MontageOf(List<PatientResult> done, IReadOnlyList<PatientPatches> approved, PatchGridOptions options, IRunListener listener)
    {
        try
        {
            return WriteMontage(done, approved, options);
        }
        catch (HeatmapToolsException ex)
        {
            listener.ItemFailed(ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            listener.ItemFailed(new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError,
                $"Could not write the montage '{MontageFile(options)}': {ex.Message}", MontageFile(options), ex));
        }
        return null;
    }

    /// <summary>
    /// Draws the approved patients, yielding each result in selection order, then the montage; panels and other native images are released however the enumeration ends
    /// (finished, failed, or stopped). With <paramref name="kindsNamed"/> (-Kind given), a run that could draw none of
    /// them says so.
    /// </summary>
    public static IEnumerable<PatchGridOutput> Draw(IReadOnlyList<PatientPatches> approved, PatchGridOptions options, bool kindsNamed, IRunListener listener,
        CancellationToken cancellation)
    {
        var done = new List<PatientResult>();
        try
        {
            foreach (var item in Render(approved, options, cancellation))
            {
                if (item.Error is null && item.Value is { } result) done.Add(result);
                yield return new PatientDrawn(item);
            }
            if (kindsNamed && done.Count > 0 && done.All(r => r.Files.Count == 0 && !r.Problems.Any(p => p.ErrorId == ErrorIds.OutputExists)))
                listener.Warning($"No patient had the data for -Kind {string.Join(", ", options.Images)}, so nothing was written: probabilities (and the confusion map) " +
                    "need a probability column from -CsvPath or Import-Csv rows; the tissue needs patch images; the CAM mosaic needs New-CamHeatmap results.");
            if (options.Confusion && options.Images.OfType<ImageKinds.ConfusionImage>().Any() && done.Count > 0 && done.All(r => r.Confusion is null))
                listener.Warning("No confusion map was drawn: it needs each patch's true class and a probability, and no patient had both. " +
                    "Give probabilities with -CsvPath (a probability column), Import-Csv rows, or Get-ClassPrediction results.");
            if (options.Montage && MontageOf(done, approved, options, listener) is { } montage) yield return new MontageWritten(montage);
        }
        finally
        {
            ReleasePanels(done);
        }
    }

    public static IEnumerable<ItemResult<PatientResult>> Render(IReadOnlyList<PatientPatches> patients, PatchGridOptions options, CancellationToken cancellation)
    {
        Runtime.EnsureImaging();
        if (options.WritePatients) AtomicFile.CreateFolder(options.OutputDirectory);
        var cohortRange = options.CohortRange ?? ProbabilityRange(patients);
        var panelIds = options.Montage ? patients.Take(options.Rows * options.Columns).Select(p => p.PatientId).ToHashSet() : new HashSet<string>();

        using var queue = new BlockingCollection<(int Index, ItemResult<PatientResult> Result)>(boundedCapacity: Math.Max(2, options.ThrottleLimit * 2));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Exception? failure = null;
        var producer = Task.Run(() =>
        {
            try
            {
                // Patients are handed out one at a time in selection order, so results come back nearly in order and
                // the reordering below holds only a few of them.
                var order = Partitioner.Create(Enumerable.Range(0, patients.Count), EnumerablePartitionerOptions.NoBuffering);
                Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.ThrottleLimit), CancellationToken = linked.Token },
                    i => queue.Add((i, RenderIsolated(patients[i], options, cohortRange, panelIds.Contains(patients[i].PatientId), linked.Token)), linked.Token));
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        // Results are handed back in selection order (reproducible output, e.g. for Export-Csv), each as soon as it
        // and every patient before it are done.
        var early = new Dictionary<int, ItemResult<PatientResult>>();
        int next = 0;
        try
        {
            foreach (var (index, result) in queue.GetConsumingEnumerable(cancellation))
            {
                early[index] = result;
                while (early.Remove(next, out var ready))
                {
                    next++;
                    yield return ready;
                }
            }
        }
        finally
        {
            linked.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
            // Panels not yet handed over are released here.
            foreach (var left in early.Values) left.Value?.Panel?.Dispose();
            while (queue.TryTake(out var left)) left.Result.Value?.Panel?.Dispose();
        }
        if (failure is OperationCanceledException || cancellation.IsCancellationRequested) throw new OperationCanceledException(cancellation);
        if (failure is AggregateException { InnerExceptions: [var inner] }) throw inner;
        if (failure is not null) throw failure;
    }

    /// <summary>
    /// One patient, whatever goes wrong with it: a failure (a canvas over budget, a decoder limit, memory, a path the
    /// file system refuses) becomes that patient's error, with its counts kept, and the other patients are drawn. Only
    /// cancellation stops the run.
    /// </summary>
    private static ItemResult<PatientResult> RenderIsolated(PatientPatches patient, PatchGridOptions options, (double Min, double Max)? cohortRange,
        bool wantPanel, CancellationToken cancellation)
    {
        try
        {
            return new ItemResult<PatientResult>(patient.PatientId, PatientRenderer.Render(patient, options, cohortRange, wantPanel, cancellation), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var error = ex is HeatmapToolsException known ? known
                : ex is IOException or UnauthorizedAccessException
                ? new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError,
                    $"Patient {Shorten(patient.PatientId)}'s images could not be written: {ex.Message}", Shorten(patient.PatientId), ex)
                : new HeatmapToolsException(ErrorIds.PatientFailed, ErrorKind.NotSpecified,
                    $"Patient {Shorten(patient.PatientId)} could not be drawn ({ex.GetType().Name}): {ex.Message}", Shorten(patient.PatientId), ex);
            var counts = new PatientResult(patient.PatientId, patient.Patches.Count, patient.PositiveCount, patient.PositiveFraction, 0, 0,
                Array.Empty<string>(), patient.Problems.ToList(), null, null, null);
            return new ItemResult<PatientResult>(patient.PatientId, counts, error);
        }
    }

    /// <summary>A patient id as messages show it: a 5 MB id would drown the message.</summary>
    internal static string Shorten(string id) => id.Length <= 80 ? id : id[..77] + $"... ({id.Length:N0} characters)";

    /// <summary>Lays panels out row by row in the selection's order and writes the montage atomically; disposes the panels.</summary>
    public static MontageResult WriteMontage(IReadOnlyList<PatientResult> results, IReadOnlyList<PatientPatches> selectionOrder, PatchGridOptions options)
    {
        var rank = selectionOrder.Select((p, i) => (p.PatientId, i)).ToDictionary(t => t.PatientId, t => t.i);
        var panels = results.Where(r => r.Panel is not null).OrderBy(r => rank.GetValueOrDefault(r.PatientId, int.MaxValue))
            .Take(options.Rows * options.Columns).ToList();
        try
        {
            int panelWidth = options.PanelSize, panelHeight = options.PanelSize + 24, gap = 6;
            int rows = Math.Max(1, Math.Min(options.Rows, (panels.Count + options.Columns - 1) / Math.Max(1, options.Columns)));
            int width = options.Columns * panelWidth + (options.Columns + 1) * gap, height = rows * panelHeight + (rows + 1) * gap;
            using var montage = new Mat(height, width, MatType.CV_8UC3, new Scalar(255, 255, 255));
            for (int i = 0; i < panels.Count; i++)
            {
                int row = i / options.Columns, column = i % options.Columns;
                var at = new Rect(gap + column * (panelWidth + gap), gap + row * (panelHeight + gap), panelWidth, panelHeight);
                panels[i].Panel!.CopyTo(montage[at]);
            }
            string path = MontageFile(options);
            AtomicFile.Write(path, options.Force, stream => PatientRenderer.Encode(montage, Path.GetExtension(path).TrimStart('.'), stream, "New-PatientPatchGrid; montage"), options.Inputs);
            return new MontageResult(Path.GetFullPath(path), panels.Select(p => p.PatientId).ToList(), rows, options.Columns, width, height);
        }
        finally
        {
            ReleasePanels(results);
        }
    }

    /// <summary>
    /// -MontagePath as a file (its extension picks PNG or JPEG), or as a folder to put montage.png in: one that exists,
    /// ends in a separator, or has no extension (a file without one would be an image nothing opens by name).
    /// </summary>
    internal static string MontageFile(PatchGridOptions options)
    {
        const string DefaultName = "montage.png";
        if (options.MontagePath is not { Length: > 0 } path) return Path.Combine(options.OutputDirectory, DefaultName);
        bool folder = Directory.Exists(path) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Path.GetExtension(path).Length == 0;
        return folder ? Path.Combine(path, DefaultName) : path;
    }

    /// <summary>Frees montage panels still held (after a failure or a stop); safe to call twice.</summary>
    public static void ReleasePanels(IEnumerable<PatientResult> results)
    {
        foreach (var r in results)
            if (r.Panel is { IsDisposed: false } panel) panel.Dispose();
    }
}

/// <summary>Orders "9" before "10" so patient ids that are numbers sort as numbers.</summary>
public sealed class NaturalComparer : IComparer<string>
{
    public static readonly NaturalComparer Instance = new();

    public int Compare(string? a, string? b)
    {
        if (long.TryParse(a, out var x) && long.TryParse(b, out var y)) return x.CompareTo(y);
        return string.CompareOrdinal(a, b);
    }
}
