#!/usr/bin/env python3
"""The PyTorch loop the slide bench compares with: openslide-python reads the same tiles, torchvision's SqueezeNet 1.1
with the same weights classifies them, batch 32, inference mode; prints tiles/s (median of the runs).

    /usr/bin/python3 slide_bench.py <slide> <tiles.json> <squeezenet1_1.pth> <runs>

tiles.json: [[x, y, size], ...] in level-0 pixels. Run with Debian's python3-torch, python3-torchvision and
python3-openslide; for timing, libopenblas0-pthread with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
"""
import json, sys, time
import numpy as np, openslide, torch, torchvision

slide_path, tiles_path, weights, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tiles = json.load(open(tiles_path))
model = torchvision.models.squeezenet1_1()
model.load_state_dict(torch.load(weights))
model.eval()
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)


def run():
    slide = openslide.OpenSlide(slide_path)
    with torch.inference_mode():
        for start in range(0, len(tiles), 32):
            batch = []
            for x, y, size in tiles[start:start + 32]:
                rgb = np.asarray(slide.read_region((x, y), 0, (size, size)).convert('RGB'), np.float32) / 255
                batch.append(((rgb - mean) / std).transpose(2, 0, 1))
            model(torch.from_numpy(np.stack(batch)))
    slide.close()


run()
rates = []
for _ in range(runs):
    clock = time.perf_counter()
    run()
    rates.append(len(tiles) / (time.perf_counter() - clock))
print(sorted(rates)[len(rates) // 2])
