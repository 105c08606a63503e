namespace HeatmapTools;

/// <summary>How Integrated Gradients approximates its path integral (Captum's <c>method</c>).</summary>
public enum IntegrationMethod
{
    /// <summary>Gauss-Legendre quadrature on [0, 1] (Captum's default, <c>gausslegendre</c>).</summary>
    GaussLegendre,
    /// <summary>n equal steps, the gradient at each step's left end.</summary>
    RiemannLeft,
    /// <summary>n equal steps, the gradient at each step's right end.</summary>
    RiemannRight,
    /// <summary>n equal steps, the gradient at each step's middle.</summary>
    RiemannMiddle,
    /// <summary>n points from 0 to 1, the end points at half weight (Captum's <c>riemann_trapezoid</c>: each weight 1/n).</summary>
    RiemannTrapezoid,
}

/// <summary>What an attribution compares the image with: the input with its information taken away.</summary>
public enum AttributionBaseline
{
    /// <summary>Zero in the network's input space: after ImageNet normalisation, the mean colour (Captum's baselines=0).</summary>
    Zero,
    /// <summary>The input blurred (11 x 11 Gaussian, sigma 5, zeros outside), as the insertion curve starts.</summary>
    Blur,
    /// <summary>
    /// Uniform noise between the input's smallest and largest value at the network input, each value drawn on its own
    /// (-TunnelSeed seeds it: the same pattern for every image, so a map is made again exactly).
    /// </summary>
    Uniform,
    /// <summary>The image -BaselineImage names, prepared for the network as the input is (a black frame, a reference slide tile).</summary>
    Image,
}

/// <summary>Which attributions a picture shows (Captum's visualize_image_attr <c>sign</c>).</summary>
public enum AttributionSign
{
    /// <summary>The magnitude, whichever way it points (Captum's default).</summary>
    AbsoluteValue,
    /// <summary>Only what speaks for the target.</summary>
    Positive,
    /// <summary>Only what speaks against it.</summary>
    Negative,
    /// <summary>Both ways, -1 at 0 and +1 at 1 of the map (0.5 is no attribution).</summary>
    All,
}

/// <summary>How an attribution is combined over noisy copies of the input (Captum's NoiseTunnel <c>nt_type</c>).</summary>
public enum NoiseTunnel
{
    /// <summary>The attribution of the input itself.</summary>
    None,
    /// <summary>The mean of the copies' attributions (Smilkov et al. 2017, SmoothGrad; Captum's <c>smoothgrad</c>).</summary>
    SmoothGrad,
    /// <summary>The mean of their squares (Hooker et al. 2019; Captum's <c>smoothgrad_sq</c>).</summary>
    SmoothGradSquared,
    /// <summary>Their variance (Adebayo et al. 2018, VarGrad; Captum's <c>vargrad</c>).</summary>
    VarGrad,
}
