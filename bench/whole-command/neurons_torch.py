"""correlation or inverse_auc of every neuron against every concept, in plain PyTorch 1.13, in the
files' dtype (float32; float64 is slower here, and Sightline computes in float64); the comparison for
`sightline neurons score`. Usage: neurons_torch.py correlation|inverse_auc A.npy C.npy OUT.npy
correlation: (1/N) z(A)^T z(C), z = (x - mean) / max(unbiased std, 1e-9): one matrix product.
inverse_auc: [sum of the 0-based midranks of a_k over the inputs with c_t >= 0.5 - m1(m1-1)/2] / max(m1 m0, 1),
a Python loop per neuron (sort, midranks of tie groups, one matrix-vector product with the concept indicators), on
one thread: with two, these many small operations ran about twice as slow here."""
import os
import sys

import numpy as np
import torch

metric, a_path, c_path, out = sys.argv[1:5]
a = torch.from_numpy(np.load(a_path))
c = torch.from_numpy(np.load(c_path))
n = a.shape[0]
if metric == "correlation":
    torch.set_num_threads(os.cpu_count())  # Debian's torch 1.13 defaults to one thread here; two halve the product
    za = (a - a.mean(0)) / a.std(0).clamp_min(1e-9)
    zc = (c - c.mean(0)) / c.std(0).clamp_min(1e-9)
    s = za.T @ zc / n
else:
    chat = (c >= 0.5).to(a.dtype)
    m1 = chat.sum(0)
    s = torch.empty(a.shape[1], c.shape[1], dtype=a.dtype)
    for k in range(a.shape[1]):
        v, order = torch.sort(a[:, k])
        _, inverse, counts = torch.unique_consecutive(v, return_inverse=True, return_counts=True)
        ends = torch.cumsum(counts, 0).to(a.dtype)
        ranks = torch.empty(n, dtype=a.dtype)
        ranks[order] = (ends - (counts.to(a.dtype) + 1) / 2)[inverse]  # 0-based midrank of each tie group
        s[k] = (ranks @ chat - m1 * (m1 - 1) / 2) / (m1 * (n - m1)).clamp_min(1)
np.save(out, s.numpy())
