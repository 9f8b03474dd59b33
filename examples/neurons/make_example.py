#!/usr/bin/env python3
"""Generates the tiny example for `sightline neurons` (pure Python, no numpy).

200 inputs, 4 class concepts (one-hot, inputs cycle through the classes) and 4 "class neurons": neuron t responds to
class t plus noise, except neuron 3, which responds to classes 2 and 3 alike (a polysemantic neuron).
Writes activations.npy (float32 200x4), concepts.npy (float32 200x4) and names.txt.
"""
import random
import struct


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(s) for s in shape)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def main():
    rng = random.Random(7)
    n, k = 200, 4
    acts, concepts = [], []
    for i in range(n):
        label = i % k
        for t in range(k):
            hit = label == t or (t == 3 and label == 2)
            acts.append((1.0 if hit else 0.0) + 0.5 * rng.random())
        concepts.extend(1.0 if label == t else 0.0 for t in range(k))
    write_npy("activations.npy", (n, k), acts)
    write_npy("concepts.npy", (n, k), concepts)
    with open("names.txt", "w") as f:
        f.write("cat\ndog\ncar\ntree\n")


if __name__ == "__main__":
    main()
