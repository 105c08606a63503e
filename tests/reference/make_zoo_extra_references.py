#!/usr/bin/env python3
"""pytorch-grad-cam maps at layers, photos and methods the shared zoo references do not cover.

Needs Debian's python3-torch, python3-torchvision, python3-opencv, python3-matplotlib, python3-scipy, python3-sklearn,
python3-tqdm, a checkout of pytorch-grad-cam at commit 084273b (1.5.5) and of qubvel/ttach on PYTHONPATH, and the seeded
weights that ../shared/tools/make_zoo_weights.py writes:
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_zoo_extra_references.py \
        ../shared output/zoo-weights tests/HeatmapTools.Engine.Tests/TestData/zoo_extra
Writes <case>.npy (the map, float32, size x size) and manifest.json (model, layer, image, method, target, size).
Inputs are prepared as the shared references were: cv2.imread, BGR->RGB, cv2.resize INTER_LINEAR on uint8, /255,
ImageNet mean/std. The target is the seeded model's top-1 class unless a case names one.
Each case is also computed in float64 and with channels-last float32 weights (how HeatmapTools runs convolutions); a case
whose map moves by more than 2e-5 between those is ill-conditioned (float rounding alone would fail a 1e-4 comparison)
and is refused: the script names it and exits non-zero. The spreads are recorded in the manifest.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
import pytorch_grad_cam as pgc
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

shared, weights, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)

def vit_reshape(t):
    n = t.shape[1] - 1; s = int(round(n ** 0.5))
    return t[:, 1:, :].reshape(t.size(0), s, s, t.size(2)).permute(0, 3, 1, 2)

def swin_reshape(t):
    return t.permute(0, 3, 1, 2)

# (case, model, layer, image, method, target or None)
CASES = [
    ('densenet121_denselayer16_conv2_coffee_GradCAM', 'densenet121', 'features.denseblock4.denselayer16.conv2', 'coffee.png', 'GradCAM', None),
    ('resnext50_layer4.2.conv3_coffee_GradCAMPlusPlus', 'resnext50_32x4d', 'layer4.2.conv3', 'coffee.png', 'GradCAMPlusPlus', None),
    ('efficientnet_b0_features.6.3_coffee_LayerCAM', 'efficientnet_b0', 'features.6.3', 'coffee.png', 'LayerCAM', None),
    ('efficientnet_b0_features.6.3.block.3_chelsea_GradCAM', 'efficientnet_b0', 'features.6.3.block.3', 'chelsea.png', 'GradCAM', None),
    ('vit_b_16_encoder_layer_9.ln_1_coffee_GradCAM', 'vit_b_16', 'encoder.layers.encoder_layer_9.ln_1', 'coffee.png', 'GradCAM', None),
    ('swin_t_features.5.3.norm1_coffee_GradCAM', 'swin_t', 'features.5.3.norm1', 'coffee.png', 'GradCAM', None),
    ('convnext_tiny_features.5.8_chelsea_GradCAM', 'convnext_tiny', 'features.5.8', 'chelsea.png', 'GradCAM', None),
    ('mobilenet_v3_large_features.12.block.2_coffee_GradCAM', 'mobilenet_v3_large', 'features.12.block.2', 'coffee.png', 'GradCAM', None),
    ('regnet_y_400mf_trunk_output.block3_both_t281_GradCAM', 'regnet_y_400mf', 'trunk_output.block3', 'gradcam_both.png', 'GradCAM', 281),
    ('googlenet_inception4e_coffee_GradCAM', 'googlenet', 'inception4e', 'coffee.png', 'GradCAM', None),
    # inception_v3 is left out: its seeded initialisation grows activations to ~1e6 by Mixed_6e, where float32 rounding
    # alone moves the map by more than 2e-5 (the shared reference at Mixed_7c still covers it).
    ('resnext50_layer4_coffee_HiResCAM', 'resnext50_32x4d', 'layer4', 'coffee.png', 'HiResCAM', None),
    ('vgg16_bn_features.40_coffee_XGradCAM', 'vgg16_bn', 'features.40', 'coffee.png', 'XGradCAM', None),
    ('mobilenet_v2_features.17_coffee_GradCAMElementWise', 'mobilenet_v2', 'features.17', 'coffee.png', 'GradCAMElementWise', None),
    ('wide_resnet50_2_layer3_coffee_GradCAM', 'wide_resnet50_2', 'layer3', 'coffee.png', 'GradCAM', None),
    ('densenet121_features.transition3.conv_both_t281_LayerCAM', 'densenet121', 'features.transition3.conv', 'gradcam_both.png', 'LayerCAM', 281),
]

def run(model, method, layer, x, target, reshape):
    cam = getattr(pgc, method)(model=model, target_layers=[model.get_submodule(layer)], reshape_transform=reshape)
    return cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0]

manifest, refused = [], []
for case, name, layer, image, method, target in CASES:
    zoo = json.load(open(os.path.join(shared, 'reference', 'zoo', name, 'manifest.json')))
    kw = {'aux_logits': False, 'init_weights': True} if name in ('googlenet', 'inception_v3') else {}
    model = getattr(torchvision.models, name)(weights=None, **kw)
    model.load_state_dict(torch.load(os.path.join(weights, zoo['weights'])))
    model.eval()
    size = zoo['size']
    rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', image)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    x = torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)
    if target is None:
        with torch.no_grad():
            target = int(model(x).argmax(1))
    reshape = vit_reshape if name.startswith('vit') else swin_reshape if name.startswith('swin') else None
    grayscale = run(model, method, layer, x, target, reshape).astype(np.float32)
    spread64 = float(np.abs(run(model.double(), method, layer, x.double(), target, reshape) - grayscale).max())
    model = model.float().to(memory_format=torch.channels_last)
    spread_cl = float(np.abs(run(model, method, layer, x.contiguous(memory_format=torch.channels_last), target, reshape) - grayscale).max())
    print(case, target, float(grayscale.min()), float(grayscale.max()), 'float64 spread', spread64, 'channels-last spread', spread_cl)
    if max(spread64, spread_cl) > 2e-5:
        refused.append(case)
        continue
    np.save(os.path.join(out, case + '.npy'), grayscale)
    manifest.append({'case': case, 'model': name, 'layer': layer, 'image': image, 'method': method, 'target': target, 'size': size,
                     'float64_spread': spread64, 'channels_last_spread': spread_cl})
# torchvision's own Inception v3 checkpoint is loaded with transform_input=True (its weights expect inputs in [-1, 1]):
# the logits of the seeded weights with that transform, for the test that HeatmapTools applies it to the official file
# only. (Inception rather than GoogLeNet: the seeded GoogLeNet's logits hardly depend on its input.)
model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True, transform_input=True)
model.load_state_dict(torch.load(os.path.join(weights, 'inception_v3_seed1.pth')))
model.eval()
rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', 'chelsea.png')), cv2.COLOR_BGR2RGB)
x = cv2.resize(rgb, (299, 299), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
with torch.no_grad():
    logits = model(torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0))[0].numpy().astype(np.float32)
np.save(os.path.join(out, 'inception_v3_transform_input.chelsea.logits.npy'), logits)

json.dump({'library': 'pytorch-grad-cam 1.5.5 (commit 084273b) on torch 1.13 / torchvision 0.14', 'weights': 'make_zoo_weights.py (torch.manual_seed(1))',
           'cases': manifest}, open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
if refused:
    sys.exit('ill-conditioned, not written: ' + ', '.join(refused))
