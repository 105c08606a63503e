using TorchSharp;
using static TorchSharp.torch;
using static HeatmapTools.Engine.Native.HeldScalars;

namespace HeatmapTools.Engine.Trust;

/// <summary>
/// ROAD's noisy linear imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
/// Methods", as pytorch-grad-cam's <c>NoisyLinearImputer</c>): every removed pixel becomes the weighted mean of its eight
/// neighbours (1/6 straight, 1/12 diagonal, renormalised at the border), removed neighbours included, which is one sparse
/// linear system per channel; then noise is added to the removed pixels.
/// </summary>
/// <remarks>
/// pytorch-grad-cam factorises the sparse matrix (SciPy's spsolve). The system is symmetric positive definite wherever a
/// kept pixel exists, so here it is solved by conjugate gradients on the pixel grid, the stencil applied as a 3x3
/// convolution, all images and channels of a batch at once. Large removed regions make plain CG slow to carry values
/// inwards, so it starts from the same problem solved at half the resolution (recursively), which leaves mostly local
/// error for CG to remove. It runs in float64: the system's condition number grows with the removed region, and float32
/// rounding alone kept CG from reaching the direct solve. Its hundreds of thousands of elementwise calls take their Scalars
/// from <see cref="Native.HeldScalars"/> (no <c>a + b</c>, no bare numbers): ROAD runs beside other threads' work.
/// </remarks>
internal static class NoisyLinearImputer
{
    private const double Straight = 1.0 / 6, Diagonal = 1.0 / 12;

    /// <summary>
    /// Relative residual at which the float64 CG stops. At 1e-7 the imputed pixels are the direct solve's to within float32
    /// rounding, so ROAD scores match pytorch-grad-cam's to 1e-5 on any CPU; float32 CG stopped at 1e-5 left them 2.5e-4 apart.
    /// </summary>
    internal static double Tolerance { get; set; } = 1e-7;

    /// <summary>Where the float32 first pass stops and the float64 one takes over.</summary>
    private const double FirstTolerance = 1e-5;

