@{
    Name        = 'ConvertTo-StainNormalized'
    Synopsis    = 'Writes images in the stain of a reference tile: Macenko, Reinhard, Ruifrok, Vahadane or a custom stain matrix, as TIAToolbox computes them.'
    Description = 'ConvertTo-StainNormalized fits a stain normaliser once to -Target (a tile of H&E-stained tissue from the site a model was trained at) and writes every image brought to that stain below -OutputPath, each keeping its place relative to the folder all inputs share (a Kaggle IDC tree of patient/0 and patient/1 folders is mirrored). Macenko, Reinhard and Ruifrok equal TIAToolbox''s code within one grey level; Vahadane solves the same sparse factorisation deterministically (TIAToolbox''s, through scikit-learn''s unseeded dictionary learning, changes from run to run). Writes are atomic, never over an input or the target, never over an existing file without -Force. An image with no tissue (a blank background tile) is its StainNoTissue error and the rest go on; a target without tissue or that is not H&E-like stops the command (StainNoTissue, StainNotHAndE), since every image would be cast in its colours. To normalise inside a model run instead, give -StainNormalization and -StainTarget to Get-ClassPrediction, New-CamHeatmap or Get-SlideTile.'
    Inputs      = @('System.String', 'System.IO.FileInfo')
    Outputs     = @('HeatmapTools.StainNormalizedImage')
    Parameters  = @{
        Path        = 'Images to normalise; wildcards are expanded. Strings bind from the pipeline.'
        LiteralPath = 'Images to normalise, taken literally. Files from Get-ChildItem bind here.'
        Method      = 'Macenko (stain vectors from the tissue''s optical density, Macenko 2009), Reinhard (LAB mean and spread, Reinhard 2001), Ruifrok (fixed H&E vectors, Ruifrok 2001), Vahadane (sparse non-negative factorisation, Vahadane 2016) or Custom (-StainMatrix).'
        Target      = 'The reference tile whose stain the images are brought to.'
        StainMatrix = 'With -Method Custom: the stains'' optical density in R, G, B, haematoxylin first (6 numbers; 9 with a third stain), such as 0.65,0.70,0.29,0.07,0.99,0.11. Its stains need not be H&E.'
        OutputPath  = 'The folder the normalised images are written to, below it each image''s path relative to the inputs'' common folder, in the input''s format.'
        Force       = 'Overwrite normalised images that exist (never an input).'
    }
    Examples    = @(
        @{ Code = "Get-ChildItem ./he-tiles -Filter *.png | ConvertTo-StainNormalized -Method Macenko -Target ./reference.png -OutputPath ./normalised"; Remarks = 'Writes each tile in the reference''s stain to ./normalised.' }
        @{ Code = "ConvertTo-StainNormalized ./he-tiles/*.png -Method Reinhard -Target ./reference.png -OutputPath ./normalised | Get-ClassPrediction -Model resnet18 -NumClasses 2 -WeightsPath idc_resnet18.pth -Labels benign, malignant"; Remarks = 'Normalises, then classifies the normalised tiles.' }
        @{ Code = "ConvertTo-StainNormalized ./he-tiles/*.png -Method Custom -StainMatrix 0.65,0.70,0.29,0.07,0.99,0.11 -Target ./reference.png -OutputPath ./normalised"; Remarks = 'Normalises through a stain matrix measured in your lab.' }
    )
    Links       = @('Get-ClassPrediction', 'Get-SlideTile', 'about_HeatmapTools')
}
