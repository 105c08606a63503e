#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.5 maps for targets other than a class's logit, for the target parity tests.

    /usr/bin/python3 tests/reference/make_target_references.py weights output/zoo-weights
        writes the seeded weights the cases use (bit for bit on any machine with Debian's python3-torch 1.13 and
        python3-torchvision 0.14): resnet18_binary_seed3.pth (torchvision resnet18, num_classes=1, torch.manual_seed(3))
        and resnet50_seed1.pth (torchvision resnet50, torch.manual_seed(1)). build.ps1 runs this before the tests.
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_target_references.py \
        references ../shared output/zoo-weights tests/HeatmapTools.Engine.Tests/TestData/targets
        writes <case>.npy (the map, float32, 224 x 224) and manifest.json.

Targets (pytorch_grad_cam.utils.model_targets unless said): BinaryClassifierOutputTarget(1) and (0) on the one-logit
resnet18; ClassifierOutputSoftmaxTarget on the real SqueezeNet 1.1; a sum of two logits (a target callable written here,
as pytorch-grad-cam takes any callable); the tutorial "Pixel Attribution for embeddings"'s SimilarityToConceptTarget
(cosine similarity of the model output with a concept vector) on resnet50 cut before its fc (its pooled 2,048 features),
the concept being the features of another photo. Inputs as the shared references: cv2.imread, BGR->RGB, cv2.resize
INTER_LINEAR on uint8, /255, ImageNet mean/std. Each case is also computed in float64 and with channels-last float32
weights; a case that moves by more than 2e-5 between those is ill-conditioned and refused (the script exits non-zero).
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision

WEIGHTS = {'resnet18_binary_seed3.pth': ('resnet18', 3, {'num_classes': 1}), 'resnet50_seed1.pth': ('resnet50', 1, {})}

if sys.argv[1] == 'weights':
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for file, (name, seed, kw) in WEIGHTS.items():
        if os.path.exists(os.path.join(out, file)):
            continue
        torch.manual_seed(seed)
        torch.save(getattr(torchvision.models, name)(weights=None, **kw).state_dict(), os.path.join(out, file))
        print('wrote', file)
    sys.exit(0)

import pytorch_grad_cam as pgc
from pytorch_grad_cam.utils.model_targets import BinaryClassifierOutputTarget, ClassifierOutputSoftmaxTarget

_, _, shared, weights, out = sys.argv
os.makedirs(out, exist_ok=True)


class SimilarityToConceptTarget:
    """As the pytorch-grad-cam tutorial "Pixel Attribution for embeddings" defines it."""
    def __init__(self, features):
        self.features = features

    def __call__(self, model_output):
        return torch.nn.CosineSimilarity(dim=0)(model_output, self.features)


class SumTarget:
    def __init__(self, classes):
        self.classes = classes

    def __call__(self, model_output):
        return sum(model_output[c] for c in self.classes)


class FeatureExtractor(torch.nn.Module):
    """resnet50 without its fc: the pooled features, as the tutorial's ResNetFeatureExtractor."""
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.features = torch.nn.Sequential(*list(model.children())[:-1])

    def __call__(self, x):
        return self.features(x)[:, :, 0, 0]


def image(name):
    rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', name)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)


def squeezenet():
    m = torchvision.models.squeezenet1_1(weights=None)
    m.load_state_dict(torch.load(os.path.join(shared, 'models', 'squeezenet1_1.pth')))
    return m.eval()


def seeded(file):
    name, _, kw = WEIGHTS[file]
    m = getattr(torchvision.models, name)(weights=None, **kw)
    m.load_state_dict(torch.load(os.path.join(weights, file)))
    return m.eval()


def similarity_model():
    return FeatureExtractor(seeded('resnet50_seed1.pth')).eval()


def concept(model, name, double=False):
    with torch.no_grad():
        x = image(name)
        return model(x.double() if double else x)[0]


