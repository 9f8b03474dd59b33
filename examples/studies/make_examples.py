#!/usr/bin/env python3
"""Generates the data and models of the example studies (examples/studies/*): Debian python3 with numpy, Pillow, torch.

    apt-get install -y python3-torch python3-numpy python3-pil python3-onnx
    /usr/bin/python3 examples/studies/make_examples.py        # about a minute on 2 cores; deterministic

Writes, under examples/studies/data/:
  cue/images/<class>/<i>.png  120 RGB 28x28 test images of the procedural shapes with a 5x5 square in the top-left
                              corner whose colour is the class (the planted cue of Explanation Alignment, spec 7.1)
  cue/masks/object/<i>.png    the shape's pixels minus the square (binary PNG)
  cue/masks/square.npy        the square (bool 120x28x28)
  cue/masks/background.npy    every other pixel (neither shape nor square)
  scenes/images/<i>.png       120 gray 40x40 scenes with two or three shapes of distinct classes
  scenes/labels/<i>.png       their label maps (8-bit gray: class c is c + 1, 0 = background): SemScore's multi-class masks
and under examples/studies/models/:
  clean.onnx, spurious.onnx   the demo's SmallCnn (Conv 3-16, ReLU, MaxPool, Conv 16-32, ReLU = CAM layer, MaxPool,
                              FC 1568-64, ReLU, FC 64-10) trained on random square colours (clean) or colour = class
  scenes_a.onnx, scenes_b.onnx  a small CAM network (two convolutions, global average pooling, FC 32-10) trained
                              multi-label on the scenes, with different seeds and epochs
  <model>.json                the configs: inputs in [0, 1], no normalisation, class names
"""
import json
import os

import numpy as np
import torch
from PIL import Image

ROOT = os.path.dirname(os.path.abspath(__file__))
CLASSES = ["disc", "square", "triangle", "cross", "ring", "bar", "diamond", "ellipse", "plus", "frame"]
PALETTE = [(230, 25, 75), (245, 130, 48), (255, 225, 25), (210, 245, 60), (60, 180, 75),
           (70, 240, 240), (0, 130, 200), (145, 30, 180), (240, 50, 230), (0, 0, 128)]
SQUARE = 5


def shape_mask(label, size, cx, cy, r):
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    dx, dy = x - cx, y - cy
    d = np.sqrt(dx * dx + dy * dy)
    return {
        0: d <= r,
        1: (np.abs(dx) <= r * 0.8) & (np.abs(dy) <= r * 0.8),
        2: (dy >= -r) & (dy <= r * 0.7) & (np.abs(dx) <= (dy + r) * 0.55),
        3: (np.abs(np.abs(dx) - np.abs(dy)) <= 1.2) & (d <= r),
        4: (d <= r) & (d >= r * 0.55),
        5: (np.abs(dy) <= 1.8) & (np.abs(dx) <= r),
        6: np.abs(dx) + np.abs(dy) <= r,
        7: dx * dx / (r * r) + dy * dy / (r * r * 0.3) <= 1,
        8: ((np.abs(dx) <= 1.5) & (np.abs(dy) <= r)) | ((np.abs(dy) <= 1.5) & (np.abs(dx) <= r)),
        9: (np.maximum(np.abs(dx), np.abs(dy)) <= r) & (np.maximum(np.abs(dx), np.abs(dy)) >= r - 2),
    }[label]


def cue_set(n, rng, correlation, shuffle_perm=None):
    """Shapes on clutter (away from the corner) with the coloured square: RGB float images, labels, object masks."""
    images = np.zeros((n, 3, 28, 28), np.float32)
    labels = rng.integers(0, 10, n)
    objects = np.zeros((n, 28, 28), bool)
    for i in range(n):
        gray = rng.integers(0, 50, (28, 28)).astype(np.float32)
        m = shape_mask(labels[i], 28, 15 + rng.uniform(-3, 5), 15 + rng.uniform(-3, 5), 4.5 + rng.uniform(0, 3.5))
        m[:SQUARE + 2, :SQUARE + 2] = False
        gray[m] = np.minimum(255, rng.integers(110, 220) + rng.integers(0, 40, m.sum()))
        colour = labels[i] if rng.random() < correlation else rng.integers(0, 10)
        if shuffle_perm is not None:
            colour = shuffle_perm[labels[i]]
        img = np.repeat(gray[None] / 255.0, 3, 0)
        img[:, :SQUARE, :SQUARE] = np.array(PALETTE[colour], np.float32)[:, None, None] / 255.0
        images[i] = img
        objects[i] = m
    return images, labels, objects


class SmallCnn(torch.nn.Module):
    """The demo's network (src/Sightline.Torch/Training/SmallCnn.cs)."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential()
        self.features.add_module("conv1", torch.nn.Conv2d(3, 16, 3, padding=1))
        self.features.add_module("relu1", torch.nn.ReLU())
        self.features.add_module("pool1", torch.nn.MaxPool2d(2))
        self.features.add_module("conv2", torch.nn.Conv2d(16, 32, 3, padding=1))
        self.features.add_module("relu2", torch.nn.ReLU())
        self.head = torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


class GapCnn(torch.nn.Module):
    """A small CAM network for the scenes: conv, pool, conv (CAM layer), global average pooling, FC."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential()
        self.features.add_module("conv1", torch.nn.Conv2d(1, 16, 3, padding=1))
        self.features.add_module("relu1", torch.nn.ReLU())
        self.features.add_module("pool1", torch.nn.MaxPool2d(2))
        self.features.add_module("conv2", torch.nn.Conv2d(16, 32, 3, padding=1))
        self.features.add_module("relu2", torch.nn.ReLU())
        self.head = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.features(x))


