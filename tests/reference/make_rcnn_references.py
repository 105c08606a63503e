#!/usr/bin/env python3
"""torchvision 0.14's detectors (Faster R-CNN, RetinaNet, FCOS, SSD300, SSDlite), seeded and made meaningful, with their detections and maps, for the parity tests.

    /usr/bin/python3 tests/reference/make_rcnn_references.py weights ../shared output/zoo-weights
        writes <model>_seed1.pth for MODELS: torchvision.models.detection's constructor (weights=None,
        weights_backbone=None, num_classes=91) after torch.manual_seed(1), then made to look at the photo rather than
        collapse (random BatchNorm statistics give every proposal the same feature): BatchNorm statistics calibrated in
        one train-mode pass of the backbone over the two photos as the model's transform prepares them (cumulative
        average), the RPN's objectness sharpened (x 15: proposals follow the features, no probability rounds to 1, so no ties), and the class logits sharpened
        (x 25, ResNet-50's x 3) so scores spread. The one-stage detectors (RetinaNet, FCOS) have no proposals: their head
        towers' convolutions without a normalisation are scaled in turn to give features of unit spread on the photos
        (their init, std 0.01, fades every feature to nothing), the class logits to a spread of 1.5 around the prior's
        bias, box codes to 0.2 (FCOS's distances, a ReLU's, to 1 around 1.5, so few boxes collapse to a line; centre-ness to 1).
        SSDlite: BatchNorm calibrated in the backbone and the head, each level's class logits spread to 2.5, box codes to 1. On Debian's python3-torch 1.13 and python3-torchvision 0.14; the calibration runs the
        network, so other processors give weights a rounding apart (the tests' tolerances hold them). build.ps1 runs this.
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_rcnn_references.py \
        references ../shared output/zoo-weights tests/HeatmapTools.Engine.Tests/TestData/rcnn [MODEL ...]
        (models named are made again alone; the manifest keeps the others')

References per model and photo (chelsea.png; coffee.png; coffee450 for the Faster R-CNNs, coffee.png's top-left 450 x 300,
which the 320 model's transform leaves unpadded; it resizes coffee.png to 479 x 319, PyTorch's scalar-over-tensor rounding):
- detections at box_score_thresh 0 (torchvision's model, eval, list input of the photo as RGB / 255): boxes in the
  photo's pixels, labels, scores, all 100;
- (SSDlite: its levels are joined at the finest level's size, its coarsest being one pixel, and nothing is padded)
- EigenCAM at `backbone` as pytorch-grad-cam's Faster R-CNN tutorial runs it (EigenCAM, fasterrcnn_reshape_transform: every FPN
  level's absolute value resized bilinearly to the coarsest level's size and concatenated): `EigenCAM-tutorial`, the
  tutorial's own call, whose map spans the padded batch and is stretched over the photo; `EigenCAM`, the same map placed
  where the photo is: scaled (1.5.5's scale_cam_image) to the padded batch's extent in photo pixels, rounded, cut to the
  photo at the top left, scaled again. Where nothing is padded the two agree;
- GradCAM at `backbone` by hand on the same tensors: hooks on the FPN outputs' tensors keep their gradients, the score
  is FasterRCNNBoxScoreTarget's on the model's output (the default model's first three detections, each its own
  box; an IoU of 1 counts without a gradient, as the module's kink rule), both activations and gradients go through
  fasterrcnn_reshape_transform, and the map is placed as `EigenCAM`'s.
Each case is also computed in float64 (`moved` records by how much each map moves): an EigenCAM map moving by more than
1e-4 is refused, a GradCAM map not kept (its boxes matched other outputs there, as ranks within rounding decide); and the detections are compared: `firm` counts the leading ones whose label and box (within 0.01 px)
agree, the rest lie where ranks are within rounding.
"""
import json, os, sys
import cv2, numpy as np, torch, torchvision
from torchvision.models import detection

SEED = 1
MODELS = ('fasterrcnn_mobilenet_v3_large_320_fpn', 'fasterrcnn_mobilenet_v3_large_fpn', 'fasterrcnn_resnet50_fpn',
          'fasterrcnn_resnet50_fpn_v2', 'retinanet_resnet50_fpn', 'retinanet_resnet50_fpn_v2', 'fcos_resnet50_fpn',
          'ssdlite320_mobilenet_v3_large', 'ssd300_vgg16')
