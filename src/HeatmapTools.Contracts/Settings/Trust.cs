namespace HeatmapTools;

/// <summary>What a metric reads off the model: the raw logit of the class (pytorch-grad-cam's ClassifierOutputTarget) or its
/// softmax probability (ClassifierOutputSoftmaxTarget, and what Petsiuk et al.'s deletion and insertion curves plot).</summary>
public enum ScoreKind
{
    Softmax,
    Logit,
}
