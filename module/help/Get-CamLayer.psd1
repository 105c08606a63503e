@{
    Name        = 'Get-CamLayer'
    Synopsis    = 'Lists the layers of a model that a class activation map can be computed at, with their output shapes.'
    Description = 'Get-CamLayer builds the architecture once (weights do not change shapes), runs one 224x224 input through it and lists each layer with its torchvision name, module type, output shape (channels x height x width), alternative names (for VGG the Keras names such as block5_conv3; for containers such as layer4 their last block) and whether it is the default target layer.'
    Inputs      = @('System.String')
    Outputs     = @('HeatmapTools.CamLayer')
    Parameters  = @{
        Model      = 'Architecture. Default vgg16.'
        Name       = 'Only layers whose name or alias matches this wildcard pattern.'
        NumClasses = 'Head size, for a custom model. Default 1000.'
    }
    Examples    = @(
        @{ Code = 'Get-CamLayer -Model vgg16 -Name block5*'; Remarks = 'Shows VGG16''s block 5 layers with their Keras names; block5_conv3 (features.29) is the default.' }
        @{ Code = 'Get-CamLayer resnet50 | Where-Object OutputShape -like "2048x*"'; Remarks = 'Lists ResNet-50''s layers that output 2048 channels.' }
    )
    Links       = @('New-CamHeatmap')
}
