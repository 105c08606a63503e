@{
    Name        = 'New-AttributionMap'
    ParametersFrom = 'New-CamHeatmap'
    Synopsis    = 'Pixel attributions as Captum computes them (Integrated Gradients, Saliency, Input x Gradient, Occlusion, Guided Backprop; SmoothGrad and VarGrad over any of them), written as overlays on the original images.'
    Description = @'
New-AttributionMap says how much each value of the network's input counts for a class: Integrated Gradients (the default; Sundararajan et al. 2017: the input minus a baseline, times the class score's gradient averaged along the straight path from the baseline, by -Integration quadrature with -Steps points), Saliency (the gradient's magnitude; Simonyan et al. 2014), InputXGradient (the input times the gradient; Shrikumar et al. 2016) Occlusion (the score's drop when a -Window square is set to the baseline, slid by -Stride, each value getting the mean drop of the squares over it; Zeiler and Fergus 2014), and GuidedBackprop (the gradient with every ReLU module passing back only positive gradients at positive inputs; Springenberg et al. 2015; ReLUs computed as functions, as in ONNX graphs, are not guided). -NoiseTunnel SmoothGrad, SmoothGradSquared or VarGrad takes any of them over -TunnelSamples copies of the image with Gaussian noise of -TunnelNoise times its range (seeded by -TunnelSeed), as Captum's NoiseTunnel does. The attributions equal Captum's on the same model and input (Saliency, InputXGradient and Occlusion within 1e-4 of the largest magnitude; Integrated Gradients within 1e-4 at the 99th percentile, as Captum's own float32 result differs from its float64 one by up to 1e-3 where the path crosses ReLU kinks).

The picture is the attribution summed over channels, of the -Sign asked for, divided by the value where the largest 2 % of its mass begins and clipped (Captum's visualize_image_attr scaling), drawn in -Colormap over the image at -Alpha as New-CamHeatmap draws maps; with -MapFormat the picture is saved as the raw map, and the attribution itself as <name>_attribution.npy (float32, channels x height x width at the network input, channels as the network takes them). Results are CamHeatmap objects with Layer "input", carrying the settings, so Measure-CamFaithfulness, Test-CamSanity and Compare-CamHeatmap judge the attribution they were given. Everything else (inputs, models, targets, output names, -SkipExisting, -Shard, -RecordPath, -WhatIf) is as New-CamHeatmap, which takes these methods by -Method too. A class activation map asked for here is refused (MethodNotApplicable): New-CamHeatmap makes those.
'@
    Inputs      = @('System.String', 'System.IO.FileInfo', 'HeatmapTools.ClassPrediction')
    Outputs     = @('HeatmapTools.CamHeatmap')
    Parameters  = @{
        Method = 'The attribution: IntegratedGradients (default), Saliency, InputXGradient, Occlusion or GuidedBackprop; several give one output each.'
        Layer  = 'Not used: attributions are taken at the network input. A result piped on carries Layer "input", which is accepted; any other layer is refused (MethodNotApplicable).'
    }
    Examples    = @(
        @{ Code = 'Get-ChildItem reference.png | New-AttributionMap -Model squeezenet1_1 -Steps 32 -OutputPath ''ig/{name}_{method}.png'' -Force'; Remarks = 'Integrated Gradients (32 Gauss-Legendre points from a zero baseline) of the top class, as an overlay.' }
        @{ Code = 'New-AttributionMap reference.png -Model squeezenet1_1 -Method Saliency, Occlusion -Window 32 -Stride 16 -OutputPath attr -MapFormat Npy -Force'; Remarks = 'Saliency and Occlusion side by side, each with its picture as a raw map and its attribution as attr/reference_cam_<method>_<class>_attribution.npy.' }
        @{ Code = 'New-AttributionMap reference.png -Model squeezenet1_1 -Method Saliency -NoiseTunnel SmoothGrad -TunnelSamples 10 -TunnelNoise 0.15 -TunnelSeed 1 -OutputPath smooth -Force'; Remarks = 'SmoothGrad: the saliency of 10 noisy copies of the image averaged; the same seed gives the same map.' }
    )
    Links       = @('New-CamHeatmap', 'Measure-CamFaithfulness', 'about_HeatmapTools')
}
