"""A multi-layer perceptron on the 1440 pixel charges of the camera: the net without assumptions.

It reads the same ``grid_image`` as :class:`~iactdl.models.nets.hexcnn.HexCNN`, takes the charge
channel (cleaned charge in p.e.) at the camera's 1440 cells in CHID order
(:meth:`iactdl.camera.CameraGeometry.from_grid`) and feeds ``log1p(charge)`` to a plain MLP. It
knows nothing of neighbourhoods, translations or the permutation symmetry of a pixel set: the
baseline of the inductive-bias experiment (Battaglia et al. 2018 on relational inductive biases),
which must learn from data what the CNN and the set nets are built to assume.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from iactdl.camera import fact_camera
from iactdl.models.nets.base import EncoderHeadNet
from iactdl.models.nets.layers import mlp

__all__ = ["PixelMLPSettings", "PixelMLP"]


@dataclass
class PixelMLPSettings:
    """Settings of :class:`PixelMLP` (net ``pixelmlp``).

    Parameters
    ----------
    hidden : tuple of int, optional
        Widths of the hidden layers (default ``(256, 128)``).
    dropout : float, optional
        Dropout probability after each hidden activation (default 0.1).
    use_time : bool, optional
        Whether the peak times (ns) of the lit pixels are inputs too (default False: charges
        only, 1440 inputs; True: 2880).
    """

    hidden: tuple[int, ...] = (256, 128)  # 1440 inputs: the first layer holds most parameters
    dropout: float = 0.1
    use_time: bool = False  # add the peak times (ns) of the cleaned pixels: 2880 inputs


class PixelMLP(EncoderHeadNet):
    """grid_image -> 1440 camera cells (CHID order) -> log1p(charge) [+ times] -> MLP.

    The encoder is every hidden layer; the head is the last linear layer (as in the feature MLP).

    Parameters
    ----------
    settings : PixelMLPSettings
        The net's settings.
    n_outputs : int, optional
        Number of output heads (default 1: the gammaness logit).
    n_features : int, optional
        Ignored (the input is the camera image); taken so that every net is built alike.
    """

    input_kind = "grid"
    input_names = ("grid_image",)

    def __init__(
        self, settings: PixelMLPSettings, n_outputs: int = 1, n_features: int | None = None
    ):
        super().__init__()
        self.settings = settings
        row, col = fact_camera().grid_index
        self.register_buffer("row", torch.from_numpy(row).long(), persistent=False)
        self.register_buffer("col", torch.from_numpy(col).long(), persistent=False)
        n_pixels = len(row)
        # one scale per channel over all cleaned pixels of the training set
        self.register_buffer("charge_scale", torch.ones(()))
        self.register_buffer("time_mean", torch.zeros(()))
        self.register_buffer("time_std", torch.ones(()))
        sizes = [n_pixels * (2 if settings.use_time else 1), *settings.hidden]
        self.encoder = mlp(sizes, dropout=settings.dropout, final_activation=True)
        self.representation_size = sizes[-1]
        self.head = nn.Linear(sizes[-1], n_outputs)

    def _pixels(self, grid_image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        charge = grid_image[:, 0, self.row, self.col].clamp(min=0)
        return torch.log1p(charge), grid_image[:, 1, self.row, self.col]

    @torch.no_grad()
    def fit_scaling(self, grid_image: torch.Tensor) -> None:
        """Fit the input scales on the training set (buffers, in place).

        ``charge_scale``: the std of log1p(charge) over the lit pixels (charge > 0) of all
        events; ``time_mean``, ``time_std``: the mean and std of their peak times (ns). Scales at
        least 1e-3; with fewer than two lit pixels the buffers are kept.

        Parameters
        ----------
        grid_image : torch.Tensor
            Shape (n_events, 2, 46, 45): cleaned charge (p.e.) and peak time (ns) on the axial
            grid.
        """
        charge, time = self._pixels(grid_image)
        lit = charge > 0
        if lit.sum() > 1:
            self.charge_scale.copy_(charge[lit].double().std().clamp(min=1e-3).float())
            t = time[lit].double()
            self.time_mean.copy_(t.mean().float())
            self.time_std.copy_(t.std().clamp(min=1e-3).float())

    def encode(self, grid_image: torch.Tensor) -> torch.Tensor:
        """The 1440 scaled log1p charges (+ standardised times of lit pixels), then the MLP.

        Parameters
        ----------
        grid_image : torch.Tensor
            Shape (n_events, 2, 46, 45): cleaned charge (p.e.) and peak time (ns).

        Returns
        -------
        torch.Tensor
            Shape (n_events, hidden[-1]): the last hidden layer.
        """
        charge, time = self._pixels(grid_image)
        x = charge / self.charge_scale
        if self.settings.use_time:
            t = torch.where(charge > 0, (time - self.time_mean) / self.time_std, 0.0)
            x = torch.cat([x, t], dim=1)
        return self.encoder(x)
