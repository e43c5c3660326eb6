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
    "event_centre",
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

    Returns
    -------
    torch.Tensor
        Shape (3, 3), float32: seven taps 1, two corners 0.
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
    Padding 1 keeps the grid's shape.

    Parameters
    ----------
    in_channels : int
        Channels of the input grid (e.g. 2: charge and peak time).
    out_channels : int
        Channels of the output grid (filters).
    bias : bool, optional
        Whether each filter adds a learned bias (default True).
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size=3, padding=1, bias=bias)
        self.register_buffer("kernel_mask", hex_kernel_mask(), persistent=False)
        with torch.no_grad():
            self.weight.mul_(self.kernel_mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve with the masked kernel.

        Parameters
        ----------
        x : torch.Tensor
            Shape (n_events, in_channels, rows, cols): a camera image on the axial grid.

        Returns
        -------
        torch.Tensor
            Shape (n_events, out_channels, rows, cols).
        """
        return F.conv2d(x, self.weight * self.kernel_mask, self.bias, padding=1)


ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}


def mlp(
    sizes: list[int],
    dropout: float = 0.0,
    final_activation: bool = False,
    activation: str = "gelu",
) -> nn.Sequential:
    """Linear layers with ``activation`` (GELU by default) between them (and dropout after each
    hidden activation).

    Parameters
    ----------
    sizes : list of int
        Widths of the layers, input first and output last: ``len(sizes) - 1`` linear layers.
    dropout : float, optional
        Dropout probability after each activation (default 0: none).
    final_activation : bool, optional
        Whether the last linear layer is followed by the activation (and dropout) too (default
        False: the output is linear, e.g. a logit).
    activation : str, optional
        ``gelu`` (default; Hendrycks & Gimpel 2016) or ``relu``.

    Returns
    -------
    torch.nn.Sequential
        The layers.

    Raises
    ------
    ValueError
        Where ``activation`` is neither ``gelu`` nor ``relu``.
    """
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
    """Sum over axis 1 of ``x`` (n, P, d) where ``mask`` (n, P) is True.

    Parameters
    ----------
    x : torch.Tensor
        Row values, shape (n_events, P, d).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.

    Returns
    -------
    torch.Tensor
        Shape (n_events, d); 0 for an event without valid rows.
    """
    return (x * mask.unsqueeze(-1).to(x.dtype)).sum(dim=1)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the valid rows; an empty set gives 0.

    Parameters
    ----------
    x : torch.Tensor
        Row values, shape (n_events, P, d).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.

    Returns
    -------
    torch.Tensor
        Shape (n_events, d): :func:`masked_sum` over the number of valid rows (at least 1).
    """
    count = mask.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
    return masked_sum(x, mask) / count


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the valid rows; an empty set gives 0.

    Parameters
    ----------
    x : torch.Tensor
        Row values, shape (n_events, P, d).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.

    Returns
    -------
    torch.Tensor
        Shape (n_events, d): the largest value of each column over the valid rows.
    """
    filled = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
    return torch.where(mask.any(dim=1, keepdim=True), filled, torch.zeros_like(filled))


def event_relative_time(
    charge: torch.Tensor, time: torch.Tensor, valid: torch.Tensor, dims: tuple[int, ...]
) -> torch.Tensor:
    """Peak time minus the event's charge-weighted mean peak time over its ``valid`` pixels (ns).

    The trigger time of an event, and any jitter of it between detectors, shifts every pixel's time
    alike; the time relative to the event keeps the shape of the shower (its time gradient) and
    drops that offset. An event without charge keeps 0.

    .. math:: t_i - \\frac{\\sum_j w_j t_j}{\\sum_j w_j}, \\quad w_j = \\max(q_j, 0)

    over the valid pixels ``j`` of the event.

    Parameters
    ----------
    charge : torch.Tensor
        Pixel charges ``q`` (p.e.); negative ones weigh 0.
    time : torch.Tensor
        Pixel peak times ``t`` (ns), same shape as ``charge``.
    valid : torch.Tensor
        Bool, broadcastable to ``charge``: the pixels that count (not padded, not masked).
    dims : tuple of int
        The pixel axes of one event: ``(1,)`` for rows (n_events, P, 1), ``(2, 3)`` for a grid
        (n_events, 1, rows, cols).

    Returns
    -------
    torch.Tensor
        The relative times (ns), shape of ``time``; 0 where not ``valid``.
    """
    mean = _charge_weighted_mean(charge, time, valid, dims)
    return torch.where(valid, time - mean, torch.zeros_like(time))


def _charge_weighted_mean(charge, values, valid, dims) -> torch.Tensor:
    """``sum_j w_j v_j / sum_j w_j`` over the ``valid`` pixels, ``w_j = max(q_j, 0)``, kept dims
    (0 for an event without charge): the event-level mean of the relative time and the centre."""
    w = torch.where(valid, charge.clamp(min=0), torch.zeros_like(charge))
    total = w.sum(dim=dims, keepdim=True)
    v = torch.where(valid, values, torch.zeros_like(values))
    return (w * v).sum(dim=dims, keepdim=True) / total.clamp(min=1e-12)


def event_centre(pixels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The charge-weighted centre of each event's valid pixels (deg): the cog of the pixel set.

    Weights ``max(q, 0)``, as :func:`event_relative_time`; an event without charge gets (0, 0).

    Parameters
    ----------
    pixels : torch.Tensor
        Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.

    Returns
    -------
    torch.Tensor
        Shape (n_events, 2): ``(x, y)`` of the centre, deg.
    """
    valid = mask.unsqueeze(-1)
    return _charge_weighted_mean(pixels[..., 2:3], pixels[..., :2], valid, dims=(1,)).squeeze(1)


def pixel_rows(
    pixels: torch.Tensor, mask: torch.Tensor, time: str = "absolute", coordinates: str = "absolute"
):
    """Pixel rows (x_deg, y_deg, charge p.e., time ns) -> (x, y, log1p(charge), time).

    Charge enters as log1p (shower images span three decades in p.e.); ``time``: ``absolute`` as
    recorded, ``relative`` to the event (:func:`event_relative_time`), ``none`` (0: the net is
    blind to timing, the ablation that says what the times carry). ``coordinates``: ``absolute``
    (the camera position) or ``relative`` (minus the event's charge-weighted centre,
    :func:`event_centre`): the image's shape, orientation and time gradient in the frame of its
    cog, as sums over pixels of a pixel's own row (what a Deep Sets ``phi`` can compute).

    Parameters
    ----------
    pixels : torch.Tensor
        Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows (the relative time averages over
        those).
    time : str, optional
        ``absolute`` (default), ``relative`` or ``none``.
    coordinates : str, optional
        ``absolute`` (default) or ``relative`` (to :func:`event_centre`).

    Returns
    -------
    torch.Tensor
        Shape (n_events, P, 4): ``(x deg, y deg, log1p(max(charge, 0)), time ns)``.
    """
    t = pixels[..., 3:]
    if time == "relative":
        t = event_relative_time(pixels[..., 2:3], t, mask.unsqueeze(-1), dims=(1,))
    elif time == "none":
        t = torch.zeros_like(t)
    xy = pixels[..., :2]
    if coordinates == "relative":
        xy = xy - event_centre(pixels, mask).unsqueeze(1)
    return torch.cat([xy, torch.log1p(pixels[..., 2:3].clamp(min=0)), t], -1)


def standardise_pixel_rows(
    pixels: torch.Tensor,
    mask: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    time: str = "absolute",
    coordinates: str = "absolute",
) -> torch.Tensor:
    """:func:`pixel_rows` standardised with the training-set mean/std over valid rows; padded
    rows set to 0, so that no value there (not even NaN) can reach a valid output.

    Parameters
    ----------
    pixels : torch.Tensor
        Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.
    mean, std : torch.Tensor
        Shape (4,): the columns' mean and std on the training set (:func:`pixel_row_stats`).
    time : str, optional
        ``absolute`` (default), ``relative`` or ``none`` (:func:`pixel_rows`).
    coordinates : str, optional
        ``absolute`` (default) or ``relative`` (:func:`pixel_rows`).

    Returns
    -------
    torch.Tensor
        Shape (n_events, P, 4): ``(pixel_rows - mean) / std``, 0 on padded rows.
    """
    x = (pixel_rows(pixels, mask, time, coordinates) - mean) / std
    return torch.where(mask.unsqueeze(-1), x, torch.zeros_like(x))


def pixel_row_stats(
    pixels: torch.Tensor, mask: torch.Tensor, time: str = "absolute", coordinates: str = "absolute"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of the scaled pixel columns over all valid rows of a training set.

    Computed in float64 (a training set holds millions of rows); with fewer than two valid rows
    the identity scaling (0, 1).

    Parameters
    ----------
    pixels : torch.Tensor
        Pixel rows ``(x_deg, y_deg, charge p.e., peak_time ns)``, shape (n_events, P, 4).
    mask : torch.Tensor
        Bool, shape (n_events, P): True for the valid rows.
    time : str, optional
        ``absolute`` (default), ``relative`` or ``none`` (:func:`pixel_rows`).
    coordinates : str, optional
        ``absolute`` (default) or ``relative`` (:func:`pixel_rows`).

    Returns
    -------
    mean : torch.Tensor
        Shape (4,), float32: the mean of each column of :func:`pixel_rows`.
    std : torch.Tensor
        Shape (4,), float32: the sample std (ddof 1), at least 1e-6.
    """
    x = pixel_rows(pixels, mask, time, coordinates)
    rows = x[mask].double()
    if rows.shape[0] < 2:
        return torch.zeros(x.shape[-1]), torch.ones(x.shape[-1])
    return rows.mean(0).float(), rows.std(0).clamp(min=1e-6).float()
