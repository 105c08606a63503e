@{
    # Help for the pixel attribution settings every cmdlet that makes maps takes (Build-Help.ps1 merges them in).
    Parameters = @{
        Steps       = 'With -Method IntegratedGradients: the points along the path from the baseline to the image (Captum''s n_steps). Default 50.'
        Integration = 'With -Method IntegratedGradients: how the path integral is approximated, GaussLegendre (Captum''s default), RiemannLeft, RiemannRight, RiemannMiddle or RiemannTrapezoid.'
        Baseline    = 'With -Method IntegratedGradients or Occlusion: what the image is compared with, Zero (zero in the network''s input space: the mean colour after ImageNet normalisation; Captum''s baselines=0) Blur (the image blurred, 11 x 11, sigma 5), Uniform (uniform noise between the image''s smallest and largest value at the network input, seeded by -TunnelSeed, the same pattern for every image) or Image (the -BaselineImage file). Default Zero.'
        BaselineImage = 'With -Method IntegratedGradients or Occlusion: an image to compare the image with (implies -Baseline Image): a black frame, a reference tile. It is prepared for the network exactly as the image is (size, normalisation, channels), so it must enter the network at the image''s shape; if not, or if it cannot be read, that is BaselineInvalid. Results carry it, so a result piped on uses it again.'
        Window      = 'With -Method Occlusion: the side of the square set to the baseline, in network input pixels, over every channel (Captum''s sliding_window_shapes). Default 16.'
        Stride      = 'With -Method Occlusion: the step between squares (Captum''s strides). Default 8.'
        Sign        = 'With a pixel attribution: what its picture shows (Captum''s visualize_image_attr sign): AbsoluteValue (default), Positive, Negative, or All (0.5 is no attribution). The map is the channels'' sum of the attribution, clipped where the largest 2 % of its mass begins and scaled to 0..1.'
        NoiseTunnel = 'With a pixel attribution: explain -TunnelSamples noisy copies of the image (Gaussian noise) with the method and combine them (Captum''s NoiseTunnel): SmoothGrad (their mean; Smilkov et al. 2017), SmoothGradSquared (the mean of their squares) or VarGrad (their variance; Adebayo et al. 2018). Default None: the image itself.'
        TunnelSamples = 'With -NoiseTunnel: how many noisy copies are explained (Captum''s nt_samples). Default 20.'
        TunnelNoise  = 'With -NoiseTunnel: the noise''s standard deviation as a share of the image''s range at the network input (its largest minus its smallest value), as Smilkov et al. give it; Captum''s stdevs is this times that range. Default 0.15.'
        TunnelSeed   = 'With -NoiseTunnel or -Baseline Uniform: seeds the noise, so the same image, method and seed give the same map. Default 0.'
    }
}
