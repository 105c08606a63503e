using System.Text.Json;
using HeatmapTools.Engine.Native;
using HeatmapTools.Engine.Stain;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// Stain normalisation against TIAToolbox's own stainnorm code (tests/reference/make_stain_references.py): three H&amp;E
/// sites re-rendered from a real tissue photo, each method normalising one site to another's stain.
/// </summary>
public class StainParityTests
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "tests", "HeatmapTools.Engine.Tests", "TestData", "stain");

    private static JsonElement Manifest => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json"))).RootElement;

    internal static StainImage Read(string file)
    {
        Runtime.EnsureImaging();
        using var bgr = Cv2.ImRead(Path.Combine(Folder, file), ImreadModes.Color);
        Assert.False(bgr.Empty(), file);
        return StainImage.FromBgr(bgr, file);
    }

    private static double[][] CustomMatrix => Manifest.GetProperty("custom").EnumerateArray()
        .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static IEnumerable<object[]> Pairs() => Manifest.GetProperty("pairs").EnumerateArray()
        .Select(p => new object[] { p.GetProperty("method").GetString()!, p.GetProperty("source").GetString()!, p.GetProperty("target").GetString()!, p.GetProperty("expected").GetString()! });

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Normalised_tile_matches_TIAToolbox(string method, string source, string target, string expected)
    {
        var kind = Enum.Parse<StainMethod>(method, ignoreCase: true);
        var normalizer = StainNormalizer.Fitted(kind, Read(target), kind == StainMethod.Custom ? CustomMatrix : null);
        var result = normalizer.Transform(Read(source));
        var reference = Read(expected);
        int off = 0, worst = 0;
        for (int i = 0; i < result.Rgb.Length; i++)
        {
            int d = Math.Abs(result.Rgb[i] - reference.Rgb[i]);
            if (d > 1) off++;
            worst = Math.Max(worst, d);
        }
        double share = (double)off / result.Rgb.Length;
        Assert.True(share <= 0.005 && worst <= 3, $"{expected}: {share:P3} of values differ by more than 1 grey level (at most 0.5 % allowed), worst {worst} (at most 3).");
    }

    public static IEnumerable<object[]> Augmentations() => Manifest.GetProperty("augment").EnumerateArray()
        .Select(a => new object[] { a.GetProperty("source").GetString()!, a.GetProperty("alpha").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
            a.GetProperty("beta").EnumerateArray().Select(v => v.GetDouble()).ToArray(), a.GetProperty("expected").GetString()! });

    [Theory]
    [MemberData(nameof(Augmentations))]
    public void Augmented_tile_matches_TIAToolbox_StainAugmentor(string source, double[] alpha, double[] beta, string expected)
    {
        var result = new StainAugmenter(Read(source)).Augment(alpha, beta);
        var (share, worst) = Difference(result, Read(expected));
        Assert.True(share <= 0.005 && worst <= 3, $"{expected}: {share:P3} of values differ by more than 1 grey level (at most 0.5 % allowed), worst {worst} (at most 3).");
        // And it did something: the tile itself is far from the augmented one.
        Assert.True(Difference(Read(source), Read(expected)).Share > 0.3);
    }

    [Fact]
    public void Augmentation_without_scale_or_shift_gives_the_tile_back_and_a_seed_repeats_its_draws()
    {
        var tile = Read("site_B.png");
        var augmenter = new StainAugmenter(tile);
        var (share, worst) = Difference(augmenter.Augment(new[] { 1.0, 1.0 }, new[] { 0.0, 0.0 }), tile);
        Assert.True(share <= 0.005 && worst <= 1, $"{share:P3} off, worst {worst}");
        Assert.Equal(augmenter.Draw(new Random(7), 0.4, 0.2), augmenter.Draw(new Random(7), 0.4, 0.2), new DrawComparer());
        var (a, b) = augmenter.Draw(new Random(7), 0.4, 0.2);
        Assert.All(a, v => Assert.InRange(v, 0.6, 1.4));
        Assert.All(b, v => Assert.InRange(v, -0.2, 0.2));
    }

    private sealed class DrawComparer : IEqualityComparer<(double[], double[])>
    {
        public bool Equals((double[], double[]) x, (double[], double[]) y) => x.Item1.SequenceEqual(y.Item1) && x.Item2.SequenceEqual(y.Item2);
        public int GetHashCode((double[], double[]) obj) => 0;
    }

    private static (double Share, int Worst) Difference(StainImage a, StainImage b)
    {
        int off = 0, worst = 0;
        for (int i = 0; i < a.Rgb.Length; i++)
        {
            int d = Math.Abs(a.Rgb[i] - b.Rgb[i]);
            if (d > 1) off++;
            worst = Math.Max(worst, d);
        }
        return ((double)off / a.Rgb.Length, worst);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    [InlineData("C")]
    public void Macenko_matrix_matches_TIAToolbox(string site)
    {
        var expected = Manifest.GetProperty("matrices").GetProperty(site).GetProperty("macenko").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var actual = new MacenkoExtractor().Extract(Read($"site_{site}.png"));
        for (int s = 0; s < 2; s++)
            for (int c = 0; c < 3; c++)
                Assert.True(Math.Abs(actual[s][c] - expected[s][c]) < 1e-6, $"site {site} stain {s} channel {c}: {actual[s][c]} against TIAToolbox's {expected[s][c]}");
    }

    [Fact]
    public void Percentile_is_numpys_linear_interpolation()
    {
        // numpy.percentile([7, 1, 3, 9, 5, 2], q) for q = 0, 1, 50, 99, 100: 1, 1.05, 4, 8.9, 9 (closed form: rank q/100 * 5).
        double[] Values() => new double[] { 7, 1, 3, 9, 5, 2 };
        Assert.Equal(1.0, Quantiles.Percentile(Values(), 0), 12);
        Assert.Equal(1.05, Quantiles.Percentile(Values(), 1), 12);
        Assert.Equal(4.0, Quantiles.Percentile(Values(), 50), 12);
        Assert.Equal(8.9, Quantiles.Percentile(Values(), 99), 12);
        Assert.Equal(9.0, Quantiles.Percentile(Values(), 100), 12);
        var random = new Random(5);
        var many = Enumerable.Range(0, 10_001).Select(_ => random.NextDouble()).ToArray();
        var sorted = many.OrderBy(v => v).ToArray();
        Assert.Equal(sorted[9_900], Quantiles.Percentile(many.ToArray(), 99), 15);
        Assert.Equal(sorted[100] + 0.5 * (sorted[101] - sorted[100]), Quantiles.Percentile(many.ToArray(), 1.005), 12);
    }

    [Fact]
    public void Vahadane_recovers_the_stains_an_image_was_drawn_with()
    {
        // Closed form: every pixel drawn from two known stain vectors with sparse, non-negative concentrations.
        double[] h = Unit(0.60, 0.74, 0.30), e = Unit(0.12, 0.95, 0.28);
        var random = new Random(11);
        int size = 96;
        var rgb = new byte[3 * size * size];
        for (int i = 0; i < size * size; i++)
        {
            double ch = random.NextDouble() < 0.5 ? 0.2 + 1.2 * random.NextDouble() : 0.02 * random.NextDouble();
            double ce = random.NextDouble() < 0.6 ? 0.1 + 0.8 * random.NextDouble() : 0.02 * random.NextDouble();
            for (int c = 0; c < 3; c++) rgb[3 * i + c] = (byte)Math.Round(Math.Clamp(255 * Math.Exp(-(ch * h[c] + ce * e[c])), 0, 255));
        }
        var matrix = new VahadaneExtractor().Extract(new StainImage(rgb, size, size, "drawn"));
        Assert.True(Degrees(matrix[0], h) < 3, $"haematoxylin {string.Join(",", matrix[0])} is {Degrees(matrix[0], h):0.0} degrees from the drawn one");
        Assert.True(Degrees(matrix[1], e) < 3, $"eosin {string.Join(",", matrix[1])} is {Degrees(matrix[1], e):0.0} degrees from the drawn one");
        // Deterministic: the same image gives the same matrix.
        Assert.Equal(matrix[0], new VahadaneExtractor().Extract(new StainImage(rgb, size, size, "drawn"))[0]);
    }

    [Fact]
    public void Eigenvectors_match_a_closed_form()
    {
        // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 1, 3, 5 with vectors (1,-1,0)/sqrt2, (1,1,0)/sqrt2, (0,0,1).
        var values = Matrix3.SymmetricEigen(new double[,] { { 2, 1, 0 }, { 1, 2, 0 }, { 0, 0, 5 } }, out var v);
        Assert.Equal(new[] { 1.0, 3.0, 5.0 }, values.Select(x => Math.Round(x, 12)));
        Assert.Equal(1.0, Math.Abs(v[0, 1] + v[1, 1]) / Math.Sqrt(2), 12);
        Assert.Equal(1.0, Math.Abs(v[2, 2]), 12);
    }

    [Fact]
    public void A_target_without_tissue_is_StainNoTissue_naming_it()
    {
        foreach (var method in Enum.GetValues<StainMethod>().Where(m => m != StainMethod.Custom))
        {
            var error = Assert.Throws<HeatmapToolsException>(() => StainNormalizer.Fitted(method, Read("white.png")));
            Assert.Equal(ErrorIds.StainNoTissue, error.ErrorId);
            Assert.Contains("white.png", error.Message);
        }
    }

    [Fact]
    public void A_tile_without_tissue_is_StainNoTissue_and_the_normaliser_goes_on()
    {
        foreach (var method in new[] { StainMethod.Macenko, StainMethod.Reinhard, StainMethod.Ruifrok, StainMethod.Vahadane })
        {
            var normalizer = StainNormalizer.Fitted(method, Read("site_A.png"));
            var error = Assert.Throws<HeatmapToolsException>(() => normalizer.Transform(Read("white.png")));
            Assert.Equal(ErrorIds.StainNoTissue, error.ErrorId);
            Assert.Equal(Read("site_B.png").Pixels, normalizer.Transform(Read("site_B.png")).Pixels);
        }
    }

    [Theory]
    [InlineData("ihc.png")]
    [InlineData("chelsea")]
    [InlineData("coffee")]
    public void A_target_that_is_not_H_and_E_is_StainNotHAndE(string file)
    {
        var target = file.EndsWith(".png") ? Read(file) : Photo(file);
        foreach (var method in new[] { StainMethod.Macenko, StainMethod.Reinhard, StainMethod.Ruifrok, StainMethod.Vahadane })
        {
            var error = Assert.Throws<HeatmapToolsException>(() => StainNormalizer.Fitted(method, target));
            Assert.Equal(ErrorIds.StainNotHAndE, error.ErrorId);
            Assert.Contains(target.Name, error.Message);
        }
        // A user's own matrix names its stains: the check is theirs.
        Assert.Equal(StainMethod.Custom, StainNormalizer.Fitted(StainMethod.Custom, target, CustomMatrix).Method);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_tile_of_one_or_two_flat_colours_is_StainNotHAndE_not_a_NaN(int colours)
    {
        // A slide's flat tile (pen ink, a synthetic slide, one dye alone): Macenko's two directions coincide and the
        // least-squares concentrations have no unique answer; TIAToolbox still returns an image.
        var rgb = new byte[3 * 64 * 64];
        for (int i = 0; i < 64 * 64; i++)
        {
            var (r, g, b) = colours == 2 && i % 64 < 32 ? (255, 255, 255) : (150, 60, 160);
            (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = ((byte)r, (byte)g, (byte)b);
        }
        var tile = new StainImage(rgb, 64, 64, "flat-tile.png");
        foreach (var method in new[] { StainMethod.Macenko, StainMethod.Vahadane })
        {
            var error = Assert.Throws<HeatmapToolsException>(() => StainNormalizer.Fitted(method, Read("site_A.png")).Transform(tile));
            Assert.Equal(ErrorIds.StainNotHAndE, error.ErrorId);
            Assert.Contains("flat-tile.png", error.Message);
            Assert.DoesNotContain("NaN", error.Message);
        }
        // A fixed matrix separates any colour.
        Assert.Equal(tile.Pixels, StainNormalizer.Fitted(StainMethod.Ruifrok, Read("site_A.png")).Transform(tile).Pixels);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    [InlineData("C")]
    public void Every_site_passes_the_H_and_E_check(string site) => StainCheck.RequireHAndE(Read($"site_{site}.png"));

    [Fact]
    public void A_singular_or_malformed_custom_matrix_is_StainMatrixInvalid()
    {
        foreach (var matrix in new[]
                 {
                     new[] { new[] { 0.6, 0.7, 0.3 }, new[] { 1.2, 1.4, 0.6 } },
                     new[] { new[] { 0.6, 0.7 }, new[] { 0.1, 0.9 } },
                     new[] { new[] { 0.6, 0.7, 0.3 } },
                     new[] { new[] { 0.6, 0.7, double.NaN }, new[] { 0.1, 0.9, 0.1 } },
                 })
            Assert.Equal(ErrorIds.StainMatrixInvalid, Assert.Throws<HeatmapToolsException>(() => StainNormalizer.Fitted(StainMethod.Custom, Read("site_A.png"), matrix)).ErrorId);
    }

    private static StainImage Photo(string name)
    {
        Runtime.EnsureImaging();
        using var bgr = Cv2.ImRead(Path.Combine(SharedData.Root, "images", name + ".png"), ImreadModes.Color);
        return StainImage.FromBgr(bgr, name);
    }

    private static double[] Unit(params double[] v) => v.Select(x => x / Math.Sqrt(v.Sum(y => y * y))).ToArray();

    private static double Degrees(double[] a, double[] b) =>
        Math.Acos(Math.Clamp(a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(x => x * x)), -1, 1)) * 180 / Math.PI;
}
