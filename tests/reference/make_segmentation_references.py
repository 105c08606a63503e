#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.5 maps of torchvision's segmentation models, for the segmentation parity tests.

    /usr/bin/python3 tests/reference/make_segmentation_references.py weights output/zoo-weights
        writes <model>_seed1.pth for fcn_resnet50, deeplabv3_resnet50, deeplabv3_mobilenet_v3_large and
        lraspp_mobilenet_v3_large: torchvision.models.segmentation's models (num_classes=21, aux_loss=True but for
        LR-ASPP, which has none, so the checkpoints hold the auxiliary head a published one has) built after
        torch.manual_seed(1), bit for bit on any machine with Debian's python3-torch 1.13 and python3-torchvision 0.14.
        build.ps1 runs this before the tests.
    /usr/bin/python3 tests/reference/make_segmentation_references.py onnx output/zoo-weights output/zoo-onnx
        exports seeded fcn_resnet50 and deeplabv3_mobilenet_v3_large (without their auxiliary heads) to
        <model>_segmentation.onnx at the references' input size, opset 13, as a user would; build.ps1 runs this too.
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_segmentation_references.py \
        references ../shared output/zoo-weights tests/HeatmapTools.Engine.Tests/TestData/segmentation
        writes region_mask.png, <case>.npy (the map, float32, HEIGHT x WIDTH) and manifest.json; model names after the
        folders make only those models' cases again (the manifest keeps the others').

As pytorch-grad-cam's tutorial "Class Activation Maps for Semantic Segmentation": the model wrapped to return its
"out", SemanticSegmentationTarget(category, mask) (the category's output summed over the mask), target layer
backbone.layer4 (backbone.16, the last module, of a MobileNetV3 backbone). Regions: the pixels the model assigns to the category (argmax over categories; the category is the
one with most pixels other than background, background when it has them all); a rectangle x, y, w, h in the photo's
pixels (a network pixel is in it when its centre, mapped back to the photo, is); a mask image (nonzero pixels, resized
to the network input with nearest-neighbour). Inputs: cv2.imread, BGR->RGB, cv2.resize INTER_LINEAR to WIDTH x HEIGHT
on uint8, /255, ImageNet mean/std. Each case is also computed in float64; one that moves by more than 2e-5 is refused.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
from torchvision.models import segmentation

SEED = 1
WEIGHTED = ('fcn_resnet50', 'deeplabv3_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large')
# pytorch-grad-cam's tutorial explains backbone.layer4 of a ResNet; a MobileNetV3's last backbone module is its counterpart.
LAYER = {'fcn_resnet50': 'backbone.layer4', 'deeplabv3_resnet50': 'backbone.layer4',
         'deeplabv3_mobilenet_v3_large': 'backbone.16', 'lraspp_mobilenet_v3_large': 'backbone.16'}


def build(name):
    # LR-ASPP has no auxiliary head (torchvision refuses aux_loss for it); the others are built with theirs.
    aux = {} if name.startswith('lraspp') else {'aux_loss': True}
    return getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=21, **aux)

WIDTH, HEIGHT = 200, 150
ONNX = ('fcn_resnet50', 'deeplabv3_mobilenet_v3_large')  # not a multiple of the output stride: the upsampling must return exactly the input's size
RECT = (150, 60, 180, 160)  # x, y, w, h in chelsea.png's pixels

mode = sys.argv[1]
if mode == 'weights':
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name in WEIGHTED:
        file = os.path.join(out, f'{name}_seed{SEED}.pth')
        if os.path.exists(file):
            continue
        torch.manual_seed(SEED)
        torch.save(build(name).state_dict(), file)
        print('wrote', file)
    sys.exit(0)

if mode == 'onnx':
    # As a user would export their segmenter: torchvision's model without its auxiliary head, its one output "out", at the
    # references' input size, scopes recorded as node names (torch.onnx.export's default).
    weights, out = sys.argv[2:4]
    os.makedirs(out, exist_ok=True)
    for name in ONNX:
        file = os.path.join(out, f'{name}_segmentation.onnx')
        if os.path.exists(file):
            continue
        model = build(name)
        model.load_state_dict(torch.load(os.path.join(weights, f'{name}_seed{SEED}.pth')))
        model.aux_classifier = None
        torch.onnx.export(model.eval(), torch.zeros(1, 3, HEIGHT, WIDTH), file, opset_version=13, input_names=['input'], output_names=['out'])
        print('wrote', file)
    sys.exit(0)

