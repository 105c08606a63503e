"""Reads an OME-TIFF heatmap back with tifffile (not the writer) for the Pester tests: the pyramid's levels, the
OME-XML's pixel size, type and channel, and the value at each queried (level, x, y), as JSON on stdout.

Usage: read_ome_tiff.py FILE < queries.json, where queries.json is a list of [level, x, y].
"""
import json
import sys
import xml.etree.ElementTree as ET

import numpy as np
import tifffile

with tifffile.TiffFile(sys.argv[1]) as tif:
    series = tif.series[0]
    ns = {'o': 'http://www.openmicroscopy.org/Schemas/OME/2016-06'}
    pixels = ET.fromstring(tif.ome_metadata).find('.//o:Pixels', ns)
    levels = [level.asarray() for level in series.levels]
    queries = json.load(sys.stdin)

    def value(v):
        return None if np.isnan(v) else float(v)

    json.dump({
        'is_ome': tif.is_ome,
        'levels': [list(a.shape) for a in levels],
        'dtype': str(series.dtype),
        'subifds': len(tif.pages[0].subifds or []),
        'tile': [tif.pages[0].tilewidth, tif.pages[0].tilelength],
        'physical': [pixels.get('PhysicalSizeX'), pixels.get('PhysicalSizeY')],
        'type': pixels.get('Type'),
        'channel': pixels.find('o:Channel', ns).get('Name'),
        'values': [value(levels[l][y, x]) for l, x, y in queries],
    }, sys.stdout)
