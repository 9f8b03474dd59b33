"""sss (soft tau = 0.6), iou/gtc/sc (std:1 binarisation of the min-max normalised map) and pointing_game, vectorised
numpy over chunks of maps; the comparison for `sightline align`. Usage: align_numpy.py SALIENCY.npy MASKS.npy OUT.npy"""
import sys

import numpy as np

maps = np.load(sys.argv[1], mmap_mode="r")
masks = np.load(sys.argv[2], mmap_mode="r")
n = maps.shape[0]
out = np.empty((n, 5))
for s in range(0, n, 250):
    x = np.asarray(maps[s:s + 250], np.float64).reshape(-1, maps.shape[1] * maps.shape[2])
    g = np.asarray(masks[s:s + 250]).reshape(x.shape).astype(bool)
    st = np.where(x > 0.6, x, 0)
    out[s:s + 250, 0] = (st * ~g).sum(1) / st.sum(1)  # sss = O / T
    lo, hi = x.min(1, keepdims=True), x.max(1, keepdims=True)
    z = (x - lo) / (hi - lo)
    b = z >= z.mean(1, keepdims=True) + z.std(1, keepdims=True)
    both, ng, ns = (b & g).sum(1), g.sum(1), b.sum(1)
    out[s:s + 250, 1] = both / (ng + ns - both)  # iou
    out[s:s + 250, 2] = both / ng  # gtc
    out[s:s + 250, 3] = both / ns  # sc
    out[s:s + 250, 4] = g[np.arange(len(x)), x.argmax(1)]  # pointing game, first maximum
np.save(sys.argv[3], out)
print("mean", out.mean(0))
