#!/usr/bin/env python3
"""Quantus 0.6.0's PixelFlipping on resnet50 (seeded weights), the settings ExplanationBench uses.

    PYTHONPATH=/path/to/quantus-0.6.0:/path/to/captum /usr/bin/python3 explanation_bench.py <runs> <preprocessed .npy inputs...>
The explanation is each pixel's summed magnitude over channels; all images go in one Quantus call (Quantus batches
them). Prints the median over runs of explanations per second, last line alone.
"""
import sys, time, statistics
import numpy as np, torch, torchvision
import quantus

runs, files = int(sys.argv[1]), sys.argv[2:]
torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
x = np.concatenate([np.load(f).reshape(1, 3, 224, 224) for f in files]).astype(np.float32)
with torch.no_grad():
    y = model(torch.from_numpy(x)).argmax(1).numpy()
a = np.abs(x).sum(axis=1, keepdims=True)
metric = quantus.PixelFlipping(features_in_step=1568, perturb_baseline='black', disable_warnings=True)

def once():
    metric(model=model, x_batch=x, y_batch=y, a_batch=a, device='cpu')

once()  # warm-up
rates = []
for _ in range(runs):
    start = time.perf_counter()
    once()
    rates.append(len(files) / (time.perf_counter() - start))
print(statistics.median(rates))
