@{
    Name        = 'Measure-StainRobustness'
    Synopsis    = 'Measures how much a prediction and its class activation map move when the image''s stain changes as it does between sites: seeded stain augmentation as TIAToolbox''s StainAugmentor.'
    Description = @'
Measure-StainRobustness asks whether a pathology model, and the map that explains it, would hold at another hospital. For each image it computes the map as New-CamHeatmap does (same -Method, -Layer, class and preprocessing; New-CamHeatmap and Get-ClassPrediction results piped in bind all of them by property name), then makes -Augmentations copies of the image in other stains and reads each copy's probability of the class and its map of the class.

The copies are TIAToolbox's stain augmentation (its StainAugmentor; Tellez et al. 2018): the image's stain matrix (-AugmentationMethod, Macenko by default), each pixel's haematoxylin and eosin concentrations by least squares, each stain's concentrations on tissue (lightness below 0.85 after the contrast stretch) scaled by alpha from [1 - Sigma1, 1 + Sigma1] and shifted by beta from [-Sigma2, Sigma2], and the image drawn again; the background is left as it is. TIAToolbox draws from an unseeded generator; here each image's draws come from -AugmentationSeed and the file's name, so a run repeats. Each copy goes through the model's own preprocessing, stain normalisation included: a model that normalises its input should barely move.

The result has the original Probability, the copies' ProbabilityMean, ProbabilityMin and ProbabilityMax, PredictionKept (the share of copies whose call, the top class or for a one-logit head whether it reaches 0.5, is the original's), MapSpearmanMedian and MapSpearmanMin (the Spearman rank correlation of each copy's map with the original map; NaN where a map is constant), and every copy's Probabilities, MapSpearman and its draws (Alpha, Beta: what TIAToolbox's augmentor would be given to make the same copy). -PlotPath writes the spread per image. A tile of one flat colour has no two stains to augment (StainNotHAndE), a blank one no tissue (StainNoTissue): that image's error, the rest go on.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.CamHeatmap', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.StainRobustness')
    Parameters  = @{
        Augmentations      = 'Stain-augmented copies per image (1 to 1000). Default 10.'
        Sigma1             = 'The scale''s range: each stain''s concentrations are multiplied by alpha from [1 - Sigma1, 1 + Sigma1]. Default 0.4 (TIAToolbox''s).'
        Sigma2             = 'The shift''s range: beta from [-Sigma2, Sigma2] is added to each stain''s concentrations. Default 0.2 (TIAToolbox''s).'
        AugmentationSeed   = 'Seed of the draws; each image''s draws come from it and the file''s name, so a run repeats in any order or batch. Default 0.'
        AugmentationMethod = 'Where each image''s stain matrix comes from: Macenko (default) or Vahadane (deterministic here).'
        Target             = 'What the maps explain: Logit (default) or Softmax. The measure reads one class''s probability, so other targets (Negative, Sum, Similarity) are refused with TargetNotApplicable.'
        PlotPath           = 'A folder for one PNG figure per map, named <image>_<method>_<class>_stain.png (created when missing): the original and its first five copies with their probabilities, and every copy''s probability and map correlation.'
        Force              = 'Overwrite existing figures.'
        ReadCount = 'Not typed by hand: bound by name from the lines Get-Content writes, which carry the list file''s PSPath; with it the line''s text is the image path, so Get-Content list.txt | Measure-CamFaithfulness reads the images the list names.'
        Shard = 'This node''s share of the images, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks: the task in place p of N gets what -Shard (p+1)/N gets), as for New-CamHeatmap.'
        ShardCount = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks (the Job''s completions), when the container does not set HEATMAPTOOLS_SHARD_COUNT. A Slurm array says its own count.'
        ShardRoot = 'The shared folder as this node mounts it, as for New-CamHeatmap.'
        Path         = 'Image files. Wildcards are expanded. Strings from the pipeline bind here.'
        LiteralPath  = 'Image files taken exactly as written. Get-ChildItem, Get-ClassPrediction and New-CamHeatmap output bind here.'
        Method       = 'CAM method(s) to judge ({CamMethods}). Default GradCAM. Bound from New-CamHeatmap results.'
        Layer        = 'Target layer(s), as for New-CamHeatmap. Bound from New-CamHeatmap results.'
        ClassIndex   = 'Class index(es) to explain. Bound from Get-ClassPrediction and New-CamHeatmap results.'
        ClassName    = 'Class label(s) or WordNet id(s) to explain.'
        Top          = 'Judge the maps of each image''s top k classes. Default 1.'
        AugSmooth    = 'Judge maps smoothed by test-time augmentation (see New-CamHeatmap).'
        EigenSmooth  = 'Judge maps smoothed to the first principal component (see New-CamHeatmap).'
        TargetKind  = 'Not typed by hand: bound by name from New-CamHeatmap results, so a map piped on is judged or made as it was made (-Target given here wins).'
        Region      = 'Not used here (segmentation maps are refused: the measures score a classifier''s class); bound from piped results so that refusal names it.'
        RegionMask  = 'Not used here (see -Region).'
        ReferenceImage = 'Not used here (Similarity maps are refused); bound from piped results so that refusal names it.'
        MapTensor    = 'Not typed by hand: bound by name from New-CamHeatmap results, whose map (held as a tensor) is used instead of computing it again when it is the very map asked for (same model, weights, input size, method, layer, class and smoothing) and still held.'
        Model        = 'Architecture or ONNX graph (see Get-ClassPrediction). Bound from piped results.'
        WeightsPath  = 'A weights file (see Get-ClassPrediction). Bound from piped results.'
        Weights      = 'Pretrained (default) or Random.'
        Seed         = 'Seed for -Weights Random.'
        NumClasses   = 'Head size for a custom model. Default 1000.'
        Labels       = 'Class names (see Get-ClassPrediction).'
        Offline      = 'Never download weights.'
        Resize       = 'Stretch (default: straight to the input size), CenterCrop (shorter side to 256/224 of the input, centre crop; square inputs only; New-CamHeatmap places the map at the crop, the rest of the image cold) or Letterbox (the whole image scaled to fit, centred on black; maps are cut back to the image, so overlays stay aligned).'
        InputSize      = 'The network input: one number (a square), width,height for a non-square input (320,256, quoted or not), or Native (each image at its own size, as patch classifiers are trained: a 50-px patch runs at 50 px). Default: the model''s own (224; 299 for inception_v3; an ONNX graph''s declared input; a sidecar file''s inputSize). A graph with a fixed input refuses another size (PreprocessInvalid).'
        StainNormalization= 'Brings each image to the stain of -StainTarget before the network sees it, at the image''s own size (TIAToolbox''s normalisers): Macenko, Reinhard, Ruifrok, Vahadane (deterministic here, unlike TIAToolbox''s) or Custom (with -StainMatrix). Fitted once per run; results carry it, so the next command of a pipeline normalises alike; a model''s settings file can set it (stainNormalization, stainTarget, stainMatrix). An image without tissue is its StainNoTissue error; a target that is not H&E-like stops the command (StainNotHAndE).'
        StainTarget    = 'The reference tile whose stain every image is brought to (an H&E tile of the site the model was trained at).'
        StainMatrix    = 'With -StainNormalization Custom: the stains'' optical density in R, G, B, haematoxylin first (6 numbers; 9 with a third stain), such as 0.65,0.70,0.29,0.07,0.99,0.11.'
        Mean           = 'Per-channel mean subtracted after scaling to [0, 1] (one value for all channels, or one per channel). Default: ImageNet''s (0.485, 0.456, 0.406), or the sidecar''s.'
        Std            = 'Per-channel standard deviation divided by after the mean. Default: ImageNet''s (0.229, 0.224, 0.225), or the sidecar''s.'
        Normalization  = 'ImageNet (torchvision: RGB in [0, 1], ImageNet mean and std), Caffe (Keras''s VGG16/ResNet50 mode: BGR, the ImageNet mean in 0-255 units subtracted, no scaling) or None ([0, 1] only; -Mean/-Std alone imply it). Default ImageNet.'
        InputChannels  = '3 (RGB, default) or 1 (grey, OpenCV''s 0.299 R + 0.587 G + 0.114 B); a one-channel model (an X-ray net) needs 1, which an ONNX graph declares itself; the built-in architectures take 3 (a grey model runs as an ONNX export). Grey with ImageNet normalisation uses mean 0.449 and std 0.226.'
        HeadActivation = 'How outputs become probabilities: Auto (default: None when the model ends in its own softmax, Sigmoid for a one-logit head, else Softmax), Softmax (one class per image), Sigmoid (independent classes: multi-label heads rank independent probabilities) or None (outputs are probabilities already; a value outside [0, 1] is HeadNotProbability).'
        BatchSize    = 'Images per batch. Default 8.'
    }
    Examples    = @(
        @{ Code = "Get-ChildItem he-tiles/*.png | Measure-StainRobustness -Model squeezenet1_1 -Augmentations 8 -PlotPath ./stain-figures | Format-Table"; Remarks = 'Eight stain-augmented copies of each tile: how far the probability moves, how often the call changes, how alike the maps stay; a figure of the spread per tile.' }
        @{ Code = "Get-ChildItem he-tiles/*.png | Measure-StainRobustness -Model squeezenet1_1 -StainNormalization Macenko -StainTarget reference.png | Measure-Object PredictionKept -Average"; Remarks = 'The same with the model''s input normalised to a reference stain first: a normalised pipeline should keep its calls under stain change.' }
    )
    Links       = @('Measure-CamFaithfulness', 'ConvertTo-StainNormalized', 'New-CamHeatmap')
}
