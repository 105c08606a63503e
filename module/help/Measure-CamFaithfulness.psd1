@{
    Name        = 'Measure-CamFaithfulness'
    Synopsis    = 'Measures how faithful class activation maps are to the model: the confidence metrics of pytorch-grad-cam, ROAD, and deletion and insertion curves.'
    Description = @'
Measure-CamFaithfulness computes each image's map as New-CamHeatmap does (same -Method, -Layer, class and smoothing parameters; New-CamHeatmap results piped in bind all of them by property name, with their model and weights) and asks the model how much the map's pixels matter. It returns one object per image, class and method.

Confidence metrics (pytorch-grad-cam's): CamMultImageConfidenceChange is the class score of the image multiplied by its map minus the original score; DropInConfidence is its negative part and IncreaseInConfidence is 1 when it is positive.

ROAD (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution Methods"), as pytorch-grad-cam computes it: at each -Percentile p, most relevant first imputes the pixels whose map value is at or above the map's p-th percentile and keeps the rest; least relevant first does the same with 1 - map. Imputed pixels are the weighted mean of their eight neighbours (ROAD's noisy linear imputer, solved exactly up to 1e-5 relative residual) plus -Noise (pytorch-grad-cam's default 0.01, seeded with -NoiseSeed). The result is the score change at each percentile, their averages and RoadCombined = (least - most relevant first average) / 2: larger is more faithful.

Deletion and insertion (Petsiuk et al. 2018, RISE): the pixels are taken most salient first, 1/-CurveSteps of them per step. Deletion sets them to 0 in the normalised input (the dataset's mean colour); insertion starts from a blurred copy (Gaussian, 11 x 11 pixels, sigma 5) and puts the original pixels back. DeletionArea and InsertionArea are the areas under the curves (trapezoid rule over the share of pixels changed): a faithful map has a small deletion and a large insertion area. The curve points are in Deletion and Insertion.

The score is the class's softmax probability (-Score Softmax, the default, pytorch-grad-cam's ClassifierOutputSoftmaxTarget) or its raw logit (-Score Logit, ClassifierOutputTarget). Each map costs 2 + 2 x percentiles + 2 x (CurveSteps + 1) forward passes, in batches; the Bench task reports the time per image. -PlotPath writes one figure per map (the curves and the ROAD points, with axes and legends). The properties are plain numbers, so Measure-Object, Group-Object and Export-Csv work on them directly.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.CamHeatmap', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.CamFaithfulness')
    Parameters  = @{
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
        Target       = 'What the judged maps explain: Logit (default) or Softmax. The measures score one class on perturbed images, so other targets (Negative, Sum, Similarity) are refused with TargetNotApplicable.'
        TargetKind  = 'Not typed by hand: bound by name from New-CamHeatmap results, so a map piped on is judged or made as it was made (-Target given here wins).'
        Region      = 'Not used here (segmentation maps are refused: the measures score a classifier''s class); bound from piped results so that refusal names it.'
        RegionMask  = 'Not used here (see -Region).'
        ReferenceImage = 'Not used here (Similarity maps are refused); bound from piped results so that refusal names it.'
        Score        = 'Softmax (default): the class probability; Logit: the raw class score. A detector''s maps are judged by their boxes'' score (each box''s matched IoU plus its class score, as -Target Box scores them), which is Logit and its default; Softmax is refused for it (TargetNotApplicable).'
        Percentile   = 'ROAD''s percentiles, 0 to 100. Default 10, 20, ..., 90 (pytorch-grad-cam''s averages).'
        Noise        = 'Standard deviation of the noise added to imputed pixels, in normalised input units. Default 0.01; 0 gives pytorch-grad-cam''s numbers exactly.'
        NoiseSeed    = 'Seed of the imputation noise, so a measurement repeats exactly. Default 0.'
        CurveSteps   = 'Steps of the deletion and insertion curves. Default 50; 0 skips the curves.'
        NoRoad       = 'Skip ROAD (the most expensive part: one linear system per percentile and order).'
        PlotPath     = 'A folder for one PNG figure per map, named <image>_<method>_<class>_faithfulness.png (created when missing).'
        Force        = 'Overwrite existing figures.'
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
        @{ Code = "Measure-CamFaithfulness -Path cat.png -Model squeezenet1_1 -Method GradCAM, ScoreCAM | Format-Table Method, RoadCombined, DeletionArea, InsertionArea"; Remarks = 'Compares two methods on one photo: a higher RoadCombined and InsertionArea and a lower DeletionArea mean a more faithful map.' }
        @{ Code = "Get-ChildItem *.png | New-CamHeatmap -Model squeezenet1_1 -NoOverlay | Measure-CamFaithfulness -PlotPath ./figures | Measure-Object RoadCombined -Average -StandardDeviation"; Remarks = 'Judges the maps New-CamHeatmap made (same model, layer, method and class), writes a figure per map and averages ROAD over the folder.' }
        @{ Code = "Measure-CamFaithfulness -Path cat.png -Model squeezenet1_1 -Score Logit -Noise 0 -CurveSteps 0"; Remarks = 'pytorch-grad-cam''s own setting: logit scores, no imputation noise; only the confidence metrics and ROAD.' }
    )
    Links       = @('New-CamHeatmap', 'Test-CamSanity')
}