# (case, model maker, layer, image, method, target kind, target argument, the target as HeatmapTools names it)
CASES = []
for method in ('GradCAM', 'GradCAMPlusPlus', 'LayerCAM'):
    CASES += [
        (f'resnet18_binary_positive_chelsea_{method}', 'resnet18_binary', 'layer4', 'chelsea.png', method, 'binary', 1),
        (f'resnet18_binary_negative_chelsea_{method}', 'resnet18_binary', 'layer4', 'chelsea.png', method, 'binary', 0),
        (f'squeezenet1_1_softmax281_both_{method}', 'squeezenet1_1', 'features.12', 'gradcam_both.png', method, 'softmax', 281),
        (f'squeezenet1_1_sum281_243_both_{method}', 'squeezenet1_1', 'features.12', 'gradcam_both.png', method, 'sum', [281, 243]),
        (f'resnet50_similarity_coffee_chelsea_{method}', 'resnet50', 'layer4', 'chelsea.png', method, 'similarity', 'coffee.png'),
    ]
# Seeded resnet50's pooled features are nearly alike for any photo, so the Grad-CAM map of their cosine similarity moves
# by 2e-5 to 2e-4 between float32 and float64 for every pair of the shared photos (and is refused below); Grad-CAM's
# similarity is checked on the real SqueezeNet instead, whose pooled features are its 512 channels averaged.
CASES = [c for c in CASES if c[0] != 'resnet50_similarity_coffee_chelsea_GradCAM']
CASES += [(f'squeezenet1_1_similarity_coffee_chelsea_{m}', 'squeezenet_features', 'features.12', 'chelsea.png', m, 'similarity', 'coffee.png')
          for m in ('GradCAM', 'GradCAMPlusPlus', 'LayerCAM')]


class SqueezeNetFeatures(torch.nn.Module):
    """SqueezeNet 1.1 without its classifier: features averaged over space, as a feature extractor would give them."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def __call__(self, x):
        return torch.nn.functional.adaptive_avg_pool2d(self.model.features(x), 1)[:, :, 0, 0]


MAKERS = {'resnet18_binary': lambda: seeded('resnet18_binary_seed3.pth'), 'squeezenet1_1': squeezenet, 'resnet50': similarity_model,
          'squeezenet_features': lambda: SqueezeNetFeatures(squeezenet()).eval()}


def target_of(kind, arg, model, double):
    if kind == 'binary':
        return BinaryClassifierOutputTarget(arg)
    if kind == 'softmax':
        return ClassifierOutputSoftmaxTarget(arg)
    if kind == 'sum':
        return SumTarget(arg)
    return SimilarityToConceptTarget(concept(model, arg, double))


def run(model, method, layer, x, kind, arg, double=False):
    inner = model.model if isinstance(model, (FeatureExtractor, SqueezeNetFeatures)) else model
    cam = getattr(pgc, method)(model=model, target_layers=[inner.get_submodule(layer)])
    return cam(input_tensor=x, targets=[target_of(kind, arg, model, double)])[0]


manifest, refused = [], []
for case, name, layer, picture, method, kind, arg in CASES:
    model = MAKERS[name]()
    x = image(picture)
    grayscale = run(model, method, layer, x, kind, arg).astype(np.float32)
    spread64 = float(np.abs(run(model.double(), method, layer, x.double(), kind, arg, double=True) - grayscale).max())
    model = model.float().to(memory_format=torch.channels_last)
    spread_cl = float(np.abs(run(model, method, layer, x.contiguous(memory_format=torch.channels_last), kind, arg) - grayscale).max())
    print(case, float(grayscale.min()), float(grayscale.max()), 'float64 spread', spread64, 'channels-last spread', spread_cl)
    if max(spread64, spread_cl) > 2e-5 or float(grayscale.max()) == 0:
        refused.append(case)
        continue
    np.save(os.path.join(out, case + '.npy'), grayscale)
    manifest.append({'case': case, 'model': name, 'layer': layer, 'image': picture, 'method': method, 'target': kind, 'argument': arg,
                     'float64_spread': spread64, 'channels_last_spread': spread_cl})

json.dump({'library': 'pytorch-grad-cam 1.5.5 (commit 084273b) on torch 1.13 / torchvision 0.14',
           'weights': 'make_target_references.py weights (seeded), squeezenet1_1.pth from the shared data', 'cases': manifest},
          open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
if refused:
    sys.exit('ill-conditioned, not written: ' + ', '.join(refused))
