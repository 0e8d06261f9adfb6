"""The papers' networks, with width and depth as parameters so the smoke tier scales them down.

- allcnn:   Achille et al.'s All-CNN, as the careful replications read their Appendix A and as
            their group's code builds it: conv-BN-ReLU blocks 96, 96, 192 (stride 2), 192, 192,
            192 (stride 2), 192, 192 (1x1), 10 (1x1), global average pooling; the strided
            convolution of a stage widens it. `depth` 3x3 convolutions per stage before each
            strided one (paper: 2). No dropout (PROTOCOL.md, "All-CNN: two readings").
- allcnn-c: Springenberg et al.'s All-CNN-C with BatchNorm, the other reading: the first strided
            convolution keeps 96 channels (96, 96, 96 s2, 192, 192, 192 s2, 192, 192, 10); the
            smoke tier's fitting setting was measured with it.
- conv3:    a small conv net for the smoke tier: conv-BN-ReLU per width, 2x2 max pooling between,
            global average pooling, linear classifier; widths (16, 32, 64).
- fc:       the MNIST fully connected net, hidden widths 2500-2000-1500-1000-500, BatchNorm.
- resnet18: ResNet-18 with the CIFAR stem (3x3 conv, no max pooling), widths 64-128-256-512.
"""
from __future__ import annotations

import torch
from torch import nn

PAPER_WIDTH = {
    "allcnn": (96, 192),
    "allcnn-c": (96, 192),
    "conv3": (16, 32, 64),
    "fc": (2500, 2000, 1500, 1000, 500),
    "resnet18": (64, 128, 256, 512),
}
PAPER_DEPTH = {"allcnn": 2, "allcnn-c": 2, "conv3": 1, "fc": 1, "resnet18": 2}


class GlobalAvgPool(nn.Module):
    """Global average pooling to [N, C, 1, 1]. On CUDA a mean, because adaptive_avg_pool2d's
    CUDA backward has no deterministic implementation (it raises under
    torch.use_deterministic_algorithms); on the CPU adaptive_avg_pool2d, whose numbers the
    stored CPU runs have."""

    def forward(self, x):
        if x.is_cuda:
            return x.mean(dim=(2, 3), keepdim=True)
        return nn.functional.adaptive_avg_pool2d(x, 1)


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


class AllCNN(nn.Module):
    """widen_at_stride: the paper's reading (the first strided convolution goes to the second
    width); False: All-CNN-C (it keeps the first)."""

    def __init__(self, in_channels: int, num_classes: int, width=(96, 192), depth: int = 2,
                 widen_at_stride: bool = True):
        super().__init__()
        w1, w2 = width
        layers, c = [], in_channels
        for w in (w1, w2):
            for _ in range(depth):
                layers += conv_bn(c, w)
                c = w
            out = w2 if widen_at_stride else w
            layers += conv_bn(c, out, stride=2)
            c = out
        layers += conv_bn(c, w2) + conv_bn(w2, w2, k=1)
        layers += [nn.Conv2d(w2, num_classes, 1), GlobalAvgPool(), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Conv3(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width=(16, 32, 64), depth: int = 1):
        super().__init__()
        layers, c = [], in_channels
        for i, w in enumerate(width):
            for _ in range(depth):
                layers += conv_bn(c, w)
                c = w
            if i < len(width) - 1:
                layers.append(nn.MaxPool2d(2))
        layers += [GlobalAvgPool(), nn.Flatten(), nn.Linear(c, num_classes)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class FullyConnected(nn.Module):
    def __init__(self, in_features: int, num_classes: int, width=PAPER_WIDTH["fc"]):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        c = in_features
        for w in width:
            layers += [nn.Linear(c, w, bias=False), nn.BatchNorm1d(w), nn.ReLU(inplace=True)]
            c = w
        layers.append(nn.Linear(c, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            *conv_bn(cin, cout, stride=stride),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width=PAPER_WIDTH["resnet18"],
                 depth: int = 2):
        super().__init__()
        layers, c = conv_bn(in_channels, width[0]), width[0]
        for i, w in enumerate(width):
            for j in range(depth):
                layers.append(BasicBlock(c, w, stride=2 if (i > 0 and j == 0) else 1))
                c = w
        layers += [GlobalAvgPool(), nn.Flatten(), nn.Linear(c, num_classes)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def build_model(name: str, image_shape: tuple[int, ...], num_classes: int,
                width: tuple[int, ...] = (), depth: int | None = None) -> nn.Module:
    if name not in PAPER_WIDTH:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(PAPER_WIDTH)}")
    width = tuple(width) or PAPER_WIDTH[name]
    depth = depth or PAPER_DEPTH[name]
    c, h, w = image_shape
    if name in ("allcnn", "allcnn-c"):
        if len(width) != 2:
            raise ValueError(f"{name} takes two widths")
        return AllCNN(c, num_classes, width, depth, widen_at_stride=name == "allcnn")
    if name == "conv3":
        return Conv3(c, num_classes, width, depth)
    if name == "fc":
        return FullyConnected(c * h * w, num_classes, width)
    return ResNet18(c, num_classes, width, depth)


def is_convolutional(name: str) -> bool:
    return name != "fc"
