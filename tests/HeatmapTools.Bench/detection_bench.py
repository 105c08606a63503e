#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.5's Faster R-CNN tutorial loop on fasterrcnn_mobilenet_v3_large_320_fpn, as DetectionBench times ours.

    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 detection_bench.py <weights.pth> <runs> <photos...>
Per photo: the model's detections (torchvision's defaults), then EigenCAM at model.backbone with
fasterrcnn_reshape_transform and FasterRCNNBoxScoreTarget on those detections, as the tutorial runs it. Inputs are the
photos as [0, 1] RGB tensors, read once before timing; PyTorch on every core. Prints the median over runs of the photos per second, last line alone.
"""
import os, sys, time, statistics
import cv2, torch, torchvision
from pytorch_grad_cam import EigenCAM
from pytorch_grad_cam.utils.model_targets import FasterRCNNBoxScoreTarget

weights, runs, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# Debian's PyTorch starts with one OpenMP thread on this VM (omp_get_max_threads() is 1 on 2 cores): every core, as ours.
torch.set_num_threads(os.cpu_count())
model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None, num_classes=91)
model.load_state_dict(torch.load(weights))
model.eval()
photos = [torch.from_numpy(cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB)).permute(2, 0, 1).float() / 255 for f in files]


def reshape(x):
    size = x['pool'].size()[-2:]
    return torch.cat([torch.nn.functional.interpolate(torch.abs(v), size, mode='bilinear') for v in x.values()], 1)


cam = EigenCAM(model, target_layers=[model.backbone], reshape_transform=reshape)


def once():
    for photo in photos:
        with torch.no_grad():
            found = model([photo])[0]
        targets = [FasterRCNNBoxScoreTarget(labels=found['labels'].tolist(), bounding_boxes=found['boxes'].numpy())]
        cam(photo[None], targets=targets)


once()  # warm-up
rates = []
for _ in range(runs):
    start = time.perf_counter()
    once()
    rates.append(len(photos) / (time.perf_counter() - start))
print(statistics.median(rates))
