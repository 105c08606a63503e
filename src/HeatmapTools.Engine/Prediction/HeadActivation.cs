namespace HeatmapTools.Engine.Prediction;

/// <summary>How a head's outputs become probabilities.</summary>
public enum HeadActivation
{
    /// <summary>Decided by the model: None when the graph ends in a softmax, Sigmoid for a one-logit head, else Softmax.</summary>
    Auto,
    /// <summary>One class per image: probabilities sum to 1.</summary>
    Softmax,
    /// <summary>Independent classes (a multi-label head, or one logit: P(positive)).</summary>
    Sigmoid,
    /// <summary>The outputs are probabilities already (the network ends in its own softmax or sigmoid).</summary>
    None,
}
