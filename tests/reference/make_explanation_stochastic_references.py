#!/usr/bin/env python3
"""Quantus references for Measure-Explanation's stochastic metrics (issue 37): their values over seeds.

Same requirements and arguments as make_explanation_references.py:
    PYTHONPATH=/tmp/q060:/path/to/captum /usr/bin/python3 tests/reference/make_explanation_stochastic_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution tests/HeatmapTools.Engine.Tests/TestData/explanation
FaithfulnessCorrelation, MaxSensitivity and AvgSensitivity draw from from NumPy's global generator; each value here is one Quantus call
after np.random.seed(seed) (its Pearson correlation row by row, as Quantus does on Python < 3.10, since Debian's SciPy
has no pearsonr(axis=)), for seeds 0..SEEDS-1, written to stochastic.json with the mean and standard deviation.
"""
import json, os, sys
import numpy as np, torch, torchvision
import quantus

shared, attribution, out = sys.argv[1:4]
torch.set_num_threads(1)
model = torchvision.models.squeezenet1_1(weights=None)
model.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
model.eval()
cases = json.load(open(os.path.join(attribution, 'cases.json')))['cases']

import scipy.stats


def pearson_rows(a, b, batched=True, **kwargs):
    # Quantus's correlation_pearson for Python < 3.10: Debian's SciPy has no pearsonr(axis=).
    return np.array([scipy.stats.pearsonr(aa, bb)[0] for aa, bb in zip(a, b)])


SEEDS = 10
# Subsets of 224 features (Quantus's default) barely move SqueezeNet's logit: their correlation is noise around 0 (measured:
# -0.04 +- 0.09 for chelsea's Integrated Gradients), which would not tell a right implementation from a wrong one.
SETTINGS = {'FaithfulnessCorrelation': {'nr_runs': 60, 'subset_size': 12544, 'perturb_baseline': 'black'}}


def explanation(case, name):
    if name == 'GradCAM':
        return np.load(os.path.join(shared, 'reference', 'squeezenet1_1', f'{case}.GradCAM.npy'))
    return np.load(os.path.join(attribution, f'{case}.{name}.npy')).sum(axis=0)


results = {}
for case in ('chelsea', 'coffee'):
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    y = cases[case]['target']
    for name in ('IntegratedGradients', 'GradCAM'):
        a = explanation(case, name)[None, None].astype(np.float32)
        for metric_name, settings in SETTINGS.items():
            values = []
            for seed in range(SEEDS):
                np.random.seed(seed)
                metric = getattr(quantus, metric_name)(**settings, similarity_func=pearson_rows, return_aggregate=False, disable_warnings=True)
                values.append(float(metric(model=model, x_batch=x, y_batch=np.array([y]), a_batch=a, device='cpu')[0]))
            results[f'{case}.{name}.{metric_name}'] = {'values': values, 'mean': float(np.mean(values)), 'std': float(np.std(values, ddof=1))}
            print(case, name, metric_name, results[f'{case}.{name}.{metric_name}']['mean'], results[f'{case}.{name}.{metric_name}']['std'], flush=True)

# Max- and Avg-Sensitivity of Captum's Saliency (through quantus.explain, which sums it over channels): noise up to 0.2
# on every feature, 10 noisy copies per call, one call per seed as above.
SENSITIVITY = {'nr_samples': 10, 'lower_bound': 0.2}
for case in ('chelsea', 'coffee'):
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    y = np.array([cases[case]['target']])
    a = quantus.explain(model, x, y, method='Saliency')
    for metric_name in ('MaxSensitivity', 'AvgSensitivity'):
        values = []
        for seed in range(SEEDS):
            np.random.seed(seed)
            metric = getattr(quantus, metric_name)(**SENSITIVITY, disable_warnings=True)
            values.append(float(metric(model=model, x_batch=x, y_batch=y, a_batch=a, explain_func=quantus.explain,
                                       explain_func_kwargs={'method': 'Saliency'}, device='cpu')[0]))
        results[f'{case}.Saliency.{metric_name}'] = {'values': values, 'mean': float(np.mean(values)), 'std': float(np.std(values, ddof=1))}
        print(case, metric_name, results[f'{case}.Saliency.{metric_name}']['mean'], results[f'{case}.Saliency.{metric_name}']['std'], flush=True)

# Random Logit is deterministic (Quantus seeds NumPy with its seed, 42, inside): its score, and the other class it drew,
# found the way it draws it, so the engine can be given the same class.
logit = {}
for case in ('chelsea', 'coffee'):
    x = np.load(os.path.join(attribution, f'{case}.input.npy'))
    y = np.array([cases[case]['target']])
    for method in ('Saliency', 'InputXGradient'):
        a = quantus.explain(model, x, y, method=method)
        metric = quantus.RandomLogit(num_classes=1000, seed=42, disable_warnings=True)
        score = float(metric(model=model, x_batch=x, y_batch=y, a_batch=a, explain_func=quantus.explain,
                             explain_func_kwargs={'method': method}, device='cpu')[0])
        np.random.seed(42)
        index = int(np.random.randint(0, 999, 1)[0])
        other = [c for c in range(1000) if c != y[0]][index]
        logit[f'{case}.{method}'] = {'score': score, 'other_class': other}
        print(case, method, 'RandomLogit', score, other, flush=True)

with open(os.path.join(out, 'stochastic.json'), 'w') as f:
    json.dump({'settings': SETTINGS, 'sensitivity': SENSITIVITY, 'seeds': SEEDS, 'quantus': quantus.__version__,
               'results': results, 'random_logit': logit}, f, indent=1)
