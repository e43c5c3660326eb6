"""A convolutional net on the hexagonal camera, laid out on its axial grid.

Input: ``grid_image`` (n, 2, 46, 45) from :meth:`iactdl.camera.CameraGeometry.to_grid`, channel 0
the cleaned charge in p.e., channel 1 the peak time in ns (0 outside the cleaning mask). On the
axial grid the six neighbours of a cell are the offsets of
:data:`iactdl.camera.HEX_NEIGHBOUR_OFFSETS`, so a 3x3 kernel with the two remaining corner taps
zeroed (:func:`~iactdl.models.nets.layers.hex_kernel_mask`) is a hexagon-shaped kernel (Hoogeboom
et al. 2018, HexaConv; the axial-grid layout of hexagonal IACT cameras in CTLearn).

The camera mask is applied to the input and after every convolution and pooling, so cells outside
the camera stay exactly zero and can never influence the output. Pooling with a 2x2 window and
stride 2 maps the axial lattice onto the axial lattice of twice the pitch, so the hexagonal kernel
stays hexagonal at every stage. The last stage is pooled globally (masked mean and max over the
camera cells) and an MLP head gives one output per head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from iactdl.camera import fact_camera
from iactdl.models.nets.base import EncoderHeadNet, check_time_setting
from iactdl.models.nets.layers import HexConv2d, event_relative_time, mlp

__all__ = ["HexCNNSettings", "HexCNN"]


@dataclass
class HexCNNSettings:
    """Settings of :class:`HexCNN` (net ``hexcnn``).

    Parameters
    ----------
    channels : tuple of int, optional
        Filters of each stage (default ``(16, 32, 64)``); a 2x2 max-pool between stages.
    convs_per_stage : int, optional
        Hexagonal convolutions per stage (default 1).
    head_hidden : int, optional
        Width of the hidden layer of the MLP head (default 64).
    dropout : float, optional
        Dropout probability in the head (default 0.1).
    time : str, optional
        Peak-time input: ``absolute`` (default, as recorded), ``relative`` (minus the event's
        charge-weighted mean time) or ``none`` (0); see
        :func:`iactdl.models.nets.base.check_time_setting`.
    """

    channels: tuple[int, ...] = (16, 32, 64)  # per stage; pooling (2x2) between stages
    convs_per_stage: int = 1  # more convs per stage = larger receptive field, slower on CPU
    head_hidden: int = 64  # width of the MLP after global pooling
    dropout: float = 0.1  # in the head only
    time: str = "absolute"  # absolute | relative (minus the event's charge-weighted mean) | none


class HexCNN(EncoderHeadNet):
    """[HexConv -> ReLU -> camera mask] x convs_per_stage, 2x2 max-pool, repeat; pool; MLP.

    The encoder ends with the global (masked mean, max) pooling; the head is the MLP.

    Parameters
    ----------
    settings : HexCNNSettings
        The net's settings.
    n_outputs : int, optional
        Number of output heads (default 1: the gammaness logit).
    n_features : int, optional
        Ignored (the input is the camera image); taken so that every net is built alike.

    Raises
    ------
    ValueError
        Where ``channels`` is empty, ``convs_per_stage`` < 1 or ``time`` is unknown.
    """

    input_kind = "grid"
    input_names = ("grid_image",)

    def __init__(self, settings: HexCNNSettings, n_outputs: int = 1, n_features: int | None = None):
        super().__init__()
        self.settings = settings
        check_time_setting(settings)
        if not settings.channels or settings.convs_per_stage < 1:
            raise ValueError("HexCNN needs at least one stage (channels) and convs_per_stage >= 1")
        mask = torch.from_numpy(fact_camera().grid_mask).float()[None, None]
        self.register_buffer("camera_mask", mask, persistent=False)
        # time scaling over cleaned pixels of the training set (ns)
        self.register_buffer("time_mean", torch.zeros(()))
        self.register_buffer("time_std", torch.ones(()))
        convs = []
        c_in = 2
        for c_out in settings.channels:
            stage = []
            for _ in range(settings.convs_per_stage):
                stage.append(HexConv2d(c_in, c_out))
                c_in = c_out
            convs.append(nn.ModuleList(stage))
        self.stages = nn.ModuleList(convs)
        self.representation_size = 2 * c_in
        self.head = mlp([2 * c_in, settings.head_hidden, n_outputs], dropout=settings.dropout)

    @torch.no_grad()
    def fit_scaling(self, grid_image: torch.Tensor) -> None:
        """Fit ``time_mean`` and ``time_std`` (ns, buffers, in place) on the training set.

        The mean and std (at least 1e-3 ns) of the time input (absolute, relative or none, per
        setting ``time``) over the cells with cleaned charge > 0; kept where there are fewer
        than two such cells.

        Parameters
        ----------
        grid_image : torch.Tensor
            Shape (n_events, 2, 46, 45): cleaned charge (p.e.) and peak time (ns) on the axial
            grid.
        """
        charge = grid_image[:, :1]
        t = self._time(grid_image)[charge > 0].double()
        if t.numel() > 1:
            self.time_mean.copy_(t.mean().float())
            self.time_std.copy_(t.std().clamp(min=1e-3).float())

    def _time(self, grid_image: torch.Tensor) -> torch.Tensor:
        """(n, 1, rows, cols) peak time in ns: absolute, relative to the event or none (0), as
        setting ``time`` says."""
        time, mode = grid_image[:, 1:2], check_time_setting(self.settings)
        if mode == "relative":
            charge = grid_image[:, :1]
            return event_relative_time(charge, time, charge > 0, dims=(1, 2, 3))
        if mode == "none":
            return torch.zeros_like(time)
        return time

    def scale(self, grid_image: torch.Tensor) -> torch.Tensor:
        """log1p(charge) and standardised time (0 where there is no cleaned charge), masked.

        Parameters
        ----------
        grid_image : torch.Tensor
            Shape (n_events, 2, 46, 45): cleaned charge (p.e.) and peak time (ns) on the axial
            grid.

        Returns
        -------
        torch.Tensor
            Shape (n_events, 2, 46, 45): ``log1p(max(charge, 0))`` and
            ``(time - time_mean) / time_std``; 0 outside the camera.
        """
        charge = grid_image[:, :1].clamp(min=0)
        time = torch.where(
            charge > 0,
            (self._time(grid_image) - self.time_mean) / self.time_std,
            torch.zeros_like(charge),
        )
        x = torch.cat([torch.log1p(charge), time], dim=1)
        return torch.where(self.camera_mask > 0, x, torch.zeros_like(x))

    def encode(self, grid_image: torch.Tensor) -> torch.Tensor:
        """The convolution stages, then the masked mean and max over the camera cells.

        Parameters
        ----------
        grid_image : torch.Tensor
            Shape (n_events, 2, 46, 45): cleaned charge (p.e.) and peak time (ns), unscaled.

        Returns
        -------
        torch.Tensor
            Shape (n_events, 2 * channels[-1]): the mean, then the max, of each channel of the
            last stage over the camera's cells.
        """
        x = self.scale(grid_image)
        mask = self.camera_mask
        for i, stage in enumerate(self.stages):
            if i > 0:
                # pool camera cells only: outside cells are -inf in the window, 0 after re-masking
                x = F.max_pool2d(x.masked_fill(mask == 0, float("-inf")), 2, ceil_mode=True)
                mask = F.max_pool2d(mask, 2, ceil_mode=True)
                x = torch.where(mask > 0, x, torch.zeros_like(x))
            for conv in stage:
                x = F.relu(conv(x)) * mask  # ReLU: half the CPU cost of GELU here
        count = mask.sum()
        mean = x.sum(dim=(2, 3)) / count
        big = torch.finfo(x.dtype).max
        peak = x.masked_fill(mask == 0, -big).amax(dim=(2, 3))
        return torch.cat([mean, peak], dim=1)
