"""Losses of the training engine, and how to plug in one's own.

A loss is a callable ``loss(outputs, batch, heads) -> scalar tensor``: ``outputs`` (n, len(heads))
are the net's raw outputs in fp32, ``batch`` the batch's tensors (targets ``is_gamma`` float 0/1,
``log10_energy``; ``energy_weight`` 1 where the energy target is valid, i.e. gammas), ``heads`` the
names of the output columns. :func:`multitask_loss` is the default: binary cross-entropy on the
gammaness logit (the negative log-likelihood of a Bernoulli label) plus ``energy_weight`` x the mean
squared error of log10 energy on gammas (Caruana 1997 on multi-task learning).

A batch with a ``sample_weight`` column (importance weights ``p_target(x) / p_source(x)`` or class
weights ``q_y / p_y`` of domain adaptation, mean ~1 over the training set) gives the weighted mean
``mean(w * loss_i)`` of the cross-entropy: an estimate of the loss under the target distribution
(Shimodaira 2000; on a validation set, importance-weighted validation, Sugiyama et al. 2007).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "bce_loss", "mse_loss", "multitask_loss", "get_loss"]

Loss = Callable[[torch.Tensor, dict[str, torch.Tensor], tuple[str, ...]], torch.Tensor]


def bce_loss(outputs: torch.Tensor, batch: dict, heads: tuple[str, ...]) -> torch.Tensor:
    """Binary cross-entropy with logits on the gammaness head (weighted by ``sample_weight``)."""
    return F.binary_cross_entropy_with_logits(
        outputs[:, heads.index("gammaness")], batch["is_gamma"], weight=batch.get("sample_weight")
    )


def mse_loss(outputs: torch.Tensor, batch: dict, heads: tuple[str, ...]) -> torch.Tensor:
    """Mean squared error of log10(E / TeV), averaged over rows with a valid energy target."""
    w = batch["energy_weight"]
    err = (outputs[:, heads.index("log10_energy")] - batch["log10_energy"]) ** 2
    return (err * w).sum() / w.sum().clamp(min=1.0)


def multitask_loss(
    outputs: torch.Tensor, batch: dict, heads: tuple[str, ...], energy_weight: float = 1.0
) -> torch.Tensor:
    """BCE on gammaness (if present) + ``energy_weight`` x MSE on log10 energy (if present)."""
    loss = outputs.new_zeros(())
    if "gammaness" in heads:
        loss = loss + bce_loss(outputs, batch, heads)
    if "log10_energy" in heads:
        loss = loss + energy_weight * mse_loss(outputs, batch, heads)
    return loss


LOSSES: dict[str, Loss] = {"bce": bce_loss, "mse": mse_loss, "multitask": multitask_loss}


def get_loss(name: str) -> Loss:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid losses: {sorted(LOSSES)}")
    return LOSSES[name]
