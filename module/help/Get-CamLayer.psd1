@{
    Name        = 'Get-CamLayer'
    Synopsis    = 'Lists the layers of a model that a class activation map can be computed at, with their output shapes.'
    Description = 'Get-CamLayer builds the architecture once (weights do not change shapes), runs one input of the model''s size through it and lists each stage with its torchvision name, module type, output shape (for transformers, tokens x channels or height x width x channels), alternative names (Keras names such as block5_conv3; for containers such as layer4 their last block) and whether it is the default target layer. Submodules inside the stages (features.7.1.norm1) can be targets too: they are listed with -Recurse, or when -Name matches them, and the default layer is always shown.'
    Inputs      = @('System.String')
    Outputs     = @('HeatmapTools.CamLayer')
    Parameters  = @{
        Model      = 'Architecture by torchvision name, or an ONNX graph (a .onnx path, or a name with <name>.onnx in a HEATMAPTOOLS_MODEL_PATH folder): its module paths from torch.onnx.export''s node scopes, node names and tensor names are listed. Default vgg16.'
        Name       = 'Only layers whose name or alias matches this wildcard pattern.'
        NumClasses = 'Head size, for a custom model. Default 1000.'
        Recurse    = 'Lists every submodule inside the stages as well (IsStage false).'
    }
    Examples    = @(
        @{ Code = 'Get-CamLayer -Model vgg16 -Name block5*'; Remarks = 'Shows VGG16''s block 5 layers with their Keras names; block5_conv3 (features.29) is the default.' }
        @{ Code = 'Get-CamLayer resnet50 | Where-Object OutputShape -like "2048x*"'; Remarks = 'Lists ResNet-50''s layers that output 2048 channels.' }
        @{ Code = 'Get-CamLayer vit_b_16 -Name *encoder_layer_11*'; Remarks = 'The last ViT block and its submodules; ln_1 is the default target.' }
    )
    Links       = @('New-CamHeatmap')
}
