@{
    Name        = 'New-CamHeatmap'
    Synopsis    = 'Shows where a CNN looks: computes class activation maps and writes them as heatmap overlays on the original images.'
    Description = @'
New-CamHeatmap computes a class activation map for each image and class, colours it, blends it over the original image at its original size (heat * Alpha + image, clipped, as in the Keras Grad-CAM recipe) and writes the overlay. Methods follow pytorch-grad-cam and match its maps: {CamMethods} (CAM is classic CAM, for global-average-pooling heads such as ResNet and SqueezeNet; GradCAM is the default).

The map is computed at -Layer: any submodule by its torchvision path, nested ones included (features.29, layer4, features.denseblock4.denselayer16.conv2, encoder.layers.encoder_layer_11.ln_1, features.7.1.norm1), as pytorch-grad-cam's target_layers; Keras names where Keras has the same architecture mean the layer after its activation (block5_conv3 for VGG16, conv5_block3_out for ResNet-50, relu for DenseNet-121, top_activation for EfficientNet-B0, out_relu for MobileNetV2, mixed10 for Inception v3). Several layers average their maps. The default is where pytorch-grad-cam's documentation points: the last convolutional block, for ViT the last block's ln_1 (its 14x14 patch tokens folded into a grid, the class token dropped) and for Swin the last block's norm1 (turned channels-first). Get-CamLayer lists the layers and tab completion offers them. AblationCAM and CAM need a stage of a convolutional network (Get-CamLayer's IsStage) and refuse transformers (MethodNotSupported); the gradient methods, EigenCAM and ScoreCAM work everywhere.

The class explained is -ClassIndex, -ClassName (label or WordNet id), the top -Top classes, or by default the top-1 class. Objects from Get-ClassPrediction bind from the pipeline with their image, model, weights and class.

-AugSmooth averages the maps of six copies of each image (mirrored or not, times 0.9, 1 and 1.1, each map mirrored back: pytorch-grad-cam's aug_smooth) and -EigenSmooth keeps the first principal component of the weighted activations instead of their sum (its eigen_smooth), which removes noise the channels do not share. -Method GuidedGradCAM multiplies the Grad-CAM map by guided backpropagation's input gradients (ReLU modules pass back only positive gradients at positive inputs) and writes that pixel-level picture (standardised around grey, as pytorch-grad-cam's example) instead of a colour blend; with -MapFormat the guided gradients are saved too, as <name>_guided.npy (float32, 3 x H x W).

Gradients flow only from the class score down to the target layer: the network below the layer runs once without autograd, and no weight gradients are computed. Score-CAM and Ablation-CAM push their masked or ablated copies through the network in bounded chunks; Ablation-CAM reruns only the layers above the target layer.

Output files are named from -OutputPath: a folder (one that exists, a path ending in /, or a name without extension or placeholder, which is created), or a template with {name}, {dir}, {relpath}, {class}, {label}, {method}, {layer} and {ext}, filled in folder parts too (./o/{label}/{name}.png); inputs from several folders keep their tree below an output folder, relative to the folder they all lie below ({dir} is an input's folder relative to it, {relpath} that and its name), so equal names in different folders never collide; by default <name>_cam.<ext> beside the source. When one image gives several overlays (-Top, several -ClassIndex or -Method values) the default becomes <name>_cam_<method>_<class>.<ext>, a fixed file name gets _<method>_<class> added before its extension, and a template gets whichever of _<method> and _<class> it lacks. Files are written atomically and never overwrite anything (the source least of all) without -Force; and one run never writes a name twice: a second input that would get a name already written in the run is refused (OutputNameRepeated), -Force or not. -MapFormat also saves the raw map at the model's input size (224x224, 299x299 for inception_v3; Npy, Png16 or Csv). Each result carries the map as a float[,] in [0,1].
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.CamHeatmap')
    Parameters  = @{
        PreparedInput = 'Not typed by hand: bound by name from Get-ClassPrediction results, whose prepared image (the network input as a tensor and the decoded original) is then used instead of reading the file again, while the shared budget still holds it (HEATMAPTOOLS_HELD_MB, about_HeatmapTools) and the file is unchanged.'
        IncludeOwnOutput = 'Explain images this module wrote too. Every PNG and JPEG it writes carries a note (a PNG text chunk or a JPEG comment naming HeatmapTools, the command, the source and the method); by default such inputs are left out, with a -Verbose message, so a rerun over a folder of photos and their overlays explains only the photos, whatever the files are named.'
        ReadCount = 'Not typed by hand: bound by name from the lines Get-Content writes, which carry the list file''s PSPath; with it the line''s text is the image path, so Get-Content list.txt | New-CamHeatmap reads the images the list names.'
        SkipExisting = 'For nightly reruns: outputs that already exist are passed over quietly instead of being OutputExists errors (listed with -Verbose, counted in a closing information record), and a missing member of an output set (the raw map beside an existing overlay) is written.'
        Update = 'As -SkipExisting, but outputs older than their source image are made again and replaced.'
        Shard = 'This node''s share of the images, k/N (for example 2/3): an image belongs to one shard by its full path (or, with -ShardRoot, its path below that folder), never by the folder the command runs in, the same on every machine; finished overlays are skipped, so a node that died is simply run again.'
        ShardRoot = 'The shared folder as this node mounts it: with -Shard, images are keyed by their path below it, so nodes that mount the share at different places split it the same way. An image outside it is a ShardRootOutside error.'
        Path        = 'Image files. Wildcards are expanded. Strings from the pipeline bind here.'
        LiteralPath = 'Image files taken exactly as written. Get-ChildItem and Get-ClassPrediction output bind here.'
        Method      = 'One or more CAM methods, by pytorch-grad-cam''s class names ({CamMethods}); one overlay per method. Default GradCAM. Tab completion offers them.'
        Layer       = 'Target layer name(s): torchvision module paths (nested ones too) or Keras names. Default: the model''s default layer (Get-CamLayer shows it).'
        ClassIndex  = 'Class index(es) to explain. Bound from Get-ClassPrediction objects.'
        ClassName   = 'Class label(s) (for example tabby or Egyptian_cat) or WordNet id(s) to explain. Tab completion offers the labels (names starting with what you typed, then names containing it) and WordNet ids.'
        Top         = 'Explain each image''s top k predicted classes. Default 1.'
        OutputPath  = 'A folder (a path without extension counts as one; inputs from several folders keep their tree below it), or a path template with {name}, {dir}, {relpath}, {class}, {label}, {method}, {layer}, {target}, {ext}, filled in folder parts too.'
        Colormap    = 'Any OpenCV colormap: Jet (default), Viridis, Turbo, Inferno, Magma, Hot, ...'
        Alpha       = 'Weight of the heatmap in the blend, 0 to 1. Default 0.4.'
        Target      = 'What each map explains, as pytorch-grad-cam''s targets: Logit (default: the class''s raw score), Softmax (its probability: evidence shared with other classes counts less), Negative (a one-logit head''s score negated: what makes it say negative), Sum (one map of the sum of the -ClassIndex classes of a multi-label head), Similarity (cosine similarity of the pooled features with those of -ReferenceImage), Segment (a segmentation model''s category summed over a region, pytorch-grad-cam''s SemanticSegmentationTarget; the default for fcn_* and deeplabv3_*). Default names and results record it; -OutputPath templates can use {target}.'
        TargetKind  = 'Not typed by hand: bound by name from New-CamHeatmap results, so a map piped on is judged or made as it was made (-Target given here wins).'
        Region      = 'A segmentation model''s region, x,y,width,height in the image''s pixels (for example -Region 150,60,180,160): the map explains the category (-ClassIndex, or the image''s top category) summed over the network pixels whose centres fall in it. Implies -Target Segment. Needs -Resize Stretch (the default) or -InputSize Native.'
        RegionMask  = 'A segmentation model''s region as a mask image of the photo''s size: its nonzero pixels, resized to the network input with nearest neighbours. Implies -Target Segment; a mask of another size is refused (TargetNotApplicable).'
        ReferenceImage = 'The image -Target Similarity compares with (giving it alone implies -Target Similarity): the map shows which pixels make each image''s pooled features (what the classifier layer takes) resemble the reference''s.'
        MapFormat   = 'Also save the raw map: Npy (float32), Png16 (16-bit grayscale), Tiff32 (32-bit float TIFF, as ImageJ and QuPath open it) or Csv (formats are found by name; tab completion lists them). Saved beside the overlay, named after it with _map added (for example chelsea_cam_map.npy).'
        AugSmooth   = 'Average the maps of six augmented copies (horizontal flip times 0.9, 1, 1.1), as pytorch-grad-cam''s aug_smooth.'
        EigenSmooth = 'Use the first principal component of the weighted activations instead of their sum, as pytorch-grad-cam''s eigen_smooth.'
        NoOverlay   = 'Do not write the overlay. With -MapFormat only the raw map is written; without it nothing is written and the result objects carry the maps (property Map) for work in PowerShell.'
        Force       = 'Overwrite existing output files.'
        Model       = 'Architecture or ONNX graph (see Get-ClassPrediction). Default vgg16.'
        WeightsPath = 'A weights file (see Get-ClassPrediction).'
        Weights     = 'Pretrained (default) or Random (see -Seed): a random model is the model-randomisation sanity check.'
        Seed        = 'Seed for -Weights Random.'
        NumClasses  = 'Head size for a custom model. Default 1000.'
        Labels      = 'Class names (see Get-ClassPrediction).'
        Offline     = 'Never download weights.'
        Resize      = 'Stretch (default: straight to the input size), CenterCrop (shorter side to 256/224 of the input, centre crop; square inputs only; New-CamHeatmap places the map at the crop, the rest of the image cold) or Letterbox (the whole image scaled to fit, centred on black; maps are cut back to the image, so overlays stay aligned).'
        InputSize      = 'The network input: one number (a square), width,height for a non-square input (320,256, quoted or not), or Native (each image at its own size, as patch classifiers are trained: a 50-px patch runs at 50 px). Default: the model''s own (224; 299 for inception_v3; an ONNX graph''s declared input; a sidecar file''s inputSize). A graph with a fixed input refuses another size (PreprocessInvalid).'
        Mean           = 'Per-channel mean subtracted after scaling to [0, 1] (one value for all channels, or one per channel). Default: ImageNet''s (0.485, 0.456, 0.406), or the sidecar''s.'
        Std            = 'Per-channel standard deviation divided by after the mean. Default: ImageNet''s (0.229, 0.224, 0.225), or the sidecar''s.'
        Normalization  = 'ImageNet (torchvision: RGB in [0, 1], ImageNet mean and std), Caffe (Keras''s VGG16/ResNet50 mode: BGR, the ImageNet mean in 0-255 units subtracted, no scaling) or None ([0, 1] only; -Mean/-Std alone imply it). Default ImageNet.'
        InputChannels  = '3 (RGB, default) or 1 (grey, OpenCV''s 0.299 R + 0.587 G + 0.114 B); a one-channel model (an X-ray net) needs 1, which an ONNX graph declares itself. Grey with ImageNet normalisation uses mean 0.449 and std 0.226.'
        HeadActivation = 'How outputs become probabilities: Auto (default: None when the model ends in its own softmax, Sigmoid for a one-logit head, else Softmax), Softmax (one class per image), Sigmoid (independent classes: multi-label heads rank independent probabilities) or None (outputs are probabilities already; a value outside [0, 1] is HeadNotProbability).'
        BatchSize   = 'Images per batch. Default 8.'
    }
    Examples    = @(
        @{ Code = "Get-ChildItem *.png | New-CamHeatmap -Layer block5_conv3"; Remarks = 'The Keras recipe: Grad-CAM on VGG16''s block5_conv3 for each image''s top class; overlays are written beside the images as <name>_cam.png.' }
        @{ Code = "Get-ChildItem *.jpg | Get-ClassPrediction -Model squeezenet1_1 | New-CamHeatmap -Method GradCAM, ScoreCAM -OutputPath ./cams/"; Remarks = 'Classifies with SqueezeNet 1.1, then writes a Grad-CAM and a Score-CAM overlay per image into ./cams.' }
        @{ Code = "New-CamHeatmap -Path both.png -Model resnet50 -ClassName tabby -OutputPath '{name}_{label}_{method}.jpg' -Colormap Viridis"; Remarks = 'Explains the class "tabby" rather than the top class, with the Viridis colormap, as a JPEG.' }
        @{ Code = "`$r = New-CamHeatmap -Path cat.png -Model squeezenet1_1 -NoOverlay -MapFormat Npy`n`$r.Map[112, 112]"; Remarks = 'Saves only the raw 224x224 map as a .npy file and reads a value from the float[,] Map property.' }
        @{ Code = "`$maps = Get-ChildItem *.png | New-CamHeatmap -Model squeezenet1_1 -NoOverlay`n`$maps | ForEach-Object { [pscustomobject]@{ Image = `$_.SourcePath; Centre = `$_.Map[112, 112] } }"; Remarks = 'Writes no files at all: each result carries its map for analysis in PowerShell.' }
        @{ Code = "New-CamHeatmap -Path xray.png -Model densenet121 -NumClasses 14 -WeightsPath chexnet.pth -Method GradCAM, LayerCAM"; Remarks = 'Your own fine-tuned DenseNet-121: the state dict saved with torch.save(model.state_dict(), ...) loads unchanged.' }
        @{ Code = "New-CamHeatmap -Path cat.png -Model vit_b_16 -Layer encoder.layers.encoder_layer_10.ln_1"; Remarks = 'A vision transformer, at a nested layer of the eleventh block.' }
        @{ Code = "New-CamHeatmap -Path cat.png -Model squeezenet1_1 -Method GuidedGradCAM -AugSmooth"; Remarks = 'A smoothed Guided Grad-CAM picture: the fine-grained pixels behind the class.' }
        @{ Code = "New-CamHeatmap -Path cat.png -Model resnet18 -Weights Random -Seed 1"; Remarks = 'Model-randomisation sanity check: a faithful method''s map changes when the weights are random.' }
        @{ Code = "Get-ChildItem ./photos -Recurse -Filter *.png | New-CamHeatmap -Model squeezenet1_1 -OutputPath ./cams"; Remarks = 'Explains a folder tree: photos/a/cat.png and photos/b/cat.png become cams/a/cat_cam.png and cams/b/cat_cam.png.' }
    )
    Links       = @('Get-ClassPrediction', 'Get-CamLayer', 'Measure-CamFaithfulness', 'Test-CamSanity')
}
