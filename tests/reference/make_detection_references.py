#!/usr/bin/env python3
"""YOLO-style detectors exported to ONNX, with their detections and pytorch-grad-cam 1.5.5 maps, for the detection tests.

Needs Debian's python3-torch 1.13, python3-torchvision 0.14, python3-onnx, python3-opencv and checkouts of
pytorch-grad-cam at 084273b (1.5.5) and qubvel/ttach on PYTHONPATH:
    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 tests/reference/make_detection_references.py \
        ../shared tests/HeatmapTools.Engine.Tests/TestData/detection

Two small detectors written here as the two YOLO exports lay out their output (the layouts the module decodes):
  tiny_yolov8: anchor-free, one point per cell of three levels (strides 8, 16, 32); output B x (4 + C) x A with the box as
               centre x, centre y, width, height in input pixels and C class scores after a sigmoid (YOLOv8's export);
  tiny_yolov5: two anchors per cell; output B x A x (5 + C): box, objectness, class scores, all after their sigmoid, and a
               class's score is objectness x class (YOLOv5's export).
Both take 3 x 128 x 160 (H x W), opset 17, batch dynamic. Weights: torch.manual_seed(SEED); BatchNorm statistics
calibrated on the two photos in one train-mode pass (cumulative average), so features are not the defaults' collapse;
class logits sharpened (x 3, bias - 4) so scores spread over 0..1 and a few dozen anchors pass. Each model's settings file <name>.json names its classes and
asks for letterboxing with no normalisation, as YOLO is fed.

Input: cv2.imread, BGR->RGB, letterboxed as the module letterboxes (scale to fit, each side rounded half to even as
.NET's Math.Round, centred with integer halving, cv2.resize INTER_LINEAR on uint8, the rest black), / 255.
Detections: per anchor the best class and its score; anchors with score > SCORE kept; torchvision.ops.batched_nms at
IOU (per class); the first MAX kept; boxes mapped back to the photo (minus the band's offset, over the band's own
scale per axis: fw / width, fh / height), clipped to the photo; a box left with no width or height (wholly in the
letterbox's padding) dropped.
Maps (at the network input, H x W, float32): EigenCAM at each of LAYERS (no target), and GradCAM with a box target that
is pytorch-grad-cam's FasterRCNNBoxScoreTarget read on the raw output: for each detection (input pixels, class), the
anchor of greatest IoU with its box, boxes compared where the photo is (output boxes clipped to the band, detections
as reported, clipped, brought back to the input); if that IoU > 0.5 and the anchor's best class is the detection's, IoU
plus the anchor's score of that class is added. pytorch-grad-cam's own GradCAM and EigenCAM classes compute them; the detections'
GradCAM map is also renormalised inside the boxes as the Faster R-CNN tutorial's renormalize_cam_in_bounding_boxes means
to (box by box; the tutorial's own call scales each row of a box on its own with 1.5.5's scale_cam_image).
Writes <name>.onnx, <name>.json, <name>.<photo>.input.npy, <name>.<photo>.output.npy (the raw output), manifest.json
(detections in photo pixels and the input's too, maps' files). Each map is also computed in float64; one moving by
more than 2e-5 is refused.
"""
import copy, json, os, sys
import cv2, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, torchvision
from pytorch_grad_cam import EigenCAM, GradCAM
from pytorch_grad_cam.utils.image import scale_cam_image

SEED, H, W, C = 3, 128, 160, 5
SCORE, IOU, MAX = 0.25, 0.45, 100
KINK = 1e-4
LAYERS = ('c5', 'c4')
PHOTOS = ('chelsea.png', 'coffee.png')
LABELS = ['cat', 'cup', 'saucer', 'table', 'spoon']

shared, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)


class ConvBnAct(nn.Sequential):
    def __init__(self, cin, cout, stride):
        super().__init__(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, momentum=None), nn.SiLU())


def grid(h, w, stride):
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing='ij')
    return xs.reshape(-1), ys.reshape(-1)


