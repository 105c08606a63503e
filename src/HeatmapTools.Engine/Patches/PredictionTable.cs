namespace HeatmapTools.Engine.Patches;

/// <summary>One row of a table of predictions: a classified patch file and its classes' probabilities as written.</summary>
public sealed record PredictionRow(string Path, string Probabilities, string Source);

/// <summary>How a table of predictions (Get-ClassPrediction's Export-Csv) is told from a patch table.</summary>
public static class PredictionTable
{
    /// <summary>The column that holds every class's probability (ClassPrediction.ClassProbabilities).</summary>
    public const string ProbabilitiesColumn = "ClassProbabilities";
}
