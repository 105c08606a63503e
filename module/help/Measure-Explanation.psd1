@{
    Name        = 'Measure-Explanation'
    ParametersFrom = 'Measure-CamFaithfulness'
    Synopsis    = 'Evaluates maps and pixel attributions with Quantus''s metrics: complexity, localisation against a region, and faithfulness to the model.'
    Description = @'
Measure-Explanation judges the explanations New-CamHeatmap and New-AttributionMap make (piped on, or made here from images with the same parameters) by the metrics of Quantus 0.6.0, named as Quantus names them, one row per map with one property per metric. Complexity: Sparseness (the Gini index of the magnitudes; Chalasani et al. 2020), Complexity (their entropy; Bhatt et al. 2020), EffectiveComplexity (how many exceed -Eps; Nguyen and Martinez 2020). Localisation, with a region (-Mask or -Region): PointingGame (the largest value inside; Zhang et al. 2018), RelevanceRankAccuracy and RelevanceMassAccuracy (Arras et al. 2022), TopKIntersection (the share of the -TopK highest pixels inside; Theiner et al. 2022), AttributionLocalisation (the share of the magnitude inside; Kohlbrenner et al. 2020). Faithfulness, with the model: PixelFlipping (features set to -PerturbBaseline most relevant first, -FeaturesInStep at a time, the class's probability after each step; Bach et al. 2015), RegionPerturbation (-PatchSize squares in -Order, -Regions of them, the drop of the probability after each; Samek et al. 2016), FaithfulnessCorrelation (-Samples random subsets of -SubsetSize features set to the baseline, the Pearson correlation of the explanation's sum over each subset with the drop of the class's logit; Bhatt et al. 2020; seeded by -PerturbSeed). Robustness, explaining noisy copies with the same method: MaxSensitivity and AvgSensitivity (-Samples copies with uniform noise up to -NoiseLevel on every feature, the largest or mean change of the explanation over its norm, with the copies' standard deviation in MaxSensitivitySpread and AvgSensitivitySpread; Yeh et al. 2019). Randomisation: RandomLogit (the SSIM between the explanation and the method's explanation of another class drawn by -PerturbSeed; Sixt et al. 2020). Their values are the curves' areas (NumPy's trapz); the curves are in PixelFlippingCurve and RegionPerturbationCurve, and -PlotPath draws them.

Each explanation is judged as Quantus receives one from its own explain functions: at the network input, an attribution summed over its channels, divided by its largest magnitude and made absolute where Quantus's metric does so. The region is given on the image and goes through the image's resize, crop or letterbox, so it marks the pixels the network saw. Equal explanation values are taken in pixel order (Quantus leaves them to NumPy's unstable sort). On the same inputs the values equal Quantus's within 1e-4; FaithfulnessCorrelation, which draws at random, has its mean over seeds within Quantus's seed-to-seed spread. A value that cannot be a number (an explanation of zeros, a region with no mass) is that map's error (ExplanationMetricUndefined); the others go on.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.CamHeatmap', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.ExplanationMeasurement')
    Parameters  = @{
        Method          = 'The map or attribution to judge ({CamMethods}). Default GradCAM. Bound from New-CamHeatmap and New-AttributionMap results.'
        Metric          = 'The metrics, by Quantus''s names. Default: Sparseness, Complexity, PixelFlipping and RegionPerturbation, and the five localisation metrics when a region is given.'
        Mask            = 'Where the explanations should point: a mask image as large as each image (its non-zero pixels), or a template with {name} (the image''s file name without extension) and {dir} (its folder), such as ''{dir}/masks/{name}.png''.'
        Region          = 'Where the explanations should point: x,y,width,height in the image''s pixels (here it is not a segmentation target).'
        RegionMask      = 'The same as -Mask (bound from piped segmentation results).'
        FeaturesInStep  = 'PixelFlipping''s features (one channel of one pixel) per step. Default: the smallest divisor of the pixel count that keeps the curve within 256 steps (784 at 224 x 224, 192 steps; Quantus''s default of 1 takes 150,528 forward passes).'
        PatchSize       = 'RegionPerturbation''s square side in network-input pixels. Default 8 (Quantus''s).'
        Regions         = 'RegionPerturbation''s number of patches perturbed one after another. Default 100 (Quantus''s regions_evaluation).'
        Order           = 'RegionPerturbation''s order of patches: Morf (most relevant first, default), Lerf (least relevant first) or Random (seeded by -PerturbSeed).'
        Samples         = 'FaithfulnessCorrelation''s random subsets, or Max- and AvgSensitivity''s noisy copies. Default: Quantus''s, 100 subsets (nr_runs) and 200 copies (nr_samples).'
        NoiseLevel      = 'The bound of the uniform noise Max- and AvgSensitivity add to every feature, in the network input''s units. Default 0.2 (Quantus''s lower_bound).'
        SubsetSize      = 'FaithfulnessCorrelation''s features per subset. Default 224 (Quantus''s subset_size).'
        TopK            = 'TopKIntersection''s k, in network-input pixels. Default 1000 (Quantus''s).'
        Eps             = 'EffectiveComplexity''s threshold on the normalised magnitudes. Default 1e-5 (Quantus''s).'
        PerturbBaseline = 'What the perturbing metrics put in place of features: Black (the input''s smallest value, default), White (its largest), Mean (the mean of the input as perturbed so far, taken again each step as Quantus does), Uniform (a value from [0, 1) per step, seeded by -PerturbSeed) or a number in the network input''s units.'
        PerturbSeed     = 'Seeds -Order Random, -PerturbBaseline Uniform, FaithfulnessCorrelation''s subsets, the sensitivities'' noise and RandomLogit''s class; the same seed gives the same value. Default 0.'
        Score           = 'Softmax or Logit: the score the perturbing metrics read. Default: each metric''s Quantus default (softmax for PixelFlipping and RegionPerturbation).'
        PlotPath        = 'A folder for one PNG figure per map with its curves, named <image>_<method>_<class>_explanation.png (created when missing).'
        Target          = 'What the maps explain: Logit (default) or Softmax. The perturbing metrics read one class''s score, so other targets are refused with TargetNotApplicable.'
    }
    Examples    = @(
        @{ Code = 'New-AttributionMap reference.png -Model squeezenet1_1 -Method Saliency -OutputPath attr -Force | Measure-Explanation -Metric Sparseness, Complexity, PixelFlipping'; Remarks = 'How concentrated a Saliency map is, and how fast the class''s probability falls as its most relevant pixels are set to black.' }
        @{ Code = 'Measure-Explanation reference.png -Model squeezenet1_1 -Method GradCAM, ScoreCAM -Region 40,30,120,100 -Metric PointingGame, RelevanceMassAccuracy, TopKIntersection | Format-Table Image, Method, PointingGame, RelevanceMassAccuracy, TopKIntersection'; Remarks = 'Two methods side by side: whether their maps point into a rectangle of the image.' }
    )
    Links       = @('Measure-CamFaithfulness', 'New-AttributionMap', 'New-CamHeatmap', 'about_HeatmapTools')
}
