"""A multi-layer perceptron on the feature table (Hillas parameters and friends).

The per-feature mean and standard deviation of the training set are buffers of the model, so the
saved net standardises raw feature columns itself. Heavy-tailed non-negative features (size, photon
charges, pixel counts: training 99th percentile > 10 x median) enter as log1p first, as physicists
use log(size); which ones is decided on the training set and stored (``log_mask``). Features that
are NaN (events whose cleaning left no pixels, ``clean_ok`` False) are imputed with the training
mean, i.e. 0 after standardising, and the net sees a missing-value indicator per feature, so such
events are scored, not dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from iactdl.models.nets.base import EncoderHeadNet
from iactdl.models.nets.layers import mlp

__all__ = ["MLPSettings", "MLP"]


@dataclass
class MLPSettings:
    """Settings of :class:`MLP` (the ``settings`` of a config entry with net ``mlp``).

    Parameters
    ----------
    hidden : tuple of int, optional
        Widths of the hidden layers (default ``(128, 128, 64)``).
    dropout : float, optional
        Dropout probability after each hidden activation (default 0.1).
    log_heavy_tails : bool, optional
        Whether heavy-tailed non-negative features enter as log1p (default True; see the module
        docstring).
    missing_indicators : bool, optional
        Whether one missing-value flag per feature is an extra input (default True).
    activation : str, optional
        ``gelu`` (default) or ``relu``.
    """

    hidden: tuple[int, ...] = (128, 128, 64)  # three layers: enough for ~20 features, fast on CPU
    dropout: float = 0.1  # mild: the table is small and the training set is ~10^4-10^5 events
    log_heavy_tails: bool = True  # log1p of heavy-tailed non-negative features before standardising
    # one missing-value flag per feature as extra inputs; off where no feature can be NaN, so that
    # every weight is trainable (the capacity experiment counts parameters)
    missing_indicators: bool = True
    # gelu | relu: GELU trains the nets; the capacity experiment takes ReLU, with which wide nets
    # interpolate like a kernel machine and the second descent shows (it did not with GELU)
    activation: str = "gelu"


class MLP(EncoderHeadNet):
    """Standardise -> impute NaN with 0 (+ missing flags) -> MLP -> one output per head.

    The encoder is every hidden layer; the head is the last linear layer.

    Parameters
    ----------
    settings : MLPSettings
        The net's settings.
    n_outputs : int, optional
        Number of output heads (default 1: the gammaness logit).
    n_features : int
        Number of input feature columns (required: the entry's ``features`` list).

    Raises
    ------
    ValueError
        Where ``n_features`` is missing or 0.
    """

    input_kind = "features"
    input_names = ("features",)

    def __init__(self, settings: MLPSettings, n_outputs: int = 1, n_features: int | None = None):
        super().__init__()
        if not n_features:
            raise ValueError("MLP needs the number of input features (the entry's `features` list)")
        self.settings = settings
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.register_buffer("log_mask", torch.zeros(n_features, dtype=torch.bool))
        n_in = 2 * n_features if settings.missing_indicators else n_features
        sizes = [n_in, *settings.hidden]
        self.encoder = mlp(
            sizes, dropout=settings.dropout, final_activation=True, activation=settings.activation
        )
        self.representation_size = sizes[-1]
        self.head = nn.Linear(sizes[-1], n_outputs)

    @torch.no_grad()
    def fit_scaling(self, features: torch.Tensor) -> None:
        """Training-set log mask, mean and std per feature, ignoring NaN.

        Sets the buffers in place: ``log_mask`` (non-negative features whose 99th percentile
        exceeds 10 times the median, where ``log_heavy_tails``), then the mean and sample std
        (at least 1e-6) of each feature after that log1p, over its finite values.

        Parameters
        ----------
        features : torch.Tensor
            The training set's raw feature table, shape (n_events, n_features), NaN allowed.
        """
        x = features.double()
        finite = torch.isfinite(x)
        if self.settings.log_heavy_tails:
            for j in range(x.shape[1]):  # once per feature at fit time, not a hot path
                col = x[finite[:, j], j]
                if col.numel() > 1 and col.min() >= 0:
                    q50, q99 = torch.quantile(col, torch.tensor([0.5, 0.99], dtype=col.dtype))
                    self.log_mask[j] = bool(q99 > 10 * q50.clamp(min=1e-12))
        x = self._log(x)
        n = finite.sum(0).clamp(min=1)
        mean = torch.where(finite, x, 0).sum(0) / n
        var = (torch.where(finite, x - mean, 0) ** 2).sum(0) / (n - 1).clamp(min=1)
        self.mean.copy_(mean.float())
        self.std.copy_(var.sqrt().clamp(min=1e-6).float())

    def _log(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(self.log_mask, torch.log1p(x.clamp(min=0)), x)

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """Standardise, impute NaN with 0 (+ missing flags), then the hidden layers.

        Parameters
        ----------
        features : torch.Tensor
            Raw feature table, shape (n_events, n_features), in the units of the dataset's
            columns, NaN allowed.

        Returns
        -------
        torch.Tensor
            Shape (n_events, hidden[-1]): the last hidden layer.
        """
        x = (self._log(features) - self.mean) / self.std
        missing = ~torch.isfinite(x)
        x = torch.where(missing, torch.zeros_like(x), x)
        if not self.settings.missing_indicators:
            return self.encoder(x)
        return self.encoder(torch.cat([x, missing.to(x.dtype)], dim=1))
