#!/usr/bin/env python3
"""Generates the small example data set for `sightline align` (pure Python, no numpy needed).

24 samples of 64x64: an elliptical object (the ground-truth mask) and a saliency map that is a Gaussian blob plus
noise. Samples 0-15 look at the object; samples 16-23 look at a 6x6 "cue" in the top-left corner instead, the
pattern a spuriously correlated model shows. Labels are 0..2; predictions are wrong for a few spurious samples.
Writes saliency.npy (float32 N×H×W), masks.npy (bool N×H×W), labels.npy and predictions.npy (int64 N).
"""
import math
import random
import struct


def write_npy(path, descr, shape, values, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main():
    rng = random.Random(2024)
    n, h, w = 24, 64, 64
    saliency, masks, labels, predictions = [], [], [], []
    for i in range(n):
        cy, cx = rng.uniform(24, 44), rng.uniform(24, 44)
        ry, rx = rng.uniform(8, 14), rng.uniform(8, 14)
        spurious = i >= 16
        py, px = (3.0, 3.0) if spurious else (cy + rng.uniform(-3, 3), cx + rng.uniform(-3, 3))
        sigma = 4.0 if spurious else rng.uniform(5, 8)
        for y in range(h):
            for x in range(w):
                inside = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0
                masks.append(1 if inside else 0)
                blob = math.exp(-((y - py) ** 2 + (x - px) ** 2) / (2 * sigma * sigma))
                saliency.append(blob + 0.15 * rng.random())
        label = i % 3
        labels.append(label)
        predictions.append((label + 1) % 3 if spurious and i % 2 == 0 else label)
    write_npy("saliency.npy", "<f4", (n, h, w), saliency, "f")
    write_npy("masks.npy", "|b1", (n, h, w), masks, "B")
    write_npy("labels.npy", "<i8", (n,), labels, "q")
    write_npy("predictions.npy", "<i8", (n,), predictions, "q")


if __name__ == "__main__":
    main()