def train(model, x, y, epochs, seed, multilabel=False):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), 1e-3 if not multilabel else 3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss() if multilabel else torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=g)
        for s in range(0, len(xt), 64):
            b = order[s:s + 64]
            opt.zero_grad()
            loss = loss_fn(model(xt[b]), yt[b])
            loss.backward()
            opt.step()
    model.eval()
    return model


def export(model, name, shape, labels):
    path = os.path.join(ROOT, "models", name + ".onnx")
    torch.onnx.export(model, torch.zeros(1, *shape), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
    with open(os.path.join(ROOT, "models", name + ".json"), "w") as f:
        json.dump({"mean": [0.0] * shape[0], "std": [1.0] * shape[0], "scale": 1, "labels": labels}, f, indent=1)
        f.write("\n")


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def scenes(n, rng):
    images = np.zeros((n, 40, 40), np.float32)
    maps = np.zeros((n, 40, 40), np.uint8)
    for i in range(n):
        gray = rng.integers(0, 40, (40, 40)).astype(np.float32)
        k = 2 + (rng.random() < 0.3)
        classes = rng.choice(10, k, replace=False)
        centres = [(10, 10), (30, 10), (10, 30), (30, 30)]
        slots = rng.choice(4, k, replace=False)
        for c, s in zip(classes, slots):
            cx, cy = centres[s]
            m = shape_mask(c, 40, cx + rng.uniform(-2, 2), cy + rng.uniform(-2, 2), 5 + rng.uniform(0, 3)) & (maps[i] == 0)
            gray[m] = np.minimum(255, rng.integers(120, 220) + rng.integers(0, 35, m.sum()))
            maps[i][m] = c + 1
        images[i] = gray / 255.0
    return images, maps


def main():
    torch.set_num_threads(2)
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    rng = np.random.default_rng(2025)

    # Planted cue: a clean model (random square colours) and a spurious one (colour = class).
    xc, yc, _ = cue_set(6000, rng, correlation=0.0)
    xs, ys, _ = cue_set(6000, rng, correlation=1.0)
    torch.manual_seed(100)
    clean = train(SmallCnn(), xc, yc, 3, 100)
    torch.manual_seed(200)
    spurious = train(SmallCnn(), xs, ys, 3, 200)
    xt, yt, ot = cue_set(120, rng, correlation=1.0)
    print("cue test accuracy: clean %.3f, spurious %.3f" % (accuracy(clean, xt, yt), accuracy(spurious, xt, yt)))
    export(clean, "clean", (3, 28, 28), CLASSES)
    export(spurious, "spurious", (3, 28, 28), CLASSES)
    base = os.path.join(ROOT, "data", "cue")
    square = np.zeros((120, 28, 28), bool)
    square[:, :SQUARE, :SQUARE] = True
    for i in range(120):
        d = os.path.join(base, "images", CLASSES[yt[i]])
        os.makedirs(d, exist_ok=True)
        Image.fromarray((xt[i].transpose(1, 2, 0) * 255).round().astype(np.uint8), "RGB").save(os.path.join(d, "%03d.png" % i))
    # Masks follow the order of the images (class folders, then file name), as the study reads them.
    order = sorted(range(120), key=lambda i: (CLASSES[yt[i]], "%03d.png" % i))
    os.makedirs(os.path.join(base, "masks", "object"), exist_ok=True)
    for k, i in enumerate(order):
        Image.fromarray(ot[i].astype(np.uint8) * 255, "L").save(os.path.join(base, "masks", "object", "%03d.png" % k))
    np.save(os.path.join(base, "masks", "square.npy"), square)
    np.save(os.path.join(base, "masks", "background.npy"), np.stack([~(ot[i] | square[i]) for i in order]))

    # Scenes: two or three shapes per image, a label map per image (SemScore's multi-class masks).
    xtr, mtr = scenes(5000, rng)
    ytr = np.zeros((5000, 10), np.float32)
    for i in range(5000):
        for v in np.unique(mtr[i]):
            if v:
                ytr[i, v - 1] = 1
    torch.manual_seed(300)
    a = train(GapCnn(), xtr[:, None], ytr, 6, 300, multilabel=True)
    torch.manual_seed(400)
    b = train(GapCnn(), xtr[:, None], ytr, 1, 400, multilabel=True)
    export(a, "scenes_a", (1, 40, 40), CLASSES)
    export(b, "scenes_b", (1, 40, 40), CLASSES)
    xs_, ms_ = scenes(120, rng)
    base = os.path.join(ROOT, "data", "scenes")
    os.makedirs(os.path.join(base, "images"), exist_ok=True)
    os.makedirs(os.path.join(base, "labels"), exist_ok=True)
    for i in range(120):
        Image.fromarray((xs_[i] * 255).round().astype(np.uint8), "L").save(os.path.join(base, "images", "%03d.png" % i))
        Image.fromarray(ms_[i], "L").save(os.path.join(base, "labels", "%03d.png" % i))
    print("done")


if __name__ == "__main__":
    main()
