#!/usr/bin/env python3
"""Captum references for pixel attributions (issue 37).

Needs Debian's python3-torch, python3-torchvision, python3-opencv, a checkout of meta-pytorch/captum on PYTHONPATH
(its HEAD imports on Debian's torch 1.13), and the shared data:
    PYTHONPATH=/path/to/captum /usr/bin/python3 tests/reference/make_attribution_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution
SqueezeNet 1.1 with the shared real weights; inputs prepared as the shared references were (cv2.imread, BGR->RGB,
cv2.resize INTER_LINEAR on uint8, /255, ImageNet mean/std). Per case it writes <case>.input.npy (1x3x224x224) and, for
each attribution, <case>.<name>.npy (3x224x224, at the network input) and <case>.<name>.visual.npy (224x224: Captum's
visualize_image_attr normalisation of it, sign absolute_value, outlier_perc 2, channels summed), and cases.json with
each case's target class and the settings used.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
from captum.attr import Saliency, InputXGradient, IntegratedGradients, Occlusion, GuidedBackprop
from captum.attr._utils import visualization as viz

shared, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)
model = torchvision.models.squeezenet1_1(weights=None)
model.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
model.eval()

def prepare(image):
    rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', image)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)

SETTINGS = {
    'Saliency': {},
    'InputXGradient': {},
    'IntegratedGradients': {'n_steps': 32, 'method': 'gausslegendre', 'baselines': 0},
    'IntegratedGradientsRiemannTrapezoid': {'n_steps': 20, 'method': 'riemann_trapezoid', 'baselines': 0},
    'Occlusion': {'sliding_window_shapes': [3, 32, 32], 'strides': [3, 16, 16], 'baselines': 0},
    'GuidedBackprop': {},
}

def attribute(name, x, target):
    if name == 'Saliency':
        return Saliency(model).attribute(x, target=target, abs=True)
    if name == 'InputXGradient':
        return InputXGradient(model).attribute(x, target=target)
    if name.startswith('IntegratedGradients'):
        s = SETTINGS[name]
        return IntegratedGradients(model).attribute(x, baselines=0.0, target=target, n_steps=s['n_steps'], method=s['method'])
    if name == 'GuidedBackprop':
        return GuidedBackprop(model).attribute(x, target=target)
    if name == 'Occlusion':
        s = SETTINGS[name]
        return Occlusion(model).attribute(x, sliding_window_shapes=tuple(s['sliding_window_shapes']), strides=tuple(s['strides']),
                                          baselines=0.0, target=target, perturbations_per_eval=16)
    raise ValueError(name)

CASES = [('chelsea', 'chelsea.png', None), ('coffee', 'coffee.png', None), ('both_t281', 'gradcam_both.png', 281)]
cases = {}
for case, image, target in CASES:
    x = prepare(image)
    if target is None:
        with torch.no_grad():
            target = int(model(x).argmax(1))
    np.save(os.path.join(out, f'{case}.input.npy'), x.numpy().astype(np.float32))
    for name in SETTINGS:
        attr = attribute(name, x.clone(), target)[0].detach().numpy().astype(np.float32)
        np.save(os.path.join(out, f'{case}.{name}.npy'), attr)
        visual = viz._normalize_attr(attr.transpose(1, 2, 0), 'absolute_value', 2, reduction_axis=2)
        np.save(os.path.join(out, f'{case}.{name}.visual.npy'), visual.astype(np.float32))
    cases[case] = {'image': image, 'target': target}
with open(os.path.join(out, 'cases.json'), 'w') as f:
    json.dump({'cases': cases, 'settings': SETTINGS, 'captum': 'meta-pytorch/captum faac0877'}, f, indent=1)