# The 800-pixel ResNet-50 detectors run the photo at about 800 x 1067: two photos keep the tests' time in bounds.
PHOTOS = {name: ('chelsea', 'coffee') if 'resnet50' in name else ('chelsea', 'coffee', 'coffee450') for name in MODELS}
# These weights saturate RetinaNet's scores on coffee at 1 (27 float32 ties, no detection firm): chelsea only.
PHOTOS['retinanet_resnet50_fpn'] = ('chelsea',)
# And Faster R-CNN v2's on coffee (its box head's BatchNorm keeps its default statistics): chelsea only.
PHOTOS['fasterrcnn_resnet50_fpn_v2'] = ('chelsea',)
# SSD stretches every photo to its square: coffee450 (the unpadded case) shows nothing more.
PHOTOS['ssd300_vgg16'] = ('chelsea', 'coffee')
# The maps of an 800-pixel ResNet-50 detector take about 20 minutes a photo (the float64 check): FCOS's on chelsea only.
MAP_PHOTOS = {'fcos_resnet50_fpn': ('chelsea',)}
# ResNet-50's box features are larger: x 25 saturates its scores at 1 (float32 ties that rank at random).
SHARPEN = {'fasterrcnn_resnet50_fpn': 3}


def build(name):
    return getattr(detection, name)(weights=None, weights_backbone=None, num_classes=91)


def photo(shared, stem):
    image = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', ('coffee' if stem == 'coffee450' else stem) + '.png')), cv2.COLOR_BGR2RGB)
    if stem == 'coffee450':
        image = np.ascontiguousarray(image[:300, :450])
    return torch.from_numpy(image).permute(2, 0, 1).float() / 255