class TinyYolo(nn.Module):
    """Three levels of a small backbone joined top-down, a 1x1 head per level, and the box decoding inside the graph, as YOLO exports it."""
    def __init__(self, v5):
        super().__init__()
        self.v5 = v5
        self.anchors_per_cell = 2 if v5 else 1
        per = 5 + C if v5 else 4 + C
        self.stem, self.c2, self.c3 = ConvBnAct(3, 16, 2), ConvBnAct(16, 32, 2), ConvBnAct(32, 48, 2)
        self.c4, self.c5 = ConvBnAct(48, 64, 2), ConvBnAct(64, 96, 2)
        # A top-down path as a feature pyramid has: every level's head reads the deepest features.
        self.lat5, self.lat4 = nn.Conv2d(96, 48, 1), nn.Conv2d(64, 48, 1)
        self.heads = nn.ModuleList(nn.Conv2d(48, per * self.anchors_per_cell, 1) for _ in range(3))
        for s, stride in enumerate((8, 16, 32)):
            gx, gy = grid(H // stride, W // stride, stride)
            self.register_buffer(f'gx{s}', gx.repeat(self.anchors_per_cell))
            self.register_buffer(f'gy{s}', gy.repeat(self.anchors_per_cell))
            wh = torch.tensor([[1.5, 1.0], [1.0, 2.0]][:self.anchors_per_cell]) * stride * 2
            self.register_buffer(f'wh{s}', wh.repeat_interleave(gx.numel(), 0))

    def forward(self, x):
        p3 = self.c3(self.c2(self.stem(x)))
        p4 = self.c4(p3)
        p5 = self.c5(p4)
        t5 = self.lat5(p5)
        t4 = self.lat4(p4) + F.interpolate(t5, scale_factor=2.0, mode='nearest')
        t3 = p3 + F.interpolate(t4, scale_factor=2.0, mode='nearest')
        levels = []
        for s, (p, head, stride) in enumerate(zip((t3, t4, t5), self.heads, (8, 16, 32))):
            y = head(p)
            b = y.shape[0]
            # B x per x (anchors x cells): anchors major, as the buffers are laid out.
            y = y.reshape(b, self.anchors_per_cell, -1, y.shape[2] * y.shape[3]).transpose(1, 2).reshape(b, y.shape[1] // self.anchors_per_cell, -1)
            gx, gy, wh = getattr(self, f'gx{s}'), getattr(self, f'gy{s}'), getattr(self, f'wh{s}')
            if self.v5:
                t = y.sigmoid()
                cx = (t[:, 0] * 2 - 0.5 + gx) * stride
                cy = (t[:, 1] * 2 - 0.5 + gy) * stride
                bw = (t[:, 2] * 2) ** 2 * wh[:, 0]
                bh = (t[:, 3] * 2) ** 2 * wh[:, 1]
                levels.append(torch.cat([torch.stack([cx, cy, bw, bh], 1), t[:, 4:]], 1))
            else:
                ltrb = F.softplus(y[:, :4]) * stride
                ax, ay = (gx + 0.5) * stride, (gy + 0.5) * stride
                x1, y1, x2, y2 = ax - ltrb[:, 0], ay - ltrb[:, 1], ax + ltrb[:, 2], ay + ltrb[:, 3]
                box = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
                levels.append(torch.cat([box, y[:, 4:].sigmoid()], 1))
        y = torch.cat(levels, 2)
        return y.transpose(1, 2) if self.v5 else y


def decode(output, v5):
    """One sample's raw output to boxes (A x 4, x1 y1 x2 y2, input pixels) and class scores (A x C)."""
    rows = output if v5 else output.transpose(0, 1)
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    scores = rows[:, 5:] * rows[:, 4:5] if v5 else rows[:, 4:]
    return boxes, scores


def detect(output, v5):
    boxes, scores = decode(output, v5)
    best, cls = scores.max(1)
    keep = torch.nonzero(best > SCORE).reshape(-1)
    order = torchvision.ops.batched_nms(boxes[keep], best[keep], cls[keep], IOU)[:MAX]
    keep = keep[order]
    return boxes[keep], best[keep], cls[keep], keep


class BoxScoreTarget:
    """pytorch-grad-cam's FasterRCNNBoxScoreTarget on a raw YOLO output: the anchor of greatest IoU stands for the output box.
    Boxes are compared where the photo is (the window: the letterbox's band), as detections are reported clipped to it."""
    def __init__(self, v5, labels, boxes, window, iou_threshold=0.5):
        self.v5, self.labels, self.boxes, self.window, self.iou_threshold = v5, labels, boxes, window, iou_threshold

    def __call__(self, output):
        boxes, scores = decode(output, self.v5)
        x0, y0, x1, y1 = self.window
        boxes = torch.stack([boxes[:, 0].clamp(x0, x1), boxes[:, 1].clamp(y0, y1), boxes[:, 2].clamp(x0, x1), boxes[:, 3].clamp(y0, y1)], 1)
        best, cls = scores.max(1)
        total = torch.zeros(1, dtype=output.dtype)
        for box, label in zip(self.boxes, self.labels):
            ious = torchvision.ops.box_iou(torch.as_tensor(box[None, :], dtype=output.dtype), boxes)
            index = ious.argmax()
            iou = ious[0, index]
            if iou > self.iou_threshold and cls[index] == label:
                # A box matched by its own anchor sits at IoU's maximum, a kink whose gradient bits of noise would pick: none.
                total = total + (iou.detach() if iou >= 1 - KINK else iou) + best[index]
        return total


def letterbox(rgb):
    h, w = rgb.shape[:2]
    fit = min(W / w, H / h)
    fw, fh = max(1, round(w * fit)), max(1, round(h * fit))
    x0, y0 = (W - fw) // 2, (H - fh) // 2
    canvas = np.zeros((H, W, 3), np.uint8)
    canvas[y0:y0 + fh, x0:x0 + fw] = cv2.resize(rgb, (fw, fh), interpolation=cv2.INTER_LINEAR)
    return canvas, (x0, y0, fw, fh)


def to_input(photo_boxes, band, w, h):
    x0, y0, fw, fh = band
    return photo_boxes * np.array([fw / w, fh / h, fw / w, fh / h]) + np.array([x0, y0, x0, y0])


def to_photo(boxes, band, w, h):
    x0, y0, fw, fh = band
    sx, sy = fw / w, fh / h
    b = boxes.double().numpy().copy()
    b[:, [0, 2]] = np.clip((b[:, [0, 2]] - x0) / sx, 0, w)
    b[:, [1, 3]] = np.clip((b[:, [1, 3]] - y0) / sy, 0, h)
    return b


photos = {}
for photo in PHOTOS:
    rgb = cv2.cvtColor(cv2.imread(os.path.join(shared, 'images', photo)), cv2.COLOR_BGR2RGB)
    canvas, band = letterbox(rgb)
    x = torch.from_numpy(canvas.astype(np.float32) / 255).permute(2, 0, 1)[None].contiguous()
    photos[photo] = (x, band, rgb.shape[1], rgb.shape[0])

manifest = {'score_threshold': SCORE, 'iou_threshold': IOU, 'max_detections': MAX, 'height': H, 'width': W, 'labels': LABELS, 'models': {}}
for name, v5 in (('tiny_yolov8', False), ('tiny_yolov5', True)):
    torch.manual_seed(SEED)
    model = TinyYolo(v5)
    with torch.no_grad():
        for head in model.heads:
            per = head.out_channels // model.anchors_per_cell
            first = 5 if v5 else 4
            for a in range(model.anchors_per_cell):
                head.weight[a * per + first:(a + 1) * per] *= 3
                head.bias[a * per + first:(a + 1) * per] -= 4
        model.train()
        model(torch.cat([p[0] for p in photos.values()]))
        model.eval()
    onnx_file = os.path.join(out, f'{name}.onnx')
    torch.onnx.export(model, photos[PHOTOS[0]][0], onnx_file, opset_version=17, input_names=['images'], output_names=['output0'],
                      dynamic_axes={'images': {0: 'batch'}, 'output0': {0: 'batch'}})
    with open(os.path.join(out, f'{name}.json'), 'w') as f:
        json.dump({'labels': LABELS, 'resize': 'Letterbox', 'normalization': 'None', 'defaultLayer': 'c5'}, f, indent=2)
    cases = {}
    for photo, (x, band, w, h) in photos.items():
        stem = os.path.splitext(photo)[0]
        with torch.no_grad():
            output = model(x)
        np.save(os.path.join(out, f'{name}.{stem}.input.npy'), x.numpy())
        np.save(os.path.join(out, f'{name}.{stem}.output.npy'), output.numpy())
        boxes, scores, classes, anchors = detect(output[0], v5)
        photo_boxes = to_photo(boxes, band, w, h)
        # A box wholly in the letterbox's padding is not in the photo: not a detection of it.
        shown = torch.from_numpy((photo_boxes[:, 2] > photo_boxes[:, 0]) & (photo_boxes[:, 3] > photo_boxes[:, 1]))
        boxes, scores, classes, anchors, photo_boxes = boxes[shown], scores[shown], classes[shown], anchors[shown], photo_boxes[shown.numpy()]
        if not 3 <= len(boxes) <= MAX:
            sys.exit(f'{name} on {photo}: {len(boxes)} detections; the test needs a few')
        window = to_input(np.array([0.0, 0.0, w, h]), band, w, h).tolist()
        # As a user types boxes: the first two detections inside the photo (not in the letterbox's band) to one decimal of a
        # photo pixel (-Box), brought to the input as the module does.
        inside = [k for k, b in enumerate(photo_boxes) if b[2] - b[0] > 2 and b[3] - b[1] > 2][:2]
        typed = np.round(photo_boxes[inside], 1)
        typed_input = to_input(typed, band, w, h)
        maps = {}
        for layer in LAYERS:
            for method, cls_ in (('EigenCAM', EigenCAM), ('GradCAM', GradCAM), ('GradCAM-typed', GradCAM)):
                if method == 'GradCAM-typed' and layer != LAYERS[0]:
                    continue
                results = []
                for dtype in (torch.float32, torch.float64):
                    m = copy.deepcopy(model).to(dtype)
                    # The detections as reported (clipped to the photo), brought back to the input.
                    target = None if method == 'EigenCAM' else [BoxScoreTarget(v5, classes[inside].tolist(), typed_input, window)] if method.endswith('typed') \
                        else [BoxScoreTarget(v5, classes.tolist(), to_input(photo_boxes, band, w, h), window)]
                    with cls_(model=m, target_layers=[getattr(m, layer)]) as cam:
                        results.append(cam(input_tensor=x.to(dtype), targets=target)[0].astype(np.float64))
                if np.abs(results[0] - results[1]).max() > 2e-5 or results[0].max() <= 0:
                    sys.exit(f"{name} {photo} {layer} {method}: ill-conditioned or empty map ({np.abs(results[0] - results[1]).max()}, {results[0].max()})")
                file = f'{name}.{stem}.{layer}.{method}.npy'
                np.save(os.path.join(out, file), results[0].astype(np.float32))
                maps[f'{layer}/{method}'] = file
        # The tutorial's renormalize_cam_in_bounding_boxes on the detections' GradCAM map: each box (input pixels, truncated to
        # integers as its np.int32) min-max scaled alone, zero elsewhere, the boxes' maximum, scaled again. As the tutorial
        # means it: its scale_cam_image iterates over the first axis (a batch), so given one 2-D map it scales each row on
        # its own (checked below); the scaling is written out for the 2-D map here.
        def scale_2d(img):
            img = img - np.min(img)
            return img / (1e-7 + np.max(img))
        rows = scale_cam_image(np.float32([[0, 1, 2], [10, 20, 30]]))
        assert np.allclose(rows, [[0, 0.5, 1], [0, 0.5, 1]], atol=1e-6), 'scale_cam_image no longer scales a 2-D map row by row'
        own = np.load(os.path.join(out, maps[f'{LAYERS[0]}/GradCAM']))
        images = []
        for x1, y1, x2, y2 in to_input(photo_boxes, band, w, h).astype(np.int32):
            img = own * 0
            img[y1:y2, x1:x2] = scale_2d(own[y1:y2, x1:x2].copy())
            images.append(img)
        renormalized = scale_2d(np.max(np.float32(images), axis=0))
        file = f'{name}.{stem}.{LAYERS[0]}.GradCAM-inboxes.npy'
        np.save(os.path.join(out, file), renormalized.astype(np.float32))
        maps[f'{LAYERS[0]}/GradCAM-inboxes'] = file
        cases[stem] = {
            'photo': photo, 'photo_width': w, 'photo_height': h, 'band': list(band),
            'input': f'{name}.{stem}.input.npy', 'output': f'{name}.{stem}.output.npy',
            'detections': [{'class': int(c), 'label': LABELS[int(c)], 'score': float(s), 'anchor': int(a),
                            'box': [round(v, 4) for v in pb.tolist()], 'input_box': [float(v) for v in b.tolist()]}
                           for c, s, a, pb, b in zip(classes, scores, anchors, photo_boxes, boxes)],
            'maps': maps, 'typed_boxes': typed.tolist(), 'typed_classes': [int(classes[k]) for k in inside],
        }
        print(name, photo, len(boxes), 'detections', [LABELS[int(c)] for c in classes[:6]], [round(float(s), 3) for s in scores[:6]])
    manifest['models'][name] = {'onnx': f'{name}.onnx', 'layout': 'YoloV5' if v5 else 'YoloV8', 'anchors': int(output.shape[1 if v5 else 2]), 'cases': cases}
with open(os.path.join(out, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=1)
