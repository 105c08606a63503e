#!/usr/bin/env python3
"""Seeded resnet50 and vit_b_16 for the ONNX bench: each model's state dict and its ONNX export (opset 17, dynamic batch),
so the built-in family and the graph run the very same weights.

    /usr/bin/python3 tests/HeatmapTools.Bench/make_onnx_bench_models.py OUTDIR
"""
import os, sys, warnings
import torch, torchvision

warnings.filterwarnings('ignore')
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name in ('resnet50', 'vit_b_16'):
    if os.path.exists(os.path.join(out, name + '.onnx')):
        continue
    torch.manual_seed(1)
    model = getattr(torchvision.models, name)(weights=None).eval()
    torch.save(model.state_dict(), os.path.join(out, name + '_seed1.pth'))
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), os.path.join(out, name + '.onnx'), opset_version=17,
                      input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    print(name, 'written')
