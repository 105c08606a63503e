#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.5 maps of torchvision's segmentation models, for the segmentation parity tests.

    /usr/bin/python3 tests/reference/make_segmentation_references.py weights output/zoo-weights
        writes fcn_resnet50_seed1.pth and deeplabv3_resnet50_seed1.pth: torchvision.models.segmentation's models
        (num_classes=21, aux_loss=True, so the checkpoints hold the auxiliary head a published one has) built after
        torch.manual_seed(1), bit for bit on any machine with Debian's python3-torch 1.13 and python3-torchvision 0.14.
        build.ps1 runs this before the tests.
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_segmentation_references.py \
        references ../shared output/zoo-weights tests/HeatmapTools.Engine.Tests/TestData/segmentation
        writes region_mask.png, <case>.npy (the map, float32, HEIGHT x WIDTH) and manifest.json.

As pytorch-grad-cam's tutorial "Class Activation Maps for Semantic Segmentation": the model wrapped to return its
"out", SemanticSegmentationTarget(category, mask) (the category's output summed over the mask), target layer
backbone.layer4. Regions: the pixels the model assigns to the category (argmax over categories; the category is the
one with most pixels other than background, background when it has them all); a rectangle x, y, w, h in the photo's
pixels (a network pixel is in it when its centre, mapped back to the photo, is); a mask image (nonzero pixels, resized
to the network input with nearest-neighbour). Inputs: cv2.imread, BGR->RGB, cv2.resize INTER_LINEAR to WIDTH x HEIGHT
on uint8, /255, ImageNet mean/std. Each case is also computed in float64; one that moves by more than 2e-5 is refused.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
from torchvision.models import segmentation

SEED = 1
WEIGHTED = ('fcn_resnet50', 'deeplabv3_resnet50')
WIDTH, HEIGHT = 200, 150  # not a multiple of the output stride: the upsampling must return exactly the input's size
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
        torch.save(getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=21, aux_loss=True).state_dict(), file)
        print('wrote', file)
    sys.exit(0)

import pytorch_grad_cam as pgc
from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget

_, _, shared, weights, out = sys.argv
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
    model = getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=21, aux_loss=True)
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


def run(model, method, x, category, mask):
    cam = getattr(pgc, method)(model=model, target_layers=[model.model.backbone.layer4])
    return cam(input_tensor=x, targets=[SemanticSegmentationTarget(category, mask)])[0]


manifest, refused = [], []
for name in WEIGHTED:
    for region in ('predicted', 'rect', 'mask'):
        for method in ('GradCAM', 'GradCAMPlusPlus', 'LayerCAM'):
            case = f'{name}_{region}_chelsea_{method}'
            model, x = load(name), image()
            category, mask = category_and_mask(model, x, region)
            grayscale = run(model, method, x, category, mask).astype(np.float32)
            spread64 = float(np.abs(run(model.double(), method, x.double(), category, mask) - grayscale).max())
            print(case, 'category', category, 'mask pixels', int(mask.sum()), float(grayscale.min()), float(grayscale.max()), 'float64 spread', spread64)
            if spread64 > 2e-5 or float(grayscale.max()) == 0:
                refused.append(case)
                continue
            np.save(os.path.join(out, case + '.npy'), grayscale)
            manifest.append({'case': case, 'model': name, 'layer': 'backbone.layer4', 'image': 'chelsea.png', 'width': WIDTH, 'height': HEIGHT,
                             'method': method, 'region': region, 'rect': list(RECT) if region == 'rect' else None, 'category': category,
                             'mask_pixels': int(mask.sum()), 'float64_spread': spread64})

json.dump({'library': 'pytorch-grad-cam 1.5.5 (commit 084273b) on torch 1.13 / torchvision 0.14',
           'weights': f'make_segmentation_references.py weights (seed {SEED})', 'cases': manifest},
          open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
if refused:
    sys.exit('ill-conditioned, not written: ' + ', '.join(refused))
