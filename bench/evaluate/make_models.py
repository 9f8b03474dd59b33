#!/usr/bin/python3
"""Makes the inputs of bench/evaluate in a git-ignored cache folder (default bench/evaluate/.cache; never commit it:
the ResNet-18 weights alone are 45 MB): for each benchmark model (bench_models.MODELS)

  NAME.onnx      the classifier exported to ONNX (input `input` N x C x H x W float32, output `logits` N x K, batch axis
                 dynamic), random weights drawn from a fixed seed (torchvision resnet18, 1000 classes, at 3x224x224; a
                 small CNN at 3x32x32)
  NAME.pt        the same weights as a torch state dict (quantus_equivalent.py runs this very module)
  NAME.x.npy     N x C x H x W float32 inputs, standard normal, seeded
  NAME.saliency.npy  N x H x W float32: |d logit[predicted] / d x| summed over channels (a real map, cheap to make)
  NAME.targets.npy   N int64: the predicted classes (what `sightline evaluate` explains without --labels)

Usage: /usr/bin/python3 bench/evaluate/make_models.py [CACHE_DIR] [--samples NAME=N ...]
Needs Debian's python3-torch 1.13 and python3-torchvision 0.14 (apt-get install python3-torch python3-torchvision).
Deterministic: the same seed gives the same weights, inputs and maps.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_models  # noqa: E402


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--samples")]
    cache = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
    samples = {}
    for a in sys.argv[1:]:
        if a.startswith("--samples="):
            k, v = a.split("=", 1)[1].split("=")
            samples[k] = int(v)
    os.makedirs(cache, exist_ok=True)
    torch.set_num_threads(2)
    for i, (name, (c, h, w, classes, n)) in enumerate(bench_models.MODELS.items()):
        n = samples.get(name, n)
        torch.manual_seed(20261207 + i)
        model = bench_models.build(name).eval()
        torch.save(model.state_dict(), f"{cache}/{name}.pt")
        torch.onnx.export(model, torch.zeros(1, c, h, w), f"{cache}/{name}.onnx", input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=14)
        g = torch.Generator().manual_seed(7 + i)
        x = torch.randn(n, c, h, w, generator=g)
        xg = x.clone().requires_grad_(True)
        logits = model(xg)
        targets = logits.argmax(1)
        logits.gather(1, targets[:, None]).sum().backward()
        saliency = xg.grad.abs().sum(1)
        np.save(f"{cache}/{name}.x.npy", x.numpy().astype(np.float32))
        np.save(f"{cache}/{name}.saliency.npy", saliency.numpy().astype(np.float32))
        np.save(f"{cache}/{name}.targets.npy", targets.numpy().astype(np.int64))
        print(f"{name}: {cache}/{name}.onnx, {n} samples of {c}x{h}x{w}")


if __name__ == "__main__":
    main()