def calibrate(model, root, shared, run):
    """BatchNorm statistics of root's layers from one train-mode pass (run) over the two photos as the model's transform prepares them (cumulative average)."""
    norms = [m for m in root.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        images, _ = model.transform([photo(shared, 'chelsea'), photo(shared, 'coffee')])
        run(images.tensors)
    for m in norms:
        m.momentum = 0.1
    model.eval()
    return images


def made(name, shared):
    torch.manual_seed(SEED)
    model = build(name).eval()
    if name.startswith('ssd'):
        return made_ssd(model, shared)
    images = calibrate(model, model.backbone, shared, model.backbone)
    with torch.no_grad():
        if hasattr(model, 'rpn'):
            model.rpn.head.cls_logits.weight.mul_(15)
            model.roi_heads.box_predictor.cls_score.weight.mul_(SHARPEN.get(name, 25))
    if not hasattr(model, 'rpn'):
        with torch.no_grad():
            spread(model.head, list(model.backbone(images.tensors).values()))
    return model


def made_ssd(model, shared):
    """SSD: BatchNorm in the backbone and the head (SSDlite's; SSD300 has none) calibrated in one train-mode pass over the two
    photos, then each level's class logits scaled to a spread of 2.5 (the softmax over 91 categories then ranks them
    rather than giving each about 1/91) and its box codes to 1 (a tenth of a box's side once BoxCoder's weights divide)."""
    images = calibrate(model, model, shared, lambda x: model.head(list(model.backbone(x).values())))
    with torch.no_grad():
        levels = list(model.backbone(images.tensors).values())
        for part, goal in ((model.head.classification_head, 2.5), (model.head.regression_head, 1.0)):
            for block, level in zip(part.module_list, levels):
                values = block(level)
                last = block[1] if isinstance(block, torch.nn.Sequential) else block
                last.weight.mul_(goal / values.std())
                last.bias.mul_(goal / values.std())
    return model


def spread(head, levels):
    """A one-stage head made to respond to the photo: each unnormalised tower convolution, then each output, scaled to a spread."""
    def outputs(module):
        seen = []
        handle = module.register_forward_hook(lambda m, i, o: seen.append(o))
        head(levels)
        handle.remove()
        return torch.cat([o.flatten() for o in seen])

    towers = (head.classification_head.conv, head.regression_head.conv)
    grouped = any(isinstance(m, torch.nn.GroupNorm) for t in towers for m in t.modules())
    for tower in towers if not grouped else ():
        for conv in [m for m in tower.modules() if isinstance(m, torch.nn.Conv2d)]:
            factor = 1 / outputs(conv).std()
            conv.weight.mul_(factor)
            conv.bias.mul_(factor)
    regression = head.regression_head
    goals = [(head.classification_head.cls_logits, 1.5), (regression.bbox_reg, 1.0 if hasattr(regression, 'bbox_ctrness') else 0.2)]
    if hasattr(regression, 'bbox_ctrness'):
        goals.append((regression.bbox_ctrness, 1.0))
    for conv, goal in goals:
        values = outputs(conv)
        conv.weight.mul_(goal / values.std())
    if hasattr(regression, 'bbox_ctrness'):
        # FCOS's distances pass a relu: centred on zero, half the boxes would collapse to a line or a point.
        regression.bbox_reg.bias.add_(1.5)


mode = sys.argv[1]
shared, weights = sys.argv[2:4]
if mode == 'weights':
    os.makedirs(weights, exist_ok=True)
    for name in MODELS:
        file = os.path.join(weights, f'{name}_seed{SEED}.pth')
        if not os.path.exists(file):
            torch.save(made(name, shared).state_dict(), file)
            print('wrote', file)
    sys.exit(0)

from pytorch_grad_cam import EigenCAM
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection
from pytorch_grad_cam.utils.model_targets import FasterRCNNBoxScoreTarget

out = sys.argv[4]
os.makedirs(out, exist_ok=True)
# Models named after the folders are made again alone; the manifest keeps the others'.
# --no-maps: detections only (minutes, where the float64 maps take an hour per ResNet-50 model).
no_maps = '--no-maps' in sys.argv
only = [a for a in sys.argv[5:] if a != '--no-maps'] or list(MODELS)


def loaded(name, dtype=torch.float32):
    model = build(name)
    model.load_state_dict(torch.load(os.path.join(weights, f'{name}_seed{SEED}.pth')))
    return model.eval().to(dtype)


JOIN = -1


def reshape(x):
    # pytorch-grad-cam's fasterrcnn_reshape_transform (tutorial), for activations and gradients alike: at the coarsest
    # level's size, or (JOIN = 0, SSD's, whose coarsest level is one pixel) at the finest's.
    size = list(x.values())[JOIN].size()[-2:]
    return torch.cat([torch.nn.functional.interpolate(torch.abs(v), size, mode='bilinear') for v in x.values()], 1)


def placed(cam, model, image):
    """A layer's map (relu'd) over the padded batch, at the photo: scaled to the batch's extent in photo pixels, cut at the top left, scaled again."""
    h, w = image.shape[-2:]
    batch, _ = model.transform([image.float()])
    (rh, rw), (ph, pw) = batch.image_sizes[0], batch.tensors.shape[-2:]
    full = (int(round(w * pw / rw)), int(round(h * ph / rh)))
    scaled = scale_cam_image(cam[None].astype(np.float32), full)[0][:h, :w]
    return scale_cam_image(np.maximum(scaled, 0)[None])[0]


def eigen(model, image):
    seen = {}
    handle = model.backbone.register_forward_hook(lambda m, i, o: seen.update(a=reshape(o)))
    with torch.no_grad():
        model([image])
    handle.remove()
    return placed(np.maximum(get_2d_projection(seen['a'].double().numpy())[0], 0), model, image)


def detections(model, image):
    with torch.no_grad():
        found = model([image])[0]
    return found


def gradcam(model, image, boxes, labels):
    seen = {}

    def hook(module, inputs, output):
        seen['a'], seen['o'] = reshape(output), output
        grads = {}
        for key, value in output.items():
            value.register_hook(lambda g, key=key: grads.__setitem__(key, g))
        seen['g'] = grads
    handle = model.backbone.register_forward_hook(hook)
    found = model([image])[0]
    handle.remove()
    total = torch.zeros((), dtype=image.dtype)
    for box, label in zip(boxes, labels):
        ious = torchvision.ops.box_iou(torch.tensor(box, dtype=image.dtype)[None], found['boxes'])
        index = ious.argmax()
        if ious[0, index] > 0.5 and found['labels'][index] == label:
            iou = ious[0, index]
            total = total + (iou.detach() if iou >= 1 - 1e-4 else iou) + found['scores'][index]
    if not total.requires_grad:
        return None  # no box matched: nothing to differentiate
    total.backward()
    activations = seen['a'].detach()
    # A level no box reads (the RPN's proposals are detached) gets no gradient: zero, as a tensor hook would leave it.
    gradients = reshape({k: seen['g'].get(k, torch.zeros_like(v)) for k, v in seen['o'].items()})
    weights = gradients.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * activations).sum(1))[0].double().numpy()
    return placed(cam, model, image)


