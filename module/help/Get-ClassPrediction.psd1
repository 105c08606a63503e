@{
    Name        = 'Get-ClassPrediction'
    Synopsis    = 'Classifies images with a pretrained CNN and ranks the most likely classes.'
    Description = @'
Get-ClassPrediction runs an image classifier (VGG16 by default, as in the Keras recipe; any of torchvision's classifier families: VGG with and without batch norm, ResNet, ResNeXt, Wide ResNet, AlexNet, SqueezeNet 1.1, GoogLeNet, Inception v3, MobileNet v2/v3, DenseNet, EfficientNet B0-B7 and V2, ConvNeXt, RegNet X/Y, ShuffleNet v2, MNASNet, ViT and Swin) on each image and returns the top classes with their ImageNet WordNet id, label and softmax probability, like Keras's decode_predictions.

Images come from the pipeline (Get-ChildItem output, strings) or from -Path (wildcards) and -LiteralPath. Any format OpenCV reads works; grayscale and transparent images are converted to RGB (transparency over white). Images are resized straight to the model's input size (224x224; 299x299 for inception_v3; bilinear), or with -Resize CenterCrop the way torchvision evaluates (shorter side 256/224 of it, centre crop), then normalised with ImageNet's mean and standard deviation, unless -Mean/-Std, -Normalization, -InputSize, -InputChannels or the model's <model>.json settings file say otherwise; an ONNX graph's own input size and channels are its default. With -Resize Letterbox the whole image is fitted in, centred on black.

Weights are found in this order: -WeightsPath (safetensors, a PyTorch state_dict .pth, or TorchSharp's format); each folder in HEATMAPTOOLS_MODEL_PATH (<model>.safetensors, <model>.pth or torchvision's published file name); the user cache (~/.cache/HeatmapTools); finally torchvision's official checkpoint is downloaded into the cache with its SHA-256 checked, unless -Offline or HEATMAPTOOLS_OFFLINE=1. -Weights Random -Seed N builds a seeded random model. A model is loaded once per session.

A detector (an ONNX graph whose output is (4 + classes) x anchors, as YOLOv8 exports it, or anchors x (5 + classes), as YOLOv5 exports it; its settings file's "detectionOutput" can say which) returns each photo's Detections: ClassIndex, Label, Score and Box (X1, Y1, X2, Y2 in the photo's pixels, back through the letterbox or resize), highest score first: each anchor's best class, scores above -ScoreThreshold, non-maximum suppression per class at -IouThreshold (torchvision's batched_nms), at most -MaxDetections. Its ranked classes are each class's best detection score. -BoxesPath draws them on the photo. Piped into New-CamHeatmap, the detections are what the map explains.

Results stream out as each batch finishes, in input order. An unreadable image is a non-terminating error (ErrorId ImageUnreadable) and the others are still classified. The output objects carry the path, model, weights asked for (WeightsPath) and top-1 class so they can be piped straight into New-CamHeatmap; WeightsFile says which file was actually loaded, wherever it was found.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo')
    Outputs     = @('HeatmapTools.ClassPrediction')
    Parameters  = @{
        ReadCount = 'Not typed by hand: bound by name from the lines Get-Content writes, which carry the list file''s PSPath; with it the line''s text is the image path, so Get-Content list.txt | Get-ClassPrediction reads the images the list names.'
        Shard = 'This node''s share of the images, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks: the task in place p of N gets what -Shard (p+1)/N gets) (for example 2/3): an image belongs to one shard by its full path (or, with -ShardRoot, its path below that folder), never by the folder the command runs in, the same on every machine, so N nodes split a shared folder without coordinating.'
        ShardCount = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks (the Job''s completions), when the container does not set HEATMAPTOOLS_SHARD_COUNT. A Slurm array says its own count.'
        ShardRoot = 'The shared folder as this node mounts it: with -Shard, images are keyed by their path below it, so nodes that mount the share at different places split it the same way. An image outside it is a ShardRootOutside error.'
        SegmentsPath = 'A segmentation model only (fcn_*, deeplabv3_*): a folder to write each image''s predicted categories into, <name>_segments.png: the photo with each pixel coloured by its category (the Pascal VOC palette) and a legend of the categories present with their share of the pixels. Refused for a classifier and with -Resize other than Stretch.'
        Alpha       = 'With -SegmentsPath, how strongly the category colours cover the photo (0 to 1, default 0.5).'
        BoxesPath   = 'A detector only: a folder to write each photo with its detections drawn into, <name>_boxes.png: each box in its class''s colour with its label and score above it. Refused for other models.'
        Force       = 'With -SegmentsPath or -BoxesPath, overwrite an existing image.'
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
        Top         = 'How many classes to return per image. Default 3.'
    }
    Examples    = @(
        @{ Code = "`$env:HEATMAPTOOLS_MODEL_PATH = '../shared/models'`nGet-ChildItem *.png | Get-ClassPrediction -Model squeezenet1_1"; Remarks = 'Classifies every PNG in the folder with SqueezeNet 1.1 weights found in HEATMAPTOOLS_MODEL_PATH and prints the top three classes per image.' }
        @{ Code = "Get-ClassPrediction -Path .\cat.jpg -Top 5 | Select-Object -ExpandProperty Predictions"; Remarks = 'Shows the five most likely ImageNet classes for one image with VGG16, with rank, index, WordNet id, label, probability and logit.' }
        @{ Code = "Get-ClassPrediction -LiteralPath patch.png -Model resnet18 -NumClasses 2 -WeightsPath idc_resnet18.pth -Labels benign, malignant"; Remarks = 'Runs your own two-class ResNet-18, fine-tuned and saved from PyTorch with torch.save(model.state_dict(), ...).' }
        @{ Code = "Get-ChildItem *.jpg | Get-ClassPrediction | New-CamHeatmap"; Remarks = 'Classifies, then writes a Grad-CAM overlay for each image''s top class.' }
        @{ Code = "Get-ChildItem ./he-tiles -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 2 -WeightsPath idc_resnet18.pth -Labels benign, malignant -StainNormalization Macenko -StainTarget ./reference.png"; Remarks = 'Classifies tiles from another hospital in the stain of a tile of the site the model was trained at (Macenko normalisation, fitted once).' }
    )
    Links       = @('New-CamHeatmap', 'Get-CamLayer')
}
