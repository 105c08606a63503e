namespace HeatmapTools.Engine.Patches;

/// <summary>One patient's de-duplicated patches and the data problems found while gathering them.</summary>
public sealed class PatientPatches
{
    public required string PatientId { get; init; }
    public List<PatchRecord> Patches { get; } = new();
    public List<PatchProblem> Problems { get; } = new();
    public int PositiveCount => Patches.Count(p => p.Target == 1);
    public int LabelledCount => Patches.Count(p => p.Target is not null);
    public double PositiveFraction => LabelledCount == 0 ? 0 : (double)PositiveCount / LabelledCount;
}

/// <summary>
/// Groups records by patient, merging patch files with table rows on (patient, x, y): files give the image and the
/// label, a table adds probabilities (and labels where files have none). Duplicates, a folder class that disagrees
/// with the name, and coordinates off the patch grid are recorded as problems; the first copy of a duplicate is kept.
/// </summary>
public static class PatientGrouping
{
    /// <summary>
    /// The largest x or y accepted: ten million pixels is beyond any slide scanned today, and keeps every size computed
    /// from coordinates far from int overflow (a row at 2^31 once made a patient -2 billion pixels wide).
    /// </summary>
    public const int MaxCoordinate = 10_000_000;

    private static bool OutOfRange(PatchRecord record, PatientPatches patient)
    {
        if (record.Target is not (null or 0 or 1))
        {
            patient.Problems.Add(new PatchProblem(ErrorIds.PatchTargetInvalid, record.PatientId,
                $"Patch '{record.Source}' has class {record.Target}; a patch is class 0 (negative) or 1 (positive). It is left out.", record.Source, false));
            return true;
        }
        if (record.X <= MaxCoordinate && record.Y <= MaxCoordinate && record.X >= -MaxCoordinate && record.Y >= -MaxCoordinate) return false;
        patient.Problems.Add(new PatchProblem(ErrorIds.PatchCoordinateOutOfRange, record.PatientId,
            $"Patch '{record.Source}' at x={record.X} y={record.Y} is beyond the largest coordinate accepted ({MaxCoordinate:N0}); it is left out.",
            record.Source, false));
        return true;
    }

    public static Dictionary<string, PatientPatches> Group(IEnumerable<PatchRecord> files, IEnumerable<PatchRecord> rows,
        int patchSize, GridOrigin origin)
    {
        var patients = new Dictionary<string, PatientPatches>(StringComparer.Ordinal);
        var byKey = new Dictionary<(string, int, int), int>();
        PatientPatches For(string id) => patients.TryGetValue(id, out var p) ? p : patients[id] = new PatientPatches { PatientId = id };
        int offset = origin == GridOrigin.OneBased ? 1 : 0;

        foreach (var record in files)
        {
            var patient = For(record.PatientId);
            if (OutOfRange(record, patient)) continue;
            if (byKey.TryGetValue((record.PatientId, record.X, record.Y), out int existing))
            {
                patient.Problems.Add(new PatchProblem(ErrorIds.PatchDuplicate, record.PatientId,
                    $"Patch x={record.X} y={record.Y} of patient {record.PatientId} appears again at '{record.Source}' (first at '{patient.Patches[existing].Source}'); the copy is ignored.",
                    record.Source, false));
                continue;
            }
            if (record.FolderTarget is int folderClass && record.Target is int nameClass && folderClass != nameClass)
                patient.Problems.Add(new PatchProblem(ErrorIds.PatchClassConflict, record.PatientId,
                    $"'{record.Source}' is in folder class {folderClass} but its name says class {nameClass}; the name's class is used.", record.Source, false));
            CheckGrid(record, patient, patchSize, offset);
            byKey[(record.PatientId, record.X, record.Y)] = patient.Patches.Count;
            patient.Patches.Add(record);
        }

        var fromRows = new HashSet<(string, int, int)>();
        foreach (var row in rows)
        {
            var patient = For(row.PatientId);
            if (OutOfRange(row, patient)) continue;
            var key = (row.PatientId, row.X, row.Y);
            if (!fromRows.Add(key))
            {
                patient.Problems.Add(new PatchProblem(ErrorIds.PatchDuplicate, row.PatientId,
                    $"Row {row.Source} repeats patch x={row.X} y={row.Y} of patient {row.PatientId}; the repeat is ignored.", row.Source, false));
                continue;
            }
            if (byKey.TryGetValue(key, out int index))
            {
                var file = patient.Patches[index];
                patient.Patches[index] = file with { Probability = row.Probability ?? file.Probability, Target = file.Target ?? row.Target, Path = file.Path ?? row.Path };
                continue;
            }
            CheckGrid(row, patient, patchSize, offset);
            byKey[key] = patient.Patches.Count;
            patient.Patches.Add(row);
        }
        return patients;
    }

    private static void CheckGrid(PatchRecord record, PatientPatches patient, int patchSize, int offset)
    {
        int px = record.X - offset, py = record.Y - offset;
        if (px < 0 || py < 0 || px % patchSize != 0 || py % patchSize != 0)
            patient.Problems.Add(new PatchProblem(ErrorIds.PatchOffGrid, record.PatientId,
                $"Patch '{record.Source}' at x={record.X} y={record.Y} is off the {patchSize}-pixel grid (origin {(offset == 1 ? "1-based" : "0-based")}); it is drawn where its coordinates say.",
                record.Source, false));
    }
}
