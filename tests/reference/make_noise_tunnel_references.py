#!/usr/bin/env python3
"""Captum NoiseTunnel references (SmoothGrad, SmoothGradSquared, VarGrad) for issue 37, checked statistically.

Needs what make_attribution_references.py needs, and its output (the inputs and cases.json):
    PYTHONPATH=/path/to/captum /usr/bin/python3 tests/reference/make_noise_tunnel_references.py \\
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution
SqueezeNet 1.1 with the shared real weights. For each case below, Captum's NoiseTunnel over the method with nt_samples
copies and stdevs = level * (input max - input min) (the module's -TunnelNoise is that share), run with SEEDS torch
seeds; it writes the elementwise mean and standard deviation over the seeds of the attributions
(<image>.<method>.<tunnel>.mean.npy, .std.npy, 3x224x224) and noise_tunnel.json with the settings.
"""
import json, os, sys
import numpy as np, torch, torchvision
from captum.attr import NoiseTunnel, Saliency, InputXGradient

shared, out = sys.argv[1:3]
torch.set_num_threads(1)
model = torchvision.models.squeezenet1_1(weights=None)
model.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
model.eval()
SAMPLES, LEVEL, SEEDS = 10, 0.15, 10
CASES = [('chelsea', 'Saliency', 'smoothgrad'), ('chelsea', 'Saliency', 'vargrad'), ('chelsea', 'InputXGradient', 'smoothgrad_sq'),
         ('coffee', 'Saliency', 'smoothgrad')]
NAMES = {'smoothgrad': 'SmoothGrad', 'smoothgrad_sq': 'SmoothGradSquared', 'vargrad': 'VarGrad'}
cases = json.load(open(os.path.join(out, 'cases.json')))['cases']
written = {}
for image, method, tunnel in CASES:
    x = torch.from_numpy(np.load(os.path.join(out, f'{image}.input.npy')))
    target = cases[image]['target']
    stdev = LEVEL * float(x.max() - x.min())
    explainer = NoiseTunnel(Saliency(model) if method == 'Saliency' else InputXGradient(model))
    runs = []
    for seed in range(SEEDS):
        torch.manual_seed(seed)
        kwargs = {'abs': True} if method == 'Saliency' else {}
        a = explainer.attribute(x.clone(), nt_type=tunnel, nt_samples=SAMPLES, stdevs=stdev, target=target, **kwargs)
        runs.append(a[0].detach().numpy().astype(np.float64))
    runs = np.stack(runs)
    key = f'{image}.{method}.{NAMES[tunnel]}'
    np.save(os.path.join(out, f'{key}.mean.npy'), runs.mean(0).astype(np.float32))
    np.save(os.path.join(out, f'{key}.std.npy'), runs.std(0, ddof=1).astype(np.float32))
    written[key] = {'image': image, 'method': method, 'nt_type': tunnel, 'stdevs': stdev}
with open(os.path.join(out, 'noise_tunnel.json'), 'w') as f:
    json.dump({'cases': written, 'nt_samples': SAMPLES, 'level': LEVEL, 'seeds': SEEDS, 'captum': 'meta-pytorch/captum faac0877'}, f, indent=1)