import pytorch_grad_cam as pgc
from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget

shared, weights, out = sys.argv[2:5]
# Models named after the folders are made again alone; the manifest keeps the other models' cases.
only = sys.argv[5:] or list(WEIGHTED)
os.makedirs(out, exist_ok=True)
photo = os.path.join(shared, 'images', 'chelsea.png')
bgr = cv2.imread(photo)
H0, W0 = bgr.shape[:2]

# The mask image: an ellipse over part of the photo, at the photo's size.
mask_image = np.zeros((H0, W0), np.uint8)
cv2.ellipse(mask_image, (W0 // 2, H0 // 2), (W0 // 5, H0 // 4), 0, 0, 360, 255, -1)
cv2.imwrite(os.path.join(out, 'region_mask.png'), mask_image)


class SegmentationModelOutputWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


def load(name):
    model = build(name)
    model.load_state_dict(torch.load(os.path.join(weights, f'{name}_seed{SEED}.pth')))
    return SegmentationModelOutputWrapper(model.eval()).eval()


def image():
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)


def rect_mask():
    xs = (np.arange(WIDTH) + 0.5) * W0 / WIDTH
    ys = (np.arange(HEIGHT) + 0.5) * H0 / HEIGHT
    x, y, w, h = RECT
    return ((ys[:, None] >= y) & (ys[:, None] < y + h) & (xs[None, :] >= x) & (xs[None, :] < x + w)).astype(np.float32)


def file_mask():
    return (cv2.resize(mask_image, (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST) > 0).astype(np.float32)


def category_and_mask(model, x, region):
    with torch.no_grad():
        predicted = model(x)[0].argmax(0).numpy()
    counts = np.bincount(predicted.ravel(), minlength=21)
    category = int(np.argmax(counts[1:]) + 1) if counts[1:].sum() > 0 else 0
    if region == 'predicted':
        return category, (predicted == category).astype(np.float32)
    return category, rect_mask() if region == 'rect' else file_mask()


def run(model, method, x, category, mask, layer):
    cam = getattr(pgc, method)(model=model, target_layers=[model.model.get_submodule(layer)])
    return cam(input_tensor=x, targets=[SemanticSegmentationTarget(category, mask)])[0]


manifest_file = os.path.join(out, 'manifest.json')
kept = json.load(open(manifest_file))['cases'] if os.path.exists(manifest_file) else []
manifest, refused = [c for c in kept if c['model'] not in only], []
for name in only:
    for region in ('predicted', 'rect', 'mask'):
        for method in ('GradCAM', 'GradCAMPlusPlus', 'LayerCAM'):
            case = f'{name}_{region}_chelsea_{method}'
            model, x = load(name), image()
            category, mask = category_and_mask(model, x, region)
            grayscale = run(model, method, x, category, mask, LAYER[name]).astype(np.float32)
            spread64 = float(np.abs(run(model.double(), method, x.double(), category, mask, LAYER[name]) - grayscale).max())
            print(case, 'category', category, 'mask pixels', int(mask.sum()), float(grayscale.min()), float(grayscale.max()), 'float64 spread', spread64)
            if spread64 > 2e-5 or float(grayscale.max()) == 0:
                refused.append(case)
                continue
            np.save(os.path.join(out, case + '.npy'), grayscale)
            manifest.append({'case': case, 'model': name, 'layer': LAYER[name], 'image': 'chelsea.png', 'width': WIDTH, 'height': HEIGHT,
                             'method': method, 'region': region, 'rect': list(RECT) if region == 'rect' else None, 'category': category,
                             'mask_pixels': int(mask.sum()), 'float64_spread': spread64})

json.dump({'library': 'pytorch-grad-cam 1.5.5 (commit 084273b) on torch 1.13 / torchvision 0.14',
           'weights': f'make_segmentation_references.py weights (seed {SEED})', 'cases': manifest},
          open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
if refused:
    sys.exit('ill-conditioned, not written: ' + ', '.join(refused))
