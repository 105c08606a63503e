@{
    Name        = 'Compare-CamHeatmap'
    Synopsis    = 'Compares the maps and predictions two weights files of one architecture make of the same images: the question every model release asks.'
    Description = @'
Compare-CamHeatmap runs each image through the model with -ReferenceWeights (the released weights) and with -DifferenceWeights (the candidate), explains the class the reference model ranks first (or -ClassIndex) under both with -Method at -Layer, and reports per image whether the top-1 prediction changed, each model's probability of that class, and how alike the two maps are: Spearman's rank correlation and SSIM, as Test-CamSanity measures them. With -Summary it returns one object over all images (Images, PredictionChanges, MeanSpearman, MinSpearman, MeanSsim, MinSsim, WorstImage) for a Pester gate to assert on. The same weights give Spearman and SSIM 1; weights whose head or layers were retrained elsewhere give lower figures. Two weights of different architectures or heads are refused (WeightsMismatch); an unreadable image is that image's error and the others are compared.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo')
    Outputs     = @('HeatmapTools.CamComparison', 'HeatmapTools.CamComparisonSummary')
    Parameters  = @{
        Reference         = 'New-CamHeatmap results of the reference model (instead of -ReferenceWeights): each is compared with the -Difference result of the same image, method and layer; an unpaired one or maps of other sizes are MapsNotComparable.'
        Difference        = 'New-CamHeatmap results of the candidate, paired with -Reference''s.'
        ReferenceWeights  = 'The weights the maps are compared against (the released model): a state dict (.pth), safetensors or TorchSharp file of -Model''s architecture.'
        DifferenceWeights = 'The weights compared (the candidate), of the same architecture and head.'
        Method            = 'The CAM method both maps are made with (pytorch-grad-cam''s class names). Default GradCAM.'
        Layer             = 'The layer both maps are taken at. Default: the model''s default layer.'
        ClassIndex        = 'The class both maps explain. Default: the class the reference model ranks first for each image.'
        Summary           = 'Return one summary over all images instead of a result per image.'
        PlotPath          = 'A folder to write each image''s two overlays into, side by side (reference left, candidate right) and captioned with their Spearman and SSIM: <name>_compare.png. The result''s PlotPath names it, so Export-HeatmapReport shows it.'
        Force             = 'With -PlotPath, overwrite figures that exist.'
        ReadCount = 'Not typed by hand: bound by name from the lines Get-Content writes, which carry the list file''s PSPath; with it the line''s text is the image path, so Get-Content list.txt | Get-ClassPrediction reads the images the list names.'
        Shard = 'This node''s share of the images, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks: the task in place p of N gets what -Shard (p+1)/N gets) (for example 2/3): an image belongs to one shard by its full path (or, with -ShardRoot, its path below that folder), never by the folder the command runs in, the same on every machine, so N nodes split a shared folder without coordinating.'
        ShardCount = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks (the Job''s completions), when the container does not set HEATMAPTOOLS_SHARD_COUNT. A Slurm array says its own count.'
        ShardRoot = 'The shared folder as this node mounts it: with -Shard, images are keyed by their path below it, so nodes that mount the share at different places split it the same way. An image outside it is a ShardRootOutside error.'
        Path        = 'Image files to classify. Wildcards are expanded. Strings from the pipeline bind here.'
        LiteralPath = 'Image files, taken exactly as written (no wildcards). Get-ChildItem output binds here through its PSPath property.'
        Model       = 'An ONNX graph (a path ending in .onnx, or a name with <name>.onnx in a HEATMAPTOOLS_MODEL_PATH folder) from any framework, or an architecture by torchvision name: vgg16 (default), densenet121, efficientnet_b0, convnext_tiny, vit_b_16, swin_t and the rest of torchvision''s classifiers (README lists them). A state dict saved from torchvision''s model of that name loads unchanged. Tab completion lists them; a misspelt name suggests the closest.'
        WeightsPath = 'A weights file: .safetensors, a PyTorch state_dict .pth, or a TorchSharp .dat. Keys and shapes are checked and any difference is listed.'
        Weights     = 'Pretrained (default) looks for real weights as described above; Random builds a randomly initialised model (see -Seed).'
        Seed        = 'Seed for -Weights Random, so the same seed gives the same model.'
        NumClasses  = 'Size of the classification head, for your own fine-tuned model (for example 2 for an IDC patch classifier). Default 1000.'
        Labels      = 'Class names: a path to a JSON class index (Keras format), a JSON list, a text file with one label per line, or the names themselves. Default: ImageNet names from imagenet_class_index.json found like weights.'
        Offline     = 'Never download; fail with the list of places searched instead.'
        Resize      = 'Stretch (default: straight to the input size), CenterCrop (shorter side to 256/224 of the input, centre crop; square inputs only; New-CamHeatmap places the map at the crop, the rest of the image cold) or Letterbox (the whole image scaled to fit, centred on black; maps are cut back to the image, so overlays stay aligned).'
        InputSize      = 'The network input: one number (a square), width,height for a non-square input (320,256, quoted or not), or Native (each image at its own size, as patch classifiers are trained: a 50-px patch runs at 50 px). Default: the model''s own (224; 299 for inception_v3; an ONNX graph''s declared input; a sidecar file''s inputSize). A graph with a fixed input refuses another size (PreprocessInvalid).'
        StainNormalization= 'Brings each image to the stain of -StainTarget before the network sees it, at the image''s own size (TIAToolbox''s normalisers): Macenko, Reinhard, Ruifrok, Vahadane (deterministic here, unlike TIAToolbox''s) or Custom (with -StainMatrix). Fitted once per run; results carry it, so the next command of a pipeline normalises alike; a model''s settings file can set it (stainNormalization, stainTarget, stainMatrix). An image without tissue is its StainNoTissue error; a target that is not H&E-like stops the command (StainNotHAndE).'
        StainTarget    = 'The reference tile whose stain every image is brought to (an H&E tile of the site the model was trained at).'
        StainMatrix    = 'With -StainNormalization Custom: the stains'' optical density in R, G, B, haematoxylin first (6 numbers; 9 with a third stain), such as 0.65,0.70,0.29,0.07,0.99,0.11.'
        Mean           = 'Per-channel mean subtracted after scaling to [0, 1] (one value for all channels, or one per channel). Default: ImageNet''s (0.485, 0.456, 0.406), or the sidecar''s.'
        Std            = 'Per-channel standard deviation divided by after the mean. Default: ImageNet''s (0.229, 0.224, 0.225), or the sidecar''s.'
        Normalization  = 'ImageNet (torchvision: RGB in [0, 1], ImageNet mean and std), Caffe (Keras''s VGG16/ResNet50 mode: BGR, the ImageNet mean in 0-255 units subtracted, no scaling) or None ([0, 1] only; -Mean/-Std alone imply it). Default ImageNet.'
        InputChannels  = '3 (RGB, default) or 1 (grey, OpenCV''s 0.299 R + 0.587 G + 0.114 B); a one-channel model (an X-ray net) needs 1, which an ONNX graph declares itself; the built-in architectures take 3 (a grey model runs as an ONNX export). Grey with ImageNet normalisation uses mean 0.449 and std 0.226.'
        HeadActivation = 'How outputs become probabilities: Auto (default: None when the model ends in its own softmax, Sigmoid for a one-logit head, else Softmax), Softmax (one class per image), Sigmoid (independent classes: multi-label heads rank independent probabilities) or None (outputs are probabilities already; a value outside [0, 1] is HeadNotProbability).'
        BatchSize   = 'Images per forward pass. Default 8.'
    }
    Examples    = @(
        @{ Code = 'Compare-CamHeatmap *.png -Model resnet18 -NumClasses 2 -ReferenceWeights idc.pth -DifferenceWeights idc_resnet18.pth | Format-Table Path, PredictionChanged, Spearman, Ssim'; Remarks = 'Per image: did the prediction change, and do the maps still agree.' }
        @{ Code = '(Compare-CamHeatmap *.png -Model resnet18 -NumClasses 2 -ReferenceWeights idc.pth -DifferenceWeights idc_resnet18.pth -Summary).MinSpearman -ge 0.9'; Remarks = 'A release gate: true when every image''s maps agree (examples/ModelReleaseGate.Tests.ps1 is a Pester version).' }
    )
    Links       = @('Test-CamSanity', 'New-CamHeatmap', 'about_HeatmapTools')
}
