#!/usr/bin/env python3
"""TIAToolbox's stain normalisers on three H&E "sites", for the stain parity tests.

    /usr/bin/python3 tests/reference/make_stain_references.py /path/to/tiatoolbox \
        tests/HeatmapTools.Engine.Tests/TestData/stain

/path/to/tiatoolbox is a checkout of TissueImageAnalytics/tiatoolbox (6fc8a2ec4 was used), loaded through
tiatoolbox_shim.py (its stain code unchanged, on Debian's packages).

The sites: skimage.data.immunohistochemistry() (a real tissue photo) separated into haematoxylin and DAB with
skimage.color.rgb2hed, each concentration scaled to optical density and rendered again through H&E stain vectors:
site A with Ruifrok's vectors, site B darker and bluer, site C pale and pinker; 256 x 256 crops from different places.
Writes site_<s>.png, <method>_<source>_to_<target>.png (TIAToolbox's output, uint8 RGB), augment_<s>_<k>.png
(TIAToolbox's StainAugmentor, Macenko, with the scale and shift of each stain given instead of drawn at random; its own
draw is unseeded), white.png (no tissue), ihc.png
(a crop of the unaltered photo: haematoxylin and DAB, not H&E) and
manifest.json (the stain matrices TIAToolbox extracts, Vahadane's included: its dictionary learning is not seeded by
TIAToolbox, so it is a loose reference).
"""
import json, os, sys
import numpy as np, cv2
from skimage import data, color

tia, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiatoolbox_shim  # noqa: E402
stainnorm, stainextract, stainaugment = tiatoolbox_shim.load(tia)

ihc = data.immunohistochemistry()
hed = color.rgb2hed(ihc)
h = hed[..., 0] - hed[..., 0].min()
d = hed[..., 2] - hed[..., 2].min()
h = h / np.percentile(h, 99)
d = d / np.percentile(d, 99)
tissue = (h + d) > 0.15

def unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)

def render(vh, ve, sh, se, background, crop):
    y, x = crop
    hh, dd, tt = h[y:y + 256, x:x + 256], d[y:y + 256, x:x + 256], tissue[y:y + 256, x:x + 256]
    od = (sh * hh)[..., None] * unit(vh) + (se * (dd + background * tt))[..., None] * unit(ve)
    return np.clip(255 * np.exp(-od), 0, 255).astype(np.uint8)

sites = {
    'A': render([0.65, 0.70, 0.29], [0.07, 0.99, 0.11], 0.9, 0.5, 0.35, (0, 0)),
    'B': render([0.55, 0.78, 0.30], [0.20, 0.95, 0.25], 1.3, 0.35, 0.30, (256, 0)),
    'C': render([0.70, 0.64, 0.32], [0.05, 0.93, 0.35], 0.5, 0.6, 0.40, (0, 256)),
}
for name, rgb in sites.items():
    cv2.imwrite(os.path.join(out, f'site_{name}.png'), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
cv2.imwrite(os.path.join(out, 'white.png'), np.full((64, 64, 3), 242, np.uint8))
# The photo itself (haematoxylin and DAB, not H&E): a target the H&E check must refuse.
cv2.imwrite(os.path.join(out, 'ihc.png'), cv2.cvtColor(ihc[128:384, 128:384], cv2.COLOR_RGB2BGR))

custom = np.array([[0.60, 0.75, 0.28], [0.15, 0.95, 0.27]])
manifest = {'tiatoolbox': '6fc8a2ec4', 'custom': custom.tolist(), 'pairs': [], 'matrices': {}}
for name, rgb in sites.items():
    manifest['matrices'][name] = {
        'macenko': stainextract.MacenkoExtractor().get_stain_matrix(rgb.copy()).tolist(),
        'vahadane': stainextract.VahadaneExtractor().get_stain_matrix(rgb.copy()).tolist(),
    }
for source, target in (('B', 'A'), ('C', 'A'), ('A', 'B')):
    for method in ('macenko', 'reinhard', 'ruifrok', 'custom'):
        norm = stainnorm.get_normalizer(method, custom if method == 'custom' else None)
        norm.fit(sites[target].copy())
        result = norm.transform(sites[source].copy())
        file = f'{method}_{source}_to_{target}.png'
        cv2.imwrite(os.path.join(out, file), cv2.cvtColor(result, cv2.COLOR_RGB2BGR))
        manifest['pairs'].append({'method': method, 'source': f'site_{source}.png', 'target': f'site_{target}.png',
                                  'expected': file})
# Stain augmentation with fixed parameters: get_params draws alpha then beta once per stain, haematoxylin first.
class Fixed(stainaugment.StainAugmentor):
    def __init__(self, alphas, betas):
        super().__init__(method='macenko', sigma1=0.4, sigma2=0.2, augment_background=False)
        self.draws = list(zip(alphas, betas))

    def get_params(self):
        self.alpha, self.beta = self.draws.pop(0)
        return {}


manifest['augment'] = []
for source, k, alphas, betas in (('B', 0, [0.7, 1.3], [0.1, -0.15]), ('B', 1, [1.35, 0.65], [-0.2, 0.18]),
                                 ('C', 0, [1.2, 0.8], [0.05, 0.12])):
    augmentor = Fixed(alphas, betas)
    augmentor.fit(sites[source].copy())
    result = augmentor.augment()
    file = f'augment_{source}_{k}.png'
    cv2.imwrite(os.path.join(out, file), cv2.cvtColor(result, cv2.COLOR_RGB2BGR))
    manifest['augment'].append({'source': f'site_{source}.png', 'alpha': alphas, 'beta': betas, 'expected': file})
json.dump(manifest, open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
print('wrote', len(manifest['pairs']), 'pairs to', out)
