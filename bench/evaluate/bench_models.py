"""The two benchmark classifiers of bench/evaluate, shared by make_models.py (export) and quantus_equivalent.py (the
same torch modules, reloaded from the saved weights, so both sides score the same network)."""
import torch
import torchvision

# name -> (input C, H, W, classes, samples the benchmark scores by default)
MODELS = {
    "resnet18": (3, 224, 224, 1000, 8),
    "smallcnn": (3, 32, 32, 10, 64),
}


class SmallCnn(torch.nn.Module):
    """A small CIFAR-sized CNN: conv3x3(16)-ReLU-maxpool, conv3x3(32)-ReLU-maxpool, conv3x3(64)-ReLU, global average
    pool, linear 64 -> 10 (about 24k parameters)."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU())
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def build(name):
    """The untrained module of NAME (weights are loaded from the cache or drawn by make_models.py)."""
    if name == "resnet18":
        return torchvision.models.resnet18(weights=None, num_classes=1000)
    if name == "smallcnn":
        return SmallCnn()
    raise KeyError(name)


def load(name, cache):
    """The module of NAME with the weights make_models.py saved in CACHE, in eval mode."""
    m = build(name)
    m.load_state_dict(torch.load(f"{cache}/{name}.pt"))
    return m.eval()
