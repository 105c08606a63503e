#!/usr/bin/env python3
"""Monotonicity references: Quantus 0.6.0's Monotonicity with its perturbation put right (issue 37).

Needs what make_explanation_references.py needs:
    PYTHONPATH=/tmp/q060:/path/to/captum /usr/bin/python3 tests/reference/make_monotonicity_references.py \\
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution tests/HeatmapTools.Engine.Tests/TestData/explanation
Quantus's Monotonicity (Arya et al. 2019) starts from an all-baseline input and should put the input's features back,
least relevant first; as released it calls its perturb function (baseline_replacement_by_indices) on that input, which
writes the baseline again, so every step scores the same baseline image and the answer is always True (recorded here as
'as_released'). The reference swaps that one call for one that puts the input's own values back, and keeps the rest of
Quantus's code: abs and normalise, its (stable-patched) argsort, black baseline, softmax, np.all(np.diff(preds) >= 0).
It records each case's answer and the probability after every step (read off Quantus's model wrapper) in
monotonicity.json; features_in_step 896 (4 rows of 224, 168 steps).
"""
import functools, json, os, sys
import numpy as np
shared, attribution, out = sys.argv[1:4]
import importlib.util
import quantus
from quantus.helpers.model import pytorch_model

spec = importlib.util.spec_from_file_location('explanation_references', os.path.join(os.path.dirname(__file__), 'make_explanation_references.py'))
source = open(spec.origin).read().split('\nSETTINGS = {')[0]
namespace = {'__name__': 'explanation_references', '__file__': spec.origin}
exec(compile(source, spec.origin, 'exec'), namespace)
cases, explanations, run = namespace['cases'], namespace['explanations'], namespace['run']
STEP = 896

recorded = []
predict = pytorch_model.PyTorchModel.predict


def recording(self, x, *args, **kwargs):
    y = predict(self, x, *args, **kwargs)
    recorded.append(np.array(y, dtype=np.float64))
    return y


pytorch_model.PyTorchModel.predict = recording


def put_back(metric, x):
    flat = x.reshape(x.shape[0], -1)

    def perturb(arr, indices, **kwargs):
        arr = arr.copy()
        arr[np.arange(arr.shape[0])[:, None], indices] = flat[np.arange(arr.shape[0])[:, None], indices]
        return arr
    # A partial with the baseline keyword, which Quantus reads off its perturb function for the starting input.
    metric.perturb_func = functools.partial(perturb, perturb_baseline=metric.perturb_func.keywords['perturb_baseline'])
    return metric


results, released = {}, {}
for case in cases:
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    y = cases[case]['target']
    for name, a in explanations(case).items():
        new = lambda: quantus.Monotonicity(features_in_step=STEP, perturb_baseline='black', disable_warnings=True)
        recorded.clear()
        value = run(put_back(new(), x), x, y, a)
        curve = [float(r[0, y]) for r in recorded]
        results[f'{case}.{name}'] = {'monotonic': bool(value), 'curve': curve}
        released[f'{case}.{name}'] = bool(run(new(), x, y, a))
with open(os.path.join(out, 'monotonicity.json'), 'w') as f:
    json.dump({'results': results, 'as_released': released, 'features_in_step': STEP, 'quantus': '0.6.0'}, f, indent=1)
