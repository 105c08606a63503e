"""Fits the last layer of a seeded torchvision resnet18 to IDC-layout patches, so the README's pathology pipeline
runs on a classifier that has learnt something. A toy: it sees only the synthetic patches the test tool writes,
whose class shows in their colour. Usage: python3 train_toy_idc_classifier.py <IDC folder> <out.pth>

Preprocessing is New-CamHeatmap's (-Resize Stretch): RGB, resized to 224 with bilinear interpolation, ImageNet
mean and std. Only the final fully connected layer is trained; the rest keeps its seeded random weights.
"""
import pathlib
import re
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=2).eval()
mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

files = sorted(root.rglob("*.png"))
labels = torch.tensor([int(re.search(r"class(\d)", f.name).group(1)) for f in files])
images = torch.stack([
    (torch.from_numpy(np.asarray(Image.open(f).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.float32) / 255)
     .permute(2, 0, 1) - mean) / std
    for f in files])

# Features before the last layer, computed once; the last layer is then a logistic regression on them.
backbone = torch.nn.Sequential(*list(model.children())[:-1])
with torch.no_grad():
    features = torch.cat([backbone(images[i:i + 64]).flatten(1) for i in range(0, len(images), 64)])
features_mean, features_std = features.mean(0), features.std(0) + 1e-6
head = torch.nn.Linear(features.shape[1], 2)
optimiser = torch.optim.Adam(head.parameters(), lr=0.002)
for step in range(40):
    optimiser.zero_grad()
    loss = torch.nn.functional.cross_entropy(head((features - features_mean) / features_std), labels)
    loss.backward()
    optimiser.step()
accuracy = (head((features - features_mean) / features_std).argmax(1) == labels).float().mean().item()
# Fold the standardisation into the layer, so the saved model is a plain resnet18.
with torch.no_grad():
    model.fc.weight.copy_(head.weight / features_std)
    model.fc.bias.copy_(head.bias - (head.weight * features_mean / features_std).sum(1))
torch.save(model.state_dict(), out)
print(f"{len(files)} patches, training accuracy {accuracy:.3f}, loss {loss.item():.4f} -> {out}")
