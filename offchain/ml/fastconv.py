"""Same math, less work: a 3x3 convolution whose input is 1x1 computed as its centre tap.

On 32x32 images torchvision's ResNet-18 (ImageNet stem) reaches layer4 with 1x1 feature maps:
there a 3x3 convolution with padding 1 multiplies eight of its nine taps by padding zeros.
`CentreTapConv2d` keeps the same parameters (same state dict, same fingerprint) and, for a
1x1 input only, computes out = x @ W[:, :, 1, 1]^T + b. The other taps get gradient zero, as
they do in the plain convolution (their input is zero), so training follows the same math;
only the order of float additions differs (measured |dW| <= 1e-6 after steps, see tests).

    make_centre_tap(model)   # in place; returns how many convolutions were switched
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CentreTapConv2d(nn.Conv2d):
    """nn.Conv2d (3x3, padding 1, no dilation, no groups) with a centre-tap path for 1x1 inputs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != 1 or x.shape[-2] != 1:
            return super().forward(x)
        out = F.linear(x.reshape(x.shape[0], -1), self.weight[:, :, 1, 1], self.bias)
        return out.reshape(x.shape[0], -1, 1, 1)


def eligible(conv: nn.Module) -> bool:
    """A plain 3x3 convolution with padding 1: on a 1x1 input only its centre tap sees data."""
    return (
        type(conv) is nn.Conv2d
        and conv.kernel_size == (3, 3)
        and conv.padding == (1, 1)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and conv.padding_mode == "zeros"
    )


def make_centre_tap(model: nn.Module) -> int:
    """Switch every eligible convolution of `model` to CentreTapConv2d, in place."""
    switched = 0
    for module in model.modules():
        if eligible(module):
            module.__class__ = CentreTapConv2d
            switched += 1
    return switched
