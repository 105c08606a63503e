#!/usr/bin/env python3
"""Captum's Integrated Gradients and Occlusion on resnet50 (seeded weights), the settings AttributionBench uses.

    PYTHONPATH=/path/to/captum /usr/bin/python3 attribution_bench.py <method> <runs> <preprocessed .npy inputs...>
Prints the median over runs of the images per second (each image attributed once per run), last line alone.
"""
import sys, time, statistics
import numpy as np, torch, torchvision
from captum.attr import IntegratedGradients, Occlusion

method, runs, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
inputs = [torch.from_numpy(np.load(f)).reshape(1, 3, 224, 224) for f in files]
with torch.no_grad():
    targets = [int(model(x).argmax(1)) for x in inputs]

def once():
    for x, t in zip(inputs, targets):
        if method == 'IntegratedGradients':
            IntegratedGradients(model).attribute(x, baselines=0.0, target=t, n_steps=32, method='gausslegendre', internal_batch_size=16)
        else:
            Occlusion(model).attribute(x, sliding_window_shapes=(3, 32, 32), strides=(3, 16, 16), baselines=0.0, target=t, perturbations_per_eval=16)

once()  # warm-up
rates = []
for _ in range(runs):
    start = time.perf_counter()
    once()
    rates.append(len(inputs) / (time.perf_counter() - start))
print(statistics.median(rates))
