#!/usr/bin/env python3
"""Quantus references for Measure-Explanation's metrics (issue 37).

Needs Debian's python3-torch, python3-torchvision, python3-skimage, a Quantus 0.6.0 tree and a Captum checkout on
PYTHONPATH (Quantus imports Captum), the shared data and the Captum attributions made by make_attribution_references.py:
    git -C <quantus clone> archive v0.6.0 quantus | tar -x -C /tmp/q060
    PYTHONPATH=/tmp/q060:/path/to/captum /usr/bin/python3 tests/reference/make_explanation_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution tests/HeatmapTools.Engine.Tests/TestData/explanation
SqueezeNet 1.1 with the shared real weights. Per case (an image's network input from the attribution references) it
judges four explanations, each one 224 x 224 array as Quantus's own explain functions give them (a Captum attribution
summed over channels; pytorch-grad-cam's Grad-CAM map from the shared references), against two masks (<mask>.mask.npy),
and writes every metric's scores to metrics.json.

Quantus orders features with numpy's default argsort (quicksort), which leaves equal values in an order of the sort's
choosing; the engine takes equal values in index order. The references are made with argsort set to kind='stable' in
Quantus's modules; the script also runs the curves with Quantus unchanged and records the largest difference. Region
Perturbation's patch sums do not tie here (difference 0). Pixel Flipping broadcasts the explanation over the three
channels, so every pixel's three features tie, and a step that is not a multiple of three cuts through them: with
Quantus unchanged its curves move by up to 0.013 (Grad-CAM, chelsea) and 0.005 for the attributions.
"""
import functools, json, os, sys
import numpy as np, torch, torchvision
import quantus

shared, attribution, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)
model = torchvision.models.squeezenet1_1(weights=None)
model.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
model.eval()

cases = json.load(open(os.path.join(attribution, 'cases.json')))['cases']
IMAGES = {'chelsea': 'chelsea', 'coffee': 'coffee', 'both_t281': 'gradcam_both'}


def explanations(case):
    found = {}
    for name in ('IntegratedGradients', 'Saliency', 'InputXGradient'):
        found[name] = np.load(os.path.join(attribution, f'{case}.{name}.npy')).sum(axis=0)
    reference = 'squeezenet1_1_target281' if case == 'both_t281' else 'squeezenet1_1'
    found['GradCAM'] = np.load(os.path.join(shared, 'reference', reference, f'{IMAGES[case]}.GradCAM.npy'))
    return found


def masks():
    yy, xx = np.mgrid[0:224, 0:224]
    box = np.zeros((224, 224), np.float32)
    box[40:150, 60:171] = 1
    disc = (((yy - 120) ** 2 + (xx - 100) ** 2) <= 55 ** 2).astype(np.float32)
    return {'box': box, 'disc': disc}


STABLE = np.argsort


def stable_argsort(a, axis=-1, kind=None, order=None):
    return STABLE(a, axis=axis, kind='stable', order=order)


def run(metric, x, y, a, s=None, stable=True):
    patched = []
    if stable:
        stable_np = type(sys)('numpy_stable_argsort')
        stable_np.__dict__.update({k: v for k, v in np.__dict__.items() if not k.startswith('__')})
        stable_np.argsort = stable_argsort
        for name in list(sys.modules):
            m = sys.modules[name]
            if name.startswith('quantus.') and getattr(m, 'np', None) is np:
                m.np = stable_np
                patched.append(m)
    try:
        result = metric(model=model, x_batch=x, y_batch=np.array([y]), a_batch=a[None, None].astype(np.float32),
                        s_batch=None if s is None else s[None, None], device='cpu')
    finally:
        for m in patched:
            m.np = np
    return np.asarray(result[0], dtype=np.float64).tolist() if np.ndim(result[0]) else float(result[0])


SETTINGS = {
    'Sparseness': {},
    'Complexity': {},
    'EffectiveComplexity': {'eps': 1e-5},
    'PointingGame': {},
    'RelevanceRankAccuracy': {},
    'RelevanceMassAccuracy': {},
    'TopKIntersection': {'k': 1000},
    'TopKIntersection_k5000': {'k': 5000},
    'AttributionLocalisation': {},
    'PixelFlipping': {'features_in_step': 224 * 4, 'perturb_baseline': 'black'},
    'PixelFlipping_white': {'features_in_step': 224 * 7, 'perturb_baseline': 'white'},
    'RegionPerturbation': {'patch_size': 16, 'regions_evaluation': 30, 'order': 'morf', 'perturb_baseline': 'black'},
    'RegionPerturbation_lerf': {'patch_size': 14, 'regions_evaluation': 20, 'order': 'lerf', 'perturb_baseline': 'black'},
}
LOCALISATION = {'PointingGame', 'RelevanceRankAccuracy', 'RelevanceMassAccuracy', 'TopKIntersection', 'AttributionLocalisation'}
CURVES = {'PixelFlipping', 'RegionPerturbation'}


def metric_for(name):
    base = name.split('_')[0]
    kwargs = dict(SETTINGS[name], disable_warnings=True)
    return base, getattr(quantus, base)(**kwargs)


results, ties = {}, {}
mask_arrays = masks()
for mask, array in mask_arrays.items():
    np.save(os.path.join(out, f'{mask}.mask.npy'), array)
for case, info in cases.items():
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    y = info['target']
    for explanation, a in explanations(case).items():
        key = f'{case}.{explanation}'
        results[key] = {}
        for name in SETTINGS:
            base, metric = metric_for(name)
            if base in LOCALISATION:
                for mask, s in mask_arrays.items():
                    results[key][f'{name}.{mask}'] = run(metric, x, y, a, s)
            else:
                results[key][name] = run(metric, x, y, a)
                if base in CURVES:
                    plain = run(metric_for(name)[1], x, y, a, stable=False)
                    ties[f'{key}.{name}'] = float(np.max(np.abs(np.array(plain) - np.array(results[key][name]))))
        print(key, {k: (round(v, 5) if isinstance(v, float) else f'{len(v)} points') for k, v in results[key].items()}, flush=True)

with open(os.path.join(out, 'metrics.json'), 'w') as f:
    json.dump({'settings': SETTINGS, 'quantus': quantus.__version__, 'results': results,
               'largest_difference_with_quantus_default_argsort': ties}, f, indent=1)
