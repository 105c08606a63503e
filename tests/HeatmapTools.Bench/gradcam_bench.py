#!/usr/bin/env python3
"""The pytorch-grad-cam loop the backend bench compares with: each photo read with cv2, resized to the model's input,
normalised with ImageNet's mean and std, Grad-CAM at the same layer HeatmapTools uses, the overlay drawn with
show_cam_on_image and written as PNG: the recipe in pytorch-grad-cam's README, end to end. Prints images/s (median).

    PYTHONPATH=/path/to/pytorch-grad-cam:/path/to/ttach /usr/bin/python3 gradcam_bench.py <model> <outdir> <runs> <image>...

Weights: torchvision's constructor after torch.manual_seed(1) (speed does not depend on their values). Run with Debian's
python3-torch and python3-torchvision; for timing, libopenblas0-pthread with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
"""
import os, statistics, sys, time
import cv2, numpy as np, torch, torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import show_cam_on_image

name, out, runs, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
torch.manual_seed(1)
model = getattr(torchvision.models, name)().eval()
size = 224
reshape = None
if name == 'resnet50':
    layer = model.layer4[-1]
elif name == 'densenet121':
    layer = model.features[-1]
elif name == 'vgg16':
    layer = model.features[29]
elif name == 'vit_b_16':
    layer = model.encoder.layers[-1].ln_1
    def reshape(t):
        n = t.shape[1] - 1; s = int(round(n ** 0.5))
        return t[:, 1:, :].reshape(t.size(0), s, s, t.size(2)).permute(0, 3, 1, 2)
else:
    raise SystemExit(f'no layer for {name}')
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)
cam = GradCAM(model=model, target_layers=[layer], reshape_transform=reshape)
os.makedirs(out, exist_ok=True)


def run(tag):
    for i, path in enumerate(images):
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        rgb = cv2.resize(rgb, (size, size)).astype(np.float32) / 255
        x = torch.from_numpy(((rgb - mean) / std).transpose(2, 0, 1)).unsqueeze(0)
        grayscale = cam(input_tensor=x, targets=None)[0]
        overlay = show_cam_on_image(rgb, grayscale, use_rgb=True)
        cv2.imwrite(os.path.join(out, f'{tag}_{i}.png'), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))


run('warm')
rates = []
for r in range(runs):
    start = time.perf_counter()
    run(f'run{r}')
    rates.append(len(images) / (time.perf_counter() - start))
print(statistics.median(rates))
