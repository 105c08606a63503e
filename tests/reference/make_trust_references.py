#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.5 references for the trust issue: faithfulness metrics, smoothing and Guided Grad-CAM.

Needs Debian's python3-torch, python3-torchvision, python3-opencv, python3-scipy, python3-skimage (and what pytorch_grad_cam imports),
a checkout of pytorch-grad-cam at commit 084273b (1.5.5) and of qubvel/ttach on PYTHONPATH, and the shared data:
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_trust_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/trust
SqueezeNet 1.1 with the shared real weights, target layer features.12, inputs prepared as the shared references were
(cv2.imread, BGR->RGB, cv2.resize INTER_LINEAR on uint8, /255, ImageNet mean/std). Per case it writes
<case>.GradCAM.npy, <case>.aug_smooth.npy, <case>.eigen_smooth.npy (224x224 maps), <case>.guided.npy (the guided
backpropagation gradients, 224x224x3, as GuidedBackpropReLUModel returns them) and <case>.guided_gradcam.npy (the
Grad-CAM map times them), and metrics.json: for each case and for the logit and the softmax score, the three
confidence metrics and ROAD most/least relevant first (noise 0) at every percentile, their averages and ROADCombined,
all on the case's own Grad-CAM map.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.guided_backprop import GuidedBackpropReLUModel
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget, ClassifierOutputSoftmaxTarget
from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange, DropInConfidence, IncreaseInConfidence
from pytorch_grad_cam.metrics.perturbation_confidence import PerturbationConfidenceMetric, RemoveMostRelevantFirst, RemoveLeastRelevantFirst
from pytorch_grad_cam.metrics.road import NoisyLinearImputer

shared, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
model = torchvision.models.squeezenet1_1(weights=None)
model.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
model.eval()
layer = model.features[12]
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]

def prepare(image):
    rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', image)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)

def road(remover, percentile, x, cams, targets):
    metric = PerturbationConfidenceMetric(remover(percentile, NoisyLinearImputer(noise=0)))
    return float(metric(x, cams, targets, model)[0])

CASES = [('chelsea', 'chelsea.png', None), ('coffee', 'coffee.png', None), ('both_t281', 'gradcam_both.png', 281)]
metrics = {}
for case, image, target in CASES:
    x = prepare(image)
    if target is None:
        with torch.no_grad():
            target = int(model(x).argmax(1))
    targets = [ClassifierOutputTarget(target)]
    with GradCAM(model=model, target_layers=[layer]) as cam:
        grayscale = cam(input_tensor=x, targets=targets)
        aug = cam(input_tensor=x, targets=targets, aug_smooth=True)
        eigen = cam(input_tensor=x, targets=targets, eigen_smooth=True)
    np.save(os.path.join(out, f'{case}.GradCAM.npy'), grayscale[0].astype(np.float32))
    np.save(os.path.join(out, f'{case}.aug_smooth.npy'), aug[0].astype(np.float32))
    np.save(os.path.join(out, f'{case}.eigen_smooth.npy'), eigen[0].astype(np.float32))
    guided = GuidedBackpropReLUModel(model=model, device='cpu')(x.clone(), target_category=target)
    np.save(os.path.join(out, f'{case}.guided.npy'), guided.astype(np.float32))
    np.save(os.path.join(out, f'{case}.guided_gradcam.npy'), (cv2.merge([grayscale[0]] * 3) * guided).astype(np.float32))
    entry = {'image': image, 'target': target}
    for score, make in (('Logit', ClassifierOutputTarget), ('Softmax', ClassifierOutputSoftmaxTarget)):
        t = [make(target)]
        m = {
            'CamMultImageConfidenceChange': float(CamMultImageConfidenceChange()(x, grayscale, t, model)[0]),
            'DropInConfidence': float(DropInConfidence()(x, grayscale, t, model)[0]),
            'IncreaseInConfidence': float(IncreaseInConfidence()(x, grayscale, t, model)[0]),
            'ROADMostRelevantFirst': {str(p): road(RemoveMostRelevantFirst, p, x, grayscale, t) for p in PERCENTILES},
            'ROADLeastRelevantFirst': {str(p): road(RemoveLeastRelevantFirst, p, x, grayscale, t) for p in PERCENTILES},
        }
        m['ROADMostRelevantFirstAverage'] = float(np.mean(np.float32(list(m['ROADMostRelevantFirst'].values()))))
        m['ROADLeastRelevantFirstAverage'] = float(np.mean(np.float32(list(m['ROADLeastRelevantFirst'].values()))))
        m['ROADCombined'] = (m['ROADLeastRelevantFirstAverage'] - m['ROADMostRelevantFirstAverage']) / 2
        entry[score] = m
    metrics[case] = entry
    print(case, target, json.dumps(entry['Softmax'])[:300])
json.dump(metrics, open(os.path.join(out, 'metrics.json'), 'w'), indent=1)

# Similarity measures of the sanity check, on pairs of the maps above: SciPy's Spearman correlation (of the values and
# of their absolute values) and scikit-image's default SSIM with data_range 1.
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity
pairs = [('chelsea.GradCAM', 'chelsea.aug_smooth'), ('chelsea.GradCAM', 'coffee.GradCAM'), ('coffee.eigen_smooth', 'both_t281.GradCAM'),
         ('chelsea.guided_gradcam', 'coffee.guided_gradcam')]
similarity = []
for a, b in pairs:
    x = np.load(os.path.join(out, a + '.npy')); y = np.load(os.path.join(out, b + '.npy'))
    if x.ndim == 3: x, y = x.sum(axis=2), y.sum(axis=2)  # signed maps: the guided products summed over colour
    similarity.append({'a': a, 'b': b, 'spearman': float(spearmanr(x.ravel(), y.ravel())[0]),
                       'spearman_abs': float(spearmanr(np.abs(x).ravel(), np.abs(y).ravel())[0]),
                       'ssim': float(structural_similarity(x.astype(np.float64), y.astype(np.float64), data_range=1))})
json.dump(similarity, open(os.path.join(out, 'similarity.json'), 'w'), indent=1)
print(similarity)
