#!/usr/bin/env python3
"""Exports the seeded torchvision models behind ../shared/reference/zoo to ONNX, as a user would, for the test that an
ONNX export gives the built-in family's maps.

    /usr/bin/python3 tests/reference/export_zoo_onnx.py ../shared output/zoo-weights output/zoo-onnx [MODEL ...]

Needs Debian's python3-torch and python3-torchvision and the weights ../shared/tools/make_zoo_weights.py writes. Writes
<model>.onnx (opset 17, dynamic batch; opset 13 with a static batch for every other model, so both kinds are covered) and
prints one line per model; a model whose export fails is named and the script exits non-zero.
"""
import json, os, sys, warnings
import torch, torchvision

warnings.filterwarnings('ignore')
shared, weights, out = sys.argv[1:4]
wanted = sys.argv[4:]
os.makedirs(out, exist_ok=True)
failed = []
zoo = sorted(os.listdir(os.path.join(shared, 'reference', 'zoo')))
for k, name in enumerate(zoo):
    if wanted and name not in wanted:
        continue
    manifest = json.load(open(os.path.join(shared, 'reference', 'zoo', name, 'manifest.json')))
    kw = {'aux_logits': False, 'init_weights': True} if name in ('googlenet', 'inception_v3') else {}
    model = getattr(torchvision.models, name)(weights=None, **kw)
    model.load_state_dict(torch.load(os.path.join(weights, manifest['weights'])))
    model.eval()
    size = manifest['size']
    opset = 17 if k % 2 == 0 else 13
    dynamic = {'input': {0: 'batch'}, 'logits': {0: 'batch'}} if opset == 17 else None
    try:
        torch.onnx.export(model, torch.zeros(1, 3, size, size), os.path.join(out, name + '.onnx'), opset_version=opset,
                          input_names=['input'], output_names=['logits'], dynamic_axes=dynamic)
        print(name, 'opset', opset, 'ok')
    except Exception as e:  # noqa: BLE001 - the model is named and the run fails
        failed.append(name)
        print(name, 'opset', opset, 'FAILED', str(e).splitlines()[0])
if failed:
    sys.exit('export failed: ' + ', '.join(failed))
