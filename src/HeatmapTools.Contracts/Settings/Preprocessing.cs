namespace HeatmapTools;

/// <summary>How an image becomes a network input.</summary>
public enum ResizeMode
{
    /// <summary>Resize straight to the input size, bilinear on 8-bit pixels (the Keras recipe, and pytorch-grad-cam's examples).</summary>
    Stretch,
    /// <summary>torchvision's evaluation transform: shorter side to 256, then a centred 224 crop.</summary>
    CenterCrop,
    /// <summary>The whole image scaled to fit, centred, the rest black (as detectors and some medical models are fed).</summary>
    Letterbox,
}

/// <summary>How pixel values are normalised: torchvision's ImageNet mean and std on [0, 1]; Keras's Caffe mode; or [0, 1] alone.</summary>
public enum Normalization { ImageNet, Caffe, None }

/// <summary>How a head's outputs become probabilities.</summary>
public enum HeadActivation
{
    /// <summary>Decided by the model: None when the graph ends in a softmax, Sigmoid for a one-logit head, else Softmax.</summary>
    Auto,
    /// <summary>One class per image: probabilities sum to 1.</summary>
    Softmax,
    /// <summary>Independent classes (a multi-label head, or one logit: P(positive)).</summary>
    Sigmoid,
    /// <summary>The outputs are probabilities already (the network ends in its own softmax or sigmoid).</summary>
    None,
}
