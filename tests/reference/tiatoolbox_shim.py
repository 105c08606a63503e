"""Loads TIAToolbox's stain code (tools/stainextract.py, tools/stainnorm.py, tools/stainaugment.py) from a checkout of
TissueImageAnalytics/tiatoolbox on Debian's numpy, scikit-learn, scikit-image and OpenCV.

Those files run unchanged. The helpers they import from tiatoolbox.utils (rgb2od, od2rgb, get_luminosity_tissue_mask,
contrast_enhancer, load_stain_matrix) are lifted from its own utils/transforms.py and utils/misc.py by name with ast,
into a throwaway package in a temporary folder, because the real utils import dask, zarr, shapely and other packages
Debian 12 does not ship. albumentations (stainaugment's base class) is stood in by a plain class. Nothing of TIAToolbox
is written into this repository.
"""
import ast, atexit, logging, os, shutil, sys, tempfile


def _lift(path, names, header):
    tree = ast.parse(open(path).read())
    body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    missing = set(names) - {n.name for n in body}
    if missing:
        sys.exit(f'{path} has no {missing}')
    return header + '\n\n' + '\n\n'.join(ast.unparse(n) for n in body) + '\n'


def load(tia):
    """(stainnorm, stainextract, stainaugment) modules of the checkout at `tia`."""
    shim = tempfile.mkdtemp()
    atexit.register(shutil.rmtree, shim, True)
    pkg = os.path.join(shim, 'tiatoolbox')
    for sub in ('utils', 'tools', 'albumentations/core'):
        os.makedirs(os.path.join(shim if sub.startswith('alb') else pkg, sub))
    def write(path, text):
        open(os.path.join(shim, path), 'w').write(text)
    write('tiatoolbox/__init__.py', 'import logging\nlogger = logging.getLogger("tiatoolbox")\n')
    write('tiatoolbox/tools/__init__.py', '')
    write('tiatoolbox/utils/__init__.py', '')
    write('tiatoolbox/utils/exceptions.py', 'class MethodNotSupportedError(Exception):\n    pass\n')
    write('tiatoolbox/utils/misc.py', _lift(
        os.path.join(tia, 'tiatoolbox/utils/misc.py'),
        ['get_luminosity_tissue_mask', 'contrast_enhancer', 'load_stain_matrix'],
        'from __future__ import annotations\nfrom pathlib import Path\nimport cv2\nimport numpy as np\n'
        'import pandas as pd\nfrom skimage import exposure'))
    write('tiatoolbox/utils/transforms.py', _lift(
        os.path.join(tia, 'tiatoolbox/utils/transforms.py'), ['rgb2od', 'od2rgb'],
        'from __future__ import annotations\nimport numpy as np'))
    write('albumentations/__init__.py', '')
    write('albumentations/core/__init__.py', '')
    write('albumentations/core/transforms_interface.py',
          'class ImageOnlyTransform:\n    def __init__(self, always_apply=False, p=0.5):\n        pass\n')
    for f in ('stainextract.py', 'stainnorm.py', 'stainaugment.py'):
        shutil.copy(os.path.join(tia, 'tiatoolbox/tools', f), os.path.join(pkg, 'tools', f))
    sys.path.insert(0, shim)
    logging.disable(logging.WARNING)
    from tiatoolbox.tools import stainnorm, stainextract, stainaugment
    return stainnorm, stainextract, stainaugment
