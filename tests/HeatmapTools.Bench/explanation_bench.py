#!/usr/bin/env python3
"""Quantus 0.6.0's PixelFlipping on resnet50 (seeded weights), the settings ExplanationBench uses.

    PYTHONPATH=/path/to/quantus-0.6.0:/path/to/captum /usr/bin/python3 explanation_bench.py <runs> [forward=<batch>] <preprocessed .npy inputs...>
The explanation is each pixel's summed magnitude over channels; all images go in one Quantus call (Quantus batches
them). Prints the median over runs of explanations per second, last line alone. With forward=<batch>, the model's
forward passes alone: the 96 perturbed copies of each image Pixel Flipping scores, in batches of <batch> (Quantus
scores a step of every image at once, a batch of as many as there are images), in explanations per second too.
"""
import sys, time, statistics
import numpy as np, torch, torchvision
import quantus

runs, files = int(sys.argv[1]), sys.argv[2:]
forward = None
if files and files[0].startswith('forward='):
    forward, files = int(files[0].split('=')[1]), files[1:]
torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
x = np.concatenate([np.load(f).reshape(1, 3, 224, 224) for f in files]).astype(np.float32)
with torch.no_grad():
    y = model(torch.from_numpy(x)).argmax(1).numpy()
a = np.abs(x).sum(axis=1, keepdims=True)
metric = quantus.PixelFlipping(features_in_step=1568, perturb_baseline='black', disable_warnings=True)

steps = 3 * 224 * 224 // 1568
copies = np.repeat(x, steps, axis=0)

def once():
    if forward is None:
        metric(model=model, x_batch=x, y_batch=y, a_batch=a, device='cpu')
        return
    with torch.no_grad():
        for start in range(0, len(copies), forward):
            model(torch.from_numpy(copies[start:start + forward]))

once()  # warm-up
rates = []
for _ in range(runs):
    start = time.perf_counter()
    once()
    rates.append(len(files) / (time.perf_counter() - start))
print(statistics.median(rates))
