namespace HeatmapTools.Engine.Attribution;

/// <summary>Settings of the pixel attribution methods, with Captum's names where it has them.</summary>
public sealed record AttributionOptions
{
    /// <summary>Integrated Gradients' points along the path (Captum's n_steps; its default 50).</summary>
    public int Steps { get; init; } = 50;

    public IntegrationMethod Integration { get; init; } = IntegrationMethod.GaussLegendre;

    public AttributionBaseline Baseline { get; init; } = AttributionBaseline.Zero;

    /// <summary>The image file of <see cref="AttributionBaseline.Image"/>.</summary>
    public string? BaselineImagePath { get; init; }

    /// <summary>That image as the network takes it (<see cref="AttributionBaselines.Prepare"/>): set per model, never by hand.</summary>
    public PreparedBaseline? BaselineImage { get; init; }

    /// <summary>Occlusion's square, in network input pixels (Captum's sliding_window_shapes, over every channel).</summary>
    public int Window { get; init; } = 16;

    /// <summary>Occlusion's step between squares (Captum's strides).</summary>
    public int Stride { get; init; } = 8;

    /// <summary>Which attributions the map shows.</summary>
    public AttributionSign Sign { get; init; } = AttributionSign.AbsoluteValue;

    /// <summary>The share of attribution mass above the map's top (Captum's outlier_perc): the map is clipped there.</summary>
    public double OutlierPercent { get; init; } = 2;

    /// <summary>Whether the attribution is taken over noisy copies of the input, and how they are combined.</summary>
    public NoiseTunnel NoiseTunnel { get; init; } = NoiseTunnel.None;

    /// <summary>The noisy copies (Captum's nt_samples).</summary>
    public int TunnelSamples { get; init; } = 20;

    /// <summary>
    /// The noise's standard deviation as a share of the input's range (its largest minus its smallest value at the network
    /// input), as Smilkov et al. give it (they found 10-20 % best); Captum's stdevs is this times the range.
    /// </summary>
    public double TunnelNoise { get; init; } = 0.15;

    /// <summary>Seeds the noise, so a map is made again exactly.</summary>
    public int TunnelSeed { get; init; }

    /// <summary>How many perturbed or interpolated inputs go through the network at once.</summary>
    public int Chunk { get; init; } = 16;
}
