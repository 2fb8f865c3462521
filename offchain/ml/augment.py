"""Batched data augmentation as tensor operations on the training device (no per-image PIL).

The seed recipe's RandomHorizontalFlip, RandomCrop(32, padding=4) and Normalize(0.5, 0.5)
applied to a whole uint8 batch at once, in the spirit of airbench's `batch_flip_lr` and
`batch_crop`, a small random rotation (digits: a tilted 7 is still a 7, a mirrored one is
not), and cutout, part of FixMatch's strong view (offchain.ml.consistency). Randomness comes
from an explicit generator so a run is reproducible.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

ROTATE_DEGREES = 15.0  # at most this far either way (MNIST's own slant varies about as much)
CUTOUT = 12  # side of cutout's square: up to half the image in FixMatch, less here (strokes are thin)
CUTOUT_FILL = 127  # FixMatch's cutout paints grey (127, 127, 127), not the black background
MEAN = 0.5
STD = 0.5


def batch_flip_lr(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def batch_crop(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad by `padding` on each side, then cut each image back at a random offset."""
    n, _, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (n,), device=images.device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), device=images.device, generator=generator)
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, None, :, None]  # n,1,h,1
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, None, :]  # n,1,1,w
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def batch_rotate(images: torch.Tensor, degrees: float, generator: torch.Generator) -> torch.Tensor:
    """Turn each image about its centre by an angle drawn uniformly from [-degrees, degrees]
    (bilinear, zeros outside: the background of these data sets is black)."""
    n = images.shape[0]
    angle = (torch.rand(n, device=images.device, generator=generator) * 2 - 1) * degrees * torch.pi / 180
    cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # n,2,3
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    turned = F.grid_sample(images.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return turned.round_().clamp_(0, 255).to(images.dtype)


def batch_cutout(images: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Paint a `size` x `size` square grey in each image, centred anywhere (clipped at the edges;
    DeVries & Taylor 2017, as FixMatch's strong view uses it)."""
    n, _, h, w = images.shape
    cy = torch.randint(0, h, (n,), device=images.device, generator=generator)[:, None, None, None]
    cx = torch.randint(0, w, (n,), device=images.device, generator=generator)[:, None, None, None]
    rows = torch.arange(h, device=images.device)[None, None, :, None]
    cols = torch.arange(w, device=images.device)[None, None, None, :]
    half = size // 2
    inside = (rows >= cy - half) & (rows < cy - half + size) & (cols >= cx - half) & (cols < cx - half + size)
    return images.masked_fill(inside, CUTOUT_FILL)


def normalize(images: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 [0, 255] to float in [-1, 1]: ToTensor then Normalize((0.5,)*3, (0.5,)*3)."""
    out = images.float().div_(255.0).sub_(MEAN).div_(STD)
    return out.contiguous(memory_format=torch.channels_last) if channels_last else out


def augment(images: torch.Tensor, augmentations: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """Apply the named augmentations (in the seed recipe's order) to a uint8 batch."""
    if "flip" in augmentations:
        images = batch_flip_lr(images, generator)
    if "rotate" in augmentations:
        images = batch_rotate(images, ROTATE_DEGREES, generator)
    if "crop" in augmentations:
        images = batch_crop(images, 4, generator)
    if "cutout" in augmentations:
        images = batch_cutout(images, CUTOUT, generator)
    return images