    /// <param name="images">B x C x H x W.</param>
    /// <param name="kept">B x H x W, 1 where the pixel stays and 0 where it is imputed.</param>
    public static Tensor Impute(Tensor images, Tensor kept, double noise, Generator? random, CancellationToken cancellation)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var x = images.to_type(ScalarType.Float64).reshape(b * c, 1, h, w);
        var known = kept.to_type(ScalarType.Float64).unsqueeze(1).expand(b, c, h, w).reshape(b * c, 1, h, w).contiguous();
        var x32 = x.to_type(ScalarType.Float32);
        var known32 = known.to_type(ScalarType.Float32);
        // One image's channels at a time: a few planes stay in cache through the iterations, which made the same
        // solves several times faster than all of a batch's planes at once.
        var filled = cat(Enumerable.Range(0, (int)b).Select(i =>
        {
            var planes = TensorIndex.Slice(i * c, (i + 1) * c);
            // Most of the work in float32 (multigrid start, CG to 1e-5), then CG in float64 from there to the tolerance:
            // float32 alone cannot reach the direct solve. Bench "trust", ROAD line, squeezenet1_1 / resnet50, seconds:
            // float32 only 6.0 / 6.6, float64 throughout 9.5 / 12.0, this 6.6 / 9.2 (with held Scalars and in-place sums,
            // 4.5 / 8.9 against 5.7 / 9.2 before them, median of 3 each, back to back).
            var rough = Solve(x32[planes], known32[planes].contiguous(), FirstTolerance, cancellation).to_type(ScalarType.Float64);
            var k = known[planes].contiguous();
            var u = Complement(k);
            return (x[planes] * k).add(Refine(x[planes], k, u, rough * u, Tolerance, cancellation) * u, One);
        }).ToArray());
        if (noise != 0)
        {
            using var amount = noise.ToScalar();
            filled = filled.add(randn(filled.shape, ScalarType.Float32, generator: random).to_type(ScalarType.Float64).mul(amount) * Complement(known), One);
        }
        return filled.reshape(b, c, h, w).to_type(images.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>x with its unknown pixels (known = 0) replaced by the solution; N x 1 x H x W.</summary>
    private static Tensor Solve(Tensor x, Tensor known, double tolerance, CancellationToken cancellation)
    {
        long h = x.shape[2], w = x.shape[3];
        var unknown = Complement(known);
        Tensor start;
        if (h >= 16 && w >= 16)
        {
            // The coarse problem: a coarse pixel is known when any of its four is, with their mean.
            var weight = nn.functional.avg_pool2d(known, 2, ceil_mode: true);
            var coarseKnown = weight.gt(Of(0L)).to_type(x.dtype);
            var coarse = nn.functional.avg_pool2d(x * known, 2, ceil_mode: true) / weight.clamp_min(Of(1e-12)) * coarseKnown;
            var solved = Solve(coarse, coarseKnown, tolerance, cancellation);
            start = nn.functional.interpolate(solved, new long[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: false) * unknown;
        }
        else
        {
            start = zeros_like(x);
        }
        return (x * known).add(Refine(x, known, unknown, start, tolerance, cancellation) * unknown, One);
    }

    /// <summary>1 - t.</summary>
    private static Tensor Complement(Tensor t) => t.neg().add_(One, One);

    /// <summary>Conjugate gradients for the unknown pixels from a first guess.</summary>
    private static Tensor Refine(Tensor x, Tensor known, Tensor unknown, Tensor u, double tolerance, CancellationToken cancellation)
    {
        long h = x.shape[2], w = x.shape[3];
        // The stencil as shifted sums of the zero-padded plane: libtorch has no fast float64 convolution, and float64 is
        // what makes the solve the direct solve's to 1e-7 (float32 CG left ROAD scores 2.5e-4 off on logits near 20).
        Tensor Neighbours(Tensor t)
        {
            var padded = nn.functional.pad(t, new long[] { 1, 1, 1, 1 });
            Tensor At(int dy, int dx) => padded[.., .., TensorIndex.Slice(1 + dy, 1 + dy + h), TensorIndex.Slice(1 + dx, 1 + dx + w)];
            var straight = At(-1, 0).add(At(1, 0), One).add_(At(0, -1), One).add_(At(0, 1), One);
            var diagonal = At(-1, -1).add(At(-1, 1), One).add_(At(1, -1), One).add_(At(1, 1), One);
            return straight.mul_(Of(Straight)).add_(diagonal, Of(Diagonal));
        }
        // Weights of the neighbours inside the image: 1 inside, less at edges and corners.
        var inside = Neighbours(ones(1, 1, h, w, x.dtype));
        Tensor Apply(Tensor v) => (inside * v - Neighbours(v)) * unknown;

        var rhs = Neighbours(x * known) * unknown;
        u = u.clone();
        var r = rhs - Apply(u);
        var p = r.clone();
        var dims = new long[] { 1, 2, 3 };
        var rr = (r * r).sum(dims, keepdim: true);
        var stop = (rhs * rhs).sum(dims, keepdim: true).mul_(Of(tolerance * tolerance));
        var tiny = Of(x.dtype == ScalarType.Float64 ? 1e-300 : 1e-30);
        var zero = Of(0L);
        for (int i = 0; i < 20_000; i++)
        {
            if (i % 25 == 0)
            {
                cancellation.ThrowIfCancellationRequested();
                if ((rr <= stop).all().item<bool>()) break;
            }
            using var step = NewDisposeScope();
            var ap = Apply(p);
            var pap = (p * ap).sum(dims, keepdim: true);
            // A system with nothing (left) to solve has p = 0: its step is 0 rather than 0 / 0.
            var alpha = where(pap.gt(zero), rr / pap.clamp_min(tiny), zeros_like(pap));
            u.addcmul_(alpha, p, One);
            r.sub_(alpha * ap);
            var next = (r * r).sum(dims, keepdim: true);
            var beta = where(rr.gt(zero), next / rr.clamp_min(tiny), zeros_like(rr));
            p.mul_(beta).add_(r, One);
            rr.copy_(next);
        }
        return u;
    }
}
