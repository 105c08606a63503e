#!/usr/bin/env python3
"""Quantus references for Measure-Explanation's stochastic metrics (issue 37): their values over seeds.

Same requirements and arguments as make_explanation_references.py:
    PYTHONPATH=/tmp/q060:/path/to/captum /usr/bin/python3 tests/reference/make_explanation_stochastic_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/attribution tests/HeatmapTools.Engine.Tests/TestData/explanation
FaithfulnessCorrelation draws random feature subsets from NumPy's global generator; each value here is one Quantus call
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

with open(os.path.join(out, 'stochastic.json'), 'w') as f:
    json.dump({'settings': SETTINGS, 'seeds': SEEDS, 'quantus': quantus.__version__, 'results': results}, f, indent=1)
