#!/usr/bin/env python3
"""Quantus 0.6.0 IROF references, and scikit-image's SLIC superpixels they perturb (issue 37).

Needs what make_explanation_references.py needs:
    PYTHONPATH=/tmp/q060:/path/to/captum /usr/bin/python3 tests/reference/make_irof_references.py \\
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution tests/HeatmapTools.Engine.Tests/TestData/explanation
SqueezeNet 1.1 with the shared real weights; the three cases and four explanations of make_explanation_references.py.
Writes <case>.slic.npy (the segments Quantus's get_superpixel_segments gives for the case's network input, scikit-image
0.19's slic with start_label 0) and irof.json: each explanation's IROF (Quantus's defaults: slic, perturb_baseline
'mean', softmax) with Quantus's argsort made stable (segment means do not tie here: recorded as the difference from
Quantus unchanged). Quantus's IROF cannot run on a three-channel image as released: its one-channel segment mask fails
its perturb function's shape assert; the mask is broadcast over the channels here (see broadcast()).
"""
import json, os, sys
import numpy as np
sys.argv.insert(4, '--')  # keep make_explanation_references' argument layout
shared, attribution, out = sys.argv[1:4]
import importlib.util
spec = importlib.util.spec_from_file_location('explanation_references', os.path.join(os.path.dirname(__file__), 'make_explanation_references.py'))
import quantus
from quantus.helpers import utils

# Reuse the model, cases and run() of the main script without running it.
source = open(spec.origin).read().split('\nSETTINGS = {')[0]
namespace = {'__name__': 'explanation_references', '__file__': spec.origin}
sys_argv = sys.argv
exec(compile(source, spec.origin, 'exec'), namespace)
cases, explanations, run = namespace['cases'], namespace['explanations'], namespace['run']

def broadcast(metric):
    # Quantus's IROF hands its perturb function a one-channel mask with a three-channel image, which its own assert refuses
    # (0.6.0 and the repository's head alike): the segment's mask is broadcast over the channels, as IROF means it.
    perturb = metric.perturb_func
    metric.perturb_func = lambda arr, mask, **kwargs: perturb(arr=arr, mask=np.broadcast_to(mask, arr.shape), **kwargs)
    return metric


results, unchanged = {}, 0.0
for case in cases:
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    segments = utils.get_superpixel_segments(img=np.moveaxis(x[0], 0, -1).astype('double'), segmentation_method='slic')
    np.save(os.path.join(out, f'{case}.slic.npy'), segments.astype(np.float32))  # labels as float32, which the tests' reader takes
    y = cases[case]['target']
    for name, a in explanations(case).items():
        metric = lambda: broadcast(quantus.IROF(segmentation_method='slic', perturb_baseline='mean', return_aggregate=False, disable_warnings=True))
        value = run(metric(), x, y, a)
        unchanged = max(unchanged, abs(value - run(metric(), x, y, a, stable=False)))
        results[f'{case}.{name}'] = value
with open(os.path.join(out, 'irof.json'), 'w') as f:
    json.dump({'results': results, 'unstable_argsort_difference': unchanged, 'quantus': '0.6.0'}, f, indent=1)
