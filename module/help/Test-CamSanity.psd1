@{
    Name        = 'Test-CamSanity'
    Synopsis    = 'Checks that a CAM method explains the model and not only the image: the cascading model-parameter randomisation test of Adebayo et al.'
    Description = @'
Test-CamSanity runs the sanity check of Adebayo et al. 2018 ("Sanity Checks for Saliency Maps") for any method, layer and model the module supports. The model's layers with weights are re-initialised from the output backwards, one more at each step (seeded by -CascadeSeed, with each layer's own initialisation), and the map of the same class is computed again after every step. Each step reports its similarity to the original map: Spearman's rank correlation (as scipy.stats.spearmanr), the same on absolute values (equal for maps that are never negative, as CAM maps after their ReLU are) and SSIM (scikit-image's default: a 7 x 7 window). A map that has become constant counts as uncorrelated (0).

A method that explains the model gives maps that stop resembling the original once the top layers are random; one that only shows image structure (edges, textures) keeps giving the same map. The check passes when the rank correlation after the last step is below -Threshold (0.5 by default). A map that randomisation makes constant (all zero) has no ranking: the verdict is then Undefined (Passed is null, with a warning naming the last step that had a ranking), never a pass. Grad-CAM passes on SqueezeNet 1.1 with its trained weights at -MaxSteps 3 and is Undefined over the whole cascade; a model-independent edge detector fails (all tested).

The work is done on a private copy of the model: the model the session holds for other commands is never changed. Each step costs one map computation per image; the Bench task reports the cascade's time per image. -MaxSteps stops the cascade early. -PlotPath draws the figure of the paper: the original map and one map per step in a row, and the similarity curves with the threshold below.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.CamHeatmap', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.CamSanity')
    Parameters  = @{
        ReadCount = 'Not typed by hand: bound by name from the lines Get-Content writes, which carry the list file''s PSPath; with it the line''s text is the image path, so Get-Content list.txt | Test-CamSanity reads the images the list names.'
        Shard = 'This node''s share of the images, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks: the task in place p of N gets what -Shard (p+1)/N gets), as for New-CamHeatmap.'
        ShardCount = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks (the Job''s completions), when the container does not set HEATMAPTOOLS_SHARD_COUNT. A Slurm array says its own count.'
        ShardRoot = 'The shared folder as this node mounts it, as for New-CamHeatmap.'
        Path         = 'Image files. Wildcards are expanded. Strings from the pipeline bind here.'
        LiteralPath  = 'Image files taken exactly as written. Get-ChildItem, Get-ClassPrediction and New-CamHeatmap output bind here.'
        Method       = 'CAM method(s) to check ({CamMethods}). Default GradCAM.'
        Layer        = 'Target layer(s), as for New-CamHeatmap.'
        ClassIndex   = 'Class index(es) to explain; by default each image''s top class (fixed through the cascade).'
        ClassName    = 'Class label(s) or WordNet id(s) to explain.'
        Top          = 'Check the maps of each image''s top k classes. Default 1.'
        AugSmooth    = 'Check maps smoothed by test-time augmentation.'
        EigenSmooth  = 'Check maps smoothed to the first principal component.'
        Target       = 'What the checked maps explain (see New-CamHeatmap): Logit (default), Softmax, Negative, Sum or Similarity; every randomised model is asked the same.'
        TargetKind  = 'Not typed by hand: bound by name from New-CamHeatmap results, so a map piped on is judged or made as it was made (-Target given here wins).'
        Region      = 'A segmentation model''s region, x,y,width,height in the image''s pixels (see New-CamHeatmap); bound from piped results.'
        RegionMask  = 'A segmentation model''s region as a mask image (see New-CamHeatmap); bound from piped results.'
        ReferenceImage = 'The image a Similarity map compares with (see New-CamHeatmap).'
        CascadeSeed  = 'Seed of the re-initialised weights. Default 0.'
        MaxSteps     = 'Randomise at most this many layers (from the output down). Default: all layers with weights.'
        Threshold    = 'The check passes when the final rank correlation is below this. Default 0.5.'
        PlotPath     = 'A folder for one PNG figure per map, named <image>_<method>_<class>_sanity.png (created when missing).'
        Force        = 'Overwrite existing figures.'
        MapTensor    = 'Not typed by hand: bound by name from New-CamHeatmap results, whose map (held as a tensor) is used instead of computing it again when it is the very map asked for (same model, weights, input size, method, layer, class and smoothing) and still held.'
        Model        = 'Architecture or ONNX graph (see Get-ClassPrediction).'
        WeightsPath  = 'A weights file (see Get-ClassPrediction).'
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
        @{ Code = "Test-CamSanity -Path cat.png -Model squeezenet1_1 -Method GradCAM, EigenCAM -PlotPath ./sanity | Format-Table Method, Passed, FinalSpearman"; Remarks = 'Checks two methods on one photo and draws the cascade for each.' }
        @{ Code = "(Test-CamSanity -Path cat.png -Model squeezenet1_1).Steps | Format-Table"; Remarks = 'Shows the similarity to the original map after each layer was randomised.' }
    )
    Links       = @('New-CamHeatmap', 'Measure-CamFaithfulness')
}
