@{
    # Help for the pixel attribution settings every cmdlet that makes maps takes (Build-Help.ps1 merges them in).
    Parameters = @{
        Steps       = 'With -Method IntegratedGradients: the points along the path from the baseline to the image (Captum''s n_steps). Default 50.'
        Integration = 'With -Method IntegratedGradients: how the path integral is approximated, GaussLegendre (Captum''s default), RiemannLeft, RiemannRight, RiemannMiddle or RiemannTrapezoid.'
        Baseline    = 'With -Method IntegratedGradients or Occlusion: what the image is compared with, Zero (zero in the network''s input space: the mean colour after ImageNet normalisation; Captum''s baselines=0) or Blur (the image blurred, 11 x 11, sigma 5). Default Zero.'
        Window      = 'With -Method Occlusion: the side of the square set to the baseline, in network input pixels, over every channel (Captum''s sliding_window_shapes). Default 16.'
        Stride      = 'With -Method Occlusion: the step between squares (Captum''s strides). Default 8.'
        Sign        = 'With a pixel attribution: what its picture shows (Captum''s visualize_image_attr sign): AbsoluteValue (default), Positive, Negative, or All (0.5 is no attribution). The map is the channels'' sum of the attribution, clipped where the largest 2 % of its mass begins and scaled to 0..1.'
    }
}