manifest_file = os.path.join(out, 'manifest.json')
manifest = json.load(open(manifest_file)) if os.path.exists(manifest_file) and only != list(MODELS) else {'models': {}}
for name in only:
    JOIN = 0 if name.startswith('ssd') else -1
    model, model64 = loaded(name), loaded(name, torch.float64)
    for m in (model, model64):
        if hasattr(m, 'roi_heads'):
            m.roi_heads.score_thresh = 0.0
        else:
            m.score_thresh = 0.0
    default = loaded(name)
    cases = []
    for stem in PHOTOS[name]:
        image = photo(shared, stem)
        found, found64 = detections(model, image), detections(model64, image.double())
        n = min(len(found['scores']), len(found64['scores']))
        same = (found['labels'][:n] == found64['labels'][:n]) & ((found['boxes'][:n].double() - found64['boxes'][:n]).abs().max(1).values < 1e-2)
        firm = int(same.long().cumprod(0).sum())
        kept = detections(default, image)
        chosen = [(b.tolist(), int(l)) for b, l in zip(kept['boxes'][:3], kept['labels'][:3])]
        boxes, labels = [c[0] for c in chosen], [c[1] for c in chosen]
        maps, moved = {}, {}
        if no_maps or stem not in MAP_PHOTOS.get(name, PHOTOS[name]):
            cases.append({'photo': stem, 'height': image.shape[1], 'width': image.shape[2],
                          'boxes': found['boxes'].tolist(), 'labels': found['labels'].tolist(), 'scores': found['scores'].tolist(),
                          'firm': firm, 'moved': moved, 'targets': [{'box': b, 'label': l} for b, l in chosen], 'maps': []})
            print(name, stem, len(found['scores']), 'firm', firm, 'top', [round(float(s), 3) for s in found['scores'][:5]], flush=True)
            continue
        maps['EigenCAM'] = eigen(model, image)
        check = eigen(model64, image.double())
        moved = {'EigenCAM': float(np.abs(maps['EigenCAM'] - check).max())}
        tutorial = EigenCAM(model, target_layers=[model.backbone], reshape_transform=reshape)
        maps['EigenCAM-tutorial'] = tutorial(image[None], targets=[FasterRCNNBoxScoreTarget(labels=labels, bounding_boxes=boxes)])[0]
        if boxes:
            maps['GradCAM'] = gradcam(model, image, boxes, labels)
            check = gradcam(model64, image.double(), boxes, labels)
            moved['GradCAM'] = float(np.abs(maps['GradCAM'] - check).max()) if check is not None and maps['GradCAM'] is not None else 1.0
        assert moved['EigenCAM'] < 1e-4, (name, stem, moved)
        # A gradient map whose boxes float64 matches to other outputs (proposals ranked otherwise) is rounding's: not kept.
        if moved.get('GradCAM', 0) >= 1e-4:
            del maps['GradCAM']
        for method, value in maps.items():
            np.save(os.path.join(out, f'{name}.{stem}.{method}.npy'), value.astype(np.float32))
        cases.append({'photo': stem, 'height': image.shape[1], 'width': image.shape[2],
                      'boxes': found['boxes'].tolist(), 'labels': found['labels'].tolist(), 'scores': found['scores'].tolist(),
                      'firm': firm, 'moved': moved, 'targets': [{'box': b, 'label': l} for b, l in chosen], 'maps': sorted(maps)})
        print(name, stem, len(found['scores']), 'firm', firm, 'targets', len(chosen), 'top', [round(float(s), 3) for s in found['scores'][:5]])
    manifest['models'][name] = {'weights': f'{name}_seed{SEED}.pth', 'layer': 'backbone', 'cases': cases}
    cv2.imwrite(os.path.join(out, 'coffee450.png'), cv2.imread(os.path.join(shared, 'images', 'coffee.png'))[:300, :450])
    with open(manifest_file, 'w') as f:
        json.dump(manifest, f, indent=1)
