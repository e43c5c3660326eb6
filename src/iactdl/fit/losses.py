"""Losses of the training engine, and how to plug in one's own.

A loss is a callable ``loss(outputs, batch, heads) -> scalar tensor``: ``outputs`` (n, len(heads))
are the net's raw outputs in fp32, ``batch`` the batch's tensors (targets ``is_gamma`` float 0/1,
``log10_energy``; ``energy_weight`` 1 where the energy target is valid, i.e. gammas), ``heads`` the
names of the output columns. :func:`multitask_loss` is the default: binary cross-entropy on the
gammaness logit (the negative log-likelihood of a Bernoulli label) plus ``energy_weight`` x the mean
squared error of log10 energy on gammas plus ``direction_weight`` x :func:`direction_loss` on the
rows with a direction label (``direction_weight`` column: diffuse gammas; Caruana 1997 on multi-task
learning).

A batch with a ``sample_weight`` column (importance weights ``p_target(x) / p_source(x)`` or class
weights ``q_y / p_y`` of domain adaptation, mean ~1 over the training set) gives the weighted mean
``mean(w * loss_i)`` of the cross-entropy: an estimate of the loss under the target distribution
(Shimodaira 2000; on a validation set, importance-weighted validation, Sugiyama et al. 2007).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "bce_loss", "mse_loss", "direction_loss", "multitask_loss", "get_loss"]

Loss = Callable[[torch.Tensor, dict[str, torch.Tensor], tuple[str, ...]], torch.Tensor]


def bce_loss(outputs: torch.Tensor, batch: dict, heads: tuple[str, ...]) -> torch.Tensor:
    """Binary cross-entropy with logits on the gammaness head (weighted by ``sample_weight``).

    ``mean_i(w_i * -[y_i log sigma(z_i) + (1 - y_i) log(1 - sigma(z_i))])`` with ``z`` the
    gammaness logit, ``y`` the label ``is_gamma`` and ``w`` the ``sample_weight`` (1 without it):
    the negative log-likelihood of a Bernoulli label; weighted, an importance-weighted estimate of
    the loss under the target distribution (Shimodaira 2000).

    Parameters
    ----------
    outputs : torch.Tensor
        The net's raw outputs, fp32, shape (n_events, len(heads)).
    batch : dict of str to torch.Tensor
        The batch's tensors, each of shape (n_events,): ``is_gamma`` (float 0/1) and
        optionally ``sample_weight`` (importance or class weights, mean ~1).
    heads : tuple of str
        Names of the columns of ``outputs``; must include ``"gammaness"``.

    Returns
    -------
    torch.Tensor
        The (weighted) mean loss, a 0-d tensor (nats).
    """
    return F.binary_cross_entropy_with_logits(
        outputs[:, heads.index("gammaness")], batch["is_gamma"], weight=batch.get("sample_weight")
    )


def mse_loss(outputs: torch.Tensor, batch: dict, heads: tuple[str, ...]) -> torch.Tensor:
    """Mean squared error of log10(E / TeV), averaged over rows with a valid energy target.

    ``sum_i(v_i * (f_i - log10(E_i / TeV))^2) / max(1, sum_i v_i)`` with ``f`` the
    ``log10_energy`` output and ``v`` the ``energy_weight`` mask; a batch without a valid target
    gives 0.

    Parameters
    ----------
    outputs : torch.Tensor
        The net's raw outputs, fp32, shape (n_events, len(heads)).
    batch : dict of str to torch.Tensor
        The batch's tensors, each of shape (n_events,): ``log10_energy`` (log10 of the
        true energy in TeV) and ``energy_weight`` (1 where that target is valid, i.e. gammas
        with a finite positive energy, else 0).
    heads : tuple of str
        Names of the columns of ``outputs``; must include ``"log10_energy"``.

    Returns
    -------
    torch.Tensor
        The mean squared error, a 0-d tensor (squared decades of energy).
    """
    w = batch["energy_weight"]
    err = (outputs[:, heads.index("log10_energy")] - batch["log10_energy"]) ** 2
    return (err * w).sum() / w.sum().clamp(min=1.0)


def direction_loss(outputs: torch.Tensor, batch: dict, heads: tuple[str, ...]) -> torch.Tensor:
    """The direction head's loss, averaged over the rows with a direction label.

    Parameters
    ----------
    outputs : torch.Tensor
        (n, len(heads)) raw outputs.
    batch : dict
        ``direction_weight`` (1 on labelled rows) and the targets of
        :func:`iactdl.models.nets.direction.direction_targets`.
    heads : tuple of str
        Holds ``source_x``, ``source_y`` (deg) or ``disp_abs`` (deg), ``disp_sign`` (logit).

    Returns
    -------
    torch.Tensor
        Scalar: the squared distance to the true source (deg^2) for ``source``; the squared error
        of ``|disp|`` (deg^2) plus the sign's binary cross-entropy for ``disp``.
    """
    w = batch["direction_weight"]
    if "source_x" in heads:
        dx = outputs[:, heads.index("source_x")] - batch["source_x"]
        dy = outputs[:, heads.index("source_y")] - batch["source_y"]
        per_event = dx**2 + dy**2
    else:
        err = (outputs[:, heads.index("disp_abs")] - batch["disp_abs"]) ** 2
        sign = F.binary_cross_entropy_with_logits(
            outputs[:, heads.index("disp_sign")], batch["disp_sign"], reduction="none"
        )
        per_event = err + sign
    return (per_event * w).sum() / w.sum().clamp(min=1.0)


def multitask_loss(
    outputs: torch.Tensor,
    batch: dict,
    heads: tuple[str, ...],
    energy_weight: float = 1.0,
    direction_weight: float = 1.0,
) -> torch.Tensor:
    """BCE on gammaness (if present) + ``energy_weight`` x MSE on log10 energy (if present) +
    ``direction_weight`` x :func:`direction_loss` (if a direction head is present).

    The engine's default loss: a weighted sum of the heads' losses (multi-task learning,
    Caruana 1997).

    Parameters
    ----------
    outputs : torch.Tensor
        The net's raw outputs, fp32, shape (n_events, len(heads)).
    batch : dict of str to torch.Tensor
        The batch's tensors, each of shape (n_events,): those :func:`bce_loss`,
        :func:`mse_loss` and :func:`direction_loss` read for the heads present.
    heads : tuple of str
        Names of the columns of ``outputs``: ``"gammaness"``, ``"log10_energy"``, and a
        direction head's (``"source_x"``, ``"source_y"`` or ``"disp_abs"``, ``"disp_sign"``).
    energy_weight : float, optional
        Weight of the energy term relative to the cross-entropy; default 1
        (``FitSettings.energy_weight``, :class:`iactdl.fit.engine.FitSettings`).
    direction_weight : float, optional
        Weight of the direction term; default 1.

    Returns
    -------
    torch.Tensor
        The summed loss, a 0-d tensor (0 if neither head is present).
    """
    loss = outputs.new_zeros(())
    if "gammaness" in heads:
        loss = loss + bce_loss(outputs, batch, heads)
    if "log10_energy" in heads:
        loss = loss + energy_weight * mse_loss(outputs, batch, heads)
    if "source_x" in heads or "disp_abs" in heads:
        loss = loss + direction_weight * direction_loss(outputs, batch, heads)
    return loss


LOSSES: dict[str, Loss] = {"bce": bce_loss, "mse": mse_loss, "multitask": multitask_loss}


def get_loss(name: str) -> Loss:
    """The loss function registered as ``name`` in :data:`LOSSES`.

    Parameters
    ----------
    name : str
        ``"bce"``, ``"mse"`` or ``"multitask"``.

    Returns
    -------
    callable
        ``loss(outputs, batch, heads) -> torch.Tensor`` (see the module docstring).

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`LOSSES`; the message lists the valid ones.
    """
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid losses: {sorted(LOSSES)}")
    return LOSSES[name]
