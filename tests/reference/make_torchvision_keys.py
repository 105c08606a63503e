#!/usr/bin/env python3
"""Writes torchvision's state-dict layout (key, shape) for every classifier and segmenter HeatmapTools builds.

Run with Debian's python3-torch and python3-torchvision (torch 1.13, torchvision 0.14):
    /usr/bin/python3 tests/reference/make_torchvision_keys.py tests/HeatmapTools.Engine.Tests/TestData/torchvision_keys
One file per model, <model>.txt, a line per state-dict entry: "<key> <d0>x<d1>...". The engine tests build each
architecture in C# and compare its state dict with these lists, so torchvision checkpoints load key for key.
BatchNorm's num_batches_tracked counters are left out (they are not weights). googlenet and inception_v3 are built
without their auxiliary heads, as HeatmapTools builds them (it skips aux keys when loading); so are the segmentation
models (torchvision.models.segmentation, 21 classes, aux_loss=False). The detectors are torchvision.models.detection's,
91 classes.
"""
import os, sys
import torch, torchvision

MODELS = sys.argv[2:] or """
alexnet vgg11 vgg13 vgg16 vgg19 vgg11_bn vgg13_bn vgg16_bn vgg19_bn
resnet18 resnet34 resnet50 resnet101 resnet152 resnext50_32x4d resnext101_32x8d resnext101_64x4d wide_resnet50_2 wide_resnet101_2
squeezenet1_1 googlenet inception_v3 mobilenet_v2 mobilenet_v3_small mobilenet_v3_large
densenet121 densenet161 densenet169 densenet201
efficientnet_b0 efficientnet_b1 efficientnet_b2 efficientnet_b3 efficientnet_b4 efficientnet_b5 efficientnet_b6 efficientnet_b7
efficientnet_v2_s efficientnet_v2_m efficientnet_v2_l
convnext_tiny convnext_small convnext_base convnext_large
regnet_y_400mf regnet_y_800mf regnet_y_1_6gf regnet_y_3_2gf regnet_y_8gf regnet_y_16gf regnet_y_32gf regnet_y_128gf
regnet_x_400mf regnet_x_800mf regnet_x_1_6gf regnet_x_3_2gf regnet_x_8gf regnet_x_16gf regnet_x_32gf
shufflenet_v2_x0_5 shufflenet_v2_x1_0 shufflenet_v2_x1_5 shufflenet_v2_x2_0 mnasnet0_5 mnasnet0_75 mnasnet1_0 mnasnet1_3
vit_b_16 vit_b_32 vit_l_16 vit_l_32 vit_h_14 swin_t swin_s swin_b
fcn_resnet50 fcn_resnet101 deeplabv3_resnet50 deeplabv3_resnet101 deeplabv3_mobilenet_v3_large lraspp_mobilenet_v3_large
fasterrcnn_mobilenet_v3_large_320_fpn fasterrcnn_mobilenet_v3_large_fpn fasterrcnn_resnet50_fpn fasterrcnn_resnet50_fpn_v2
retinanet_resnet50_fpn retinanet_resnet50_fpn_v2 fcos_resnet50_fpn ssdlite320_mobilenet_v3_large ssd300_vgg16
""".split()
SEGMENTERS = ('fcn_resnet50', 'fcn_resnet101', 'deeplabv3_resnet50', 'deeplabv3_resnet101', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large')

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name in MODELS:
    kw = {'aux_logits': False, 'init_weights': False} if name in ('googlenet', 'inception_v3') else {}
    with torch.no_grad():
        if name.startswith(('fasterrcnn', 'retinanet', 'fcos', 'ssd')):
            model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None, num_classes=91)
        elif name in SEGMENTERS:
            model = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)
        else:
            model = getattr(torchvision.models, name)(weights=None, **kw)
    lines = [f"{k} {'x'.join(str(d) for d in v.shape)}" for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')]
    with open(os.path.join(out, f'{name}.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(name, len(lines))
    del model
