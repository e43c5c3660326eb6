"""Building blocks shared by the nets: hexagonal convolution, masked pooling, input scaling.

Every net owns the scaling of its raw inputs (buffers fitted once on the training set by
``fit_scaling``), so a saved net predicts from the dataset's columns as they are in the file.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from iactdl.camera import HEX_NEIGHBOUR_OFFSETS

__all__ = [
    "hex_kernel_mask",
    "HexConv2d",
    "mlp",
    "masked_mean",
    "masked_sum",
    "masked_max",
    "event_relative_time",
    "pixel_rows",
    "standardise_pixel_rows",
    "pixel_row_stats",
    "OUTPUT_HEADS",
]

# The heads a net can carry, in output-column order: the gammaness logit, log10(E / TeV) and the
# direction head in one of its parametrisations (iactdl.models.nets.direction): the source position
# (deg in the camera), or |disp| (deg) and the logit of its sign.
OUTPUT_HEADS = ("gammaness", "log10_energy", "source_x", "source_y", "disp_abs", "disp_sign")


def hex_kernel_mask() -> torch.Tensor:
    """3x3 mask of the taps of a hexagon-shaped kernel on the axial grid.

    The centre and the six neighbour offsets of :data:`iactdl.camera.HEX_NEIGHBOUR_OFFSETS` are 1;
    the two remaining corners of the 3x3 window are not neighbours on the hexagonal lattice and are
    0. The mask is derived from the camera's offsets rather than written down, so it follows the
    camera's axial convention (tests check it against the neighbour table). ``F.conv2d`` is a
    cross-correlation, so tap ``[1 + dr, 1 + dc]`` reads the cell at offset ``(dr, dc)``.
    """
    mask = torch.zeros(3, 3)
    mask[1, 1] = 1.0
    for dr, dc in HEX_NEIGHBOUR_OFFSETS:
        mask[1 + dr, 1 + dc] = 1.0
    return mask


class HexConv2d(nn.Conv2d):
    """A 3x3 convolution whose kernel covers one pixel and its six hexagonal neighbours.

    The masked corner taps are multiplied by zero on every forward pass, so they neither contribute
    nor receive gradient (Hoogeboom et al. 2018, HexaConv, use the same axial-grid trick).
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size=3, padding=1, bias=bias)
        self.register_buffer("kernel_mask", hex_kernel_mask(), persistent=False)
        with torch.no_grad():
            self.weight.mul_(self.kernel_mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.kernel_mask, self.bias, padding=1)


ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}


def mlp(
    sizes: list[int],
    dropout: float = 0.0,
    final_activation: bool = False,
    activation: str = "gelu",
) -> nn.Sequential:
    """Linear layers with ``activation`` (GELU by default) between them (and dropout after each
    hidden activation)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r}; valid: {list(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def masked_sum(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over axis 1 of ``x`` (n, P, d) where ``mask`` (n, P) is True."""
    return (x * mask.unsqueeze(-1).to(x.dtype)).sum(dim=1)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the valid rows; an empty set gives 0."""
    count = mask.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
    return masked_sum(x, mask) / count


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the valid rows; an empty set gives 0."""
    filled = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
    return torch.where(mask.any(dim=1, keepdim=True), filled, torch.zeros_like(filled))


def event_relative_time(
    charge: torch.Tensor, time: torch.Tensor, valid: torch.Tensor, dims: tuple[int, ...]
) -> torch.Tensor:
    """Peak time minus the event's charge-weighted mean peak time over its ``valid`` pixels (ns).

    The trigger time of an event, and any jitter of it between detectors, shifts every pixel's time
    alike; the time relative to the event keeps the shape of the shower (its time gradient) and
    drops that offset. ``dims``: the pixel axes of one event. An event without charge keeps 0.
    """
    w = torch.where(valid, charge.clamp(min=0), torch.zeros_like(charge))
    total = w.sum(dim=dims, keepdim=True)
    mean = (w * torch.where(valid, time, torch.zeros_like(time))).sum(dim=dims, keepdim=True)
    mean = mean / total.clamp(min=1e-12)
    return torch.where(valid, time - mean, torch.zeros_like(time))


def pixel_rows(pixels: torch.Tensor, mask: torch.Tensor, time: str = "absolute"):
    """Pixel rows (x_deg, y_deg, charge p.e., time ns) -> (x, y, log1p(charge), time).

    Charge enters as log1p (shower images span three decades in p.e.); ``time``: ``absolute`` as
    recorded, ``relative`` to the event (:func:`event_relative_time`), ``none`` (0: the net is
    blind to timing, the ablation that says what the times carry).
    """
    t = pixels[..., 3:]
    if time == "relative":
        t = event_relative_time(pixels[..., 2:3], t, mask.unsqueeze(-1), dims=(1,))
    elif time == "none":
        t = torch.zeros_like(t)
    return torch.cat([pixels[..., :2], torch.log1p(pixels[..., 2:3].clamp(min=0)), t], -1)


def standardise_pixel_rows(
    pixels: torch.Tensor,
    mask: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    time: str = "absolute",
) -> torch.Tensor:
    """:func:`pixel_rows` standardised with the training-set mean/std over valid rows; padded
    rows set to 0, so that no value there (not even NaN) can reach a valid output."""
    x = (pixel_rows(pixels, mask, time) - mean) / std
    return torch.where(mask.unsqueeze(-1), x, torch.zeros_like(x))


def pixel_row_stats(
    pixels: torch.Tensor, mask: torch.Tensor, time: str = "absolute"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of the scaled pixel columns over all valid rows of a training set."""
    x = pixel_rows(pixels, mask, time)
    rows = x[mask].double()
    if rows.shape[0] < 2:
        return torch.zeros(x.shape[-1]), torch.ones(x.shape[-1])
    return rows.mean(0).float(), rows.std(0).clamp(min=1e-6).float()
