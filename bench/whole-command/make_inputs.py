"""Writes the inputs of the whole-command benchmarks (bench/whole-command/run.sh).

align: 2,000 saliency maps of 224x224 (float32, a Gaussian blob plus noise) and bool masks (a square near the blob).
neurons: 20,000 inputs x 400 neurons (float32 activations) and 20,000 x 400 binary concept labels (float32 0/1,
about 5% positive, each concept correlated with one neuron).
Run with Debian's /usr/bin/python3 (numpy 1.24): make_inputs.py OUTDIR
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)

n, size = 2000, 224
yy, xx = np.mgrid[0:size, 0:size]
maps = np.empty((n, size, size), np.float32)
masks = np.empty((n, size, size), bool)
for i in range(n):
    cy, cx = rng.integers(size // 5, 4 * size // 5, 2)
    r = rng.integers(size // 10, size // 4)
    d2 = (yy - cy) ** 2 + (xx - cx) ** 2
    maps[i] = np.exp(-d2 / (2.0 * r * r)) + 0.2 * rng.random((size, size))
    masks[i] = (np.abs(yy - cy - 5) < r) & (np.abs(xx - cx + 3) < r)
np.save(os.path.join(out, "saliency.npy"), maps)
np.save(os.path.join(out, "masks.npy"), masks)

N, K, T = 20000, 400, 400
acts = rng.standard_normal((N, K)).astype(np.float32)
acts = np.maximum(acts, 0).round(2)  # ReLU'd and rounded: many ties, as real activations have
concepts = (rng.random((N, T)) < 0.05)
concepts[:, : min(K, T)] |= acts[:, : min(K, T)] > 2.0
np.save(os.path.join(out, "activations.npy"), acts.astype(np.float32))
np.save(os.path.join(out, "concepts.npy"), concepts.astype(np.float32))
