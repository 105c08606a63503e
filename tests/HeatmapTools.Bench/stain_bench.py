#!/usr/bin/env python3
"""TIAToolbox's MacenkoNormalizer on the bench's tiles: fit once, transform each; prints the median tiles/s of `runs`.

    /usr/bin/python3 stain_bench.py /path/to/tiatoolbox target.png tiles_folder runs
"""
import glob, os, statistics, sys, time
import cv2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'reference'))
import tiatoolbox_shim  # noqa: E402

tia, target, folder, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stainnorm, _, _ = tiatoolbox_shim.load(tia)
tiles = [cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB) for f in sorted(glob.glob(os.path.join(folder, '*.png')))]
norm = stainnorm.get_normalizer('macenko')
norm.fit(cv2.cvtColor(cv2.imread(target), cv2.COLOR_BGR2RGB))
rates = []
for run in range(runs + 1):
    start = time.perf_counter()
    for tile in tiles:
        norm.transform(tile.copy())
    if run:
        rates.append(len(tiles) / (time.perf_counter() - start))
print(statistics.median(rates))
