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
        Shard = 'This node''s share of the images, k/N, as for New-CamHeatmap.'
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
        CascadeSeed  = 'Seed of the re-initialised weights. Default 0.'
        MaxSteps     = 'Randomise at most this many layers (from the output down). Default: all layers with weights.'
        Threshold    = 'The check passes when the final rank correlation is below this. Default 0.5.'
        PlotPath     = 'A folder for one PNG figure per map, named <image>_<method>_<class>_sanity.png (created when missing).'
        Force        = 'Overwrite existing figures.'
        MapTensor    = 'Not typed by hand: bound by name from New-CamHeatmap results, whose map (held as a tensor) is used instead of computing it again when it is the very map asked for (same model, weights, input size, method, layer, class and smoothing) and still held.'
        Model        = 'Architecture (see Get-ClassPrediction).'
        WeightsPath  = 'A weights file (see Get-ClassPrediction).'
        Weights      = 'Pretrained (default) or Random.'
        Seed         = 'Seed for -Weights Random.'
        NumClasses   = 'Head size for a custom model. Default 1000.'
        Labels       = 'Class names (see Get-ClassPrediction).'
        Offline      = 'Never download weights.'
        Resize       = 'Stretch (default) or CenterCrop.'
        BatchSize    = 'Images per batch. Default 8.'
    }
    Examples    = @(
        @{ Code = "Test-CamSanity -Path cat.png -Model squeezenet1_1 -Method GradCAM, EigenCAM -PlotPath ./sanity | Format-Table Method, Passed, FinalSpearman"; Remarks = 'Checks two methods on one photo and draws the cascade for each.' }
        @{ Code = "(Test-CamSanity -Path cat.png -Model squeezenet1_1).Steps | Format-Table"; Remarks = 'Shows the similarity to the original map after each layer was randomised.' }
    )
    Links       = @('New-CamHeatmap', 'Measure-CamFaithfulness')
}
