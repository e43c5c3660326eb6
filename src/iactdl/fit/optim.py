"""Optimisers and learning-rate schedules by name.

Optimisers: ``sgd`` (Robbins & Monro 1951, with momentum), ``nesterov`` (SGD with Nesterov momentum,
Sutskever et al. 2013), ``adam`` (Kingma & Ba 2015), ``adamw`` (decoupled weight decay, Loshchilov &
Hutter 2019). Schedules, stepped once per optimiser step: ``constant``; ``step`` (multiply by
``gamma`` every ``step_epochs``); ``cosine`` (Loshchilov & Hutter 2017, SGDR without restarts, to 0
at the last step); ``warmup`` (linear warm-up from 0 over ``warmup_epochs``, then cosine; Goyal et
al. 2017). A schedule is a ``LambdaLR`` of a pure function of the step, so its state (the step
count) checkpoints as plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

__all__ = ["OPTIMIZERS", "SCHEDULES", "make_optimizer", "make_schedule", "lr_factor"]

OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "warmup")


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    lr: float,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
) -> torch.optim.Optimizer:
    """The optimiser ``name`` (one of :data:`OPTIMIZERS`).

    Parameters
    ----------
    name : str
        ``"sgd"`` (with momentum), ``"nesterov"`` (SGD with Nesterov momentum), ``"adam"`` or
        ``"adamw"`` (references in the module docstring).
    params : iterable of torch.nn.Parameter
        The parameters to optimise (``net.parameters()``).
    lr : float
        Base (peak) learning rate, > 0; the schedule multiplies it by :func:`lr_factor`.
    weight_decay : float, optional
        L2 penalty coefficient (SGD, Adam) or decoupled weight decay (AdamW); default 0.
    momentum : float, optional
        Momentum of ``sgd`` and ``nesterov`` (must be > 0 for ``nesterov``); ignored by the Adam
        types. Default 0.9.

    Returns
    -------
    torch.optim.Optimizer
        A ``torch.optim.SGD``, ``Adam`` or ``AdamW``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0, ``nesterov`` has no momentum or ``name`` is unknown.
    """
    if not lr > 0:
        raise ValueError(f"learning rate must be > 0, got {lr}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "nesterov":
        if not momentum > 0:
            raise ValueError("nesterov needs momentum > 0")
        return torch.optim.SGD(
            params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {list(OPTIMIZERS)}")


def lr_factor(
    name: str,
    step: int,
    total_steps: int,
    steps_per_epoch: int,
    warmup_epochs: float = 1.0,
    step_epochs: int = 10,
    gamma: float = 0.1,
) -> float:
    """The factor on the base learning rate at optimiser step ``step`` (0-based).

    With ``e = step // steps_per_epoch``, ``W = round(warmup_epochs * steps_per_epoch)`` and
    ``t = (step - W) / (total_steps - W)`` clipped to 1 (``W = 0`` but for ``warmup``):

    - ``constant``: 1;
    - ``step``: ``gamma ** (e // step_epochs)``;
    - ``cosine``: ``(1 + cos(pi t)) / 2`` (Loshchilov & Hutter 2017, without restarts);
    - ``warmup``: ``(step + 1) / W`` for ``step < W`` (Goyal et al. 2017), then cosine.

    Parameters
    ----------
    name : str
        One of :data:`SCHEDULES`.
    step : int
        Optimiser steps done (0-based).
    total_steps : int
        Steps of the whole run (``steps_per_epoch * epochs``); the cosine reaches 0 there.
    steps_per_epoch : int
        Optimiser steps per epoch (``n_train // batch_size``).
    warmup_epochs : float, optional
        Length of the linear warm-up of ``warmup``, in epochs; default 1.
    step_epochs : int, optional
        Epochs between two multiplications by ``gamma`` (``step``); default 10.
    gamma : float, optional
        Factor per ``step_epochs`` (``step``); default 0.1.

    Returns
    -------
    float
        The multiplier of the base learning rate, in [0, 1] for ``gamma <= 1``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`SCHEDULES`.
    """
    total_steps = max(1, total_steps)
    if name == "constant":
        return 1.0
    if name == "step":
        return gamma ** ((step // max(1, steps_per_epoch)) // max(1, step_epochs))
    warm = int(round(warmup_epochs * steps_per_epoch)) if name == "warmup" else 0
    if name == "warmup" and step < warm:
        return (step + 1) / warm
    if name in ("cosine", "warmup"):
        t = (step - warm) / max(1, total_steps - warm)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))
    raise ValueError(f"unknown schedule {name!r}; valid schedules: {list(SCHEDULES)}")


def make_schedule(
    optimizer: torch.optim.Optimizer,
    name: str,
    total_steps: int,
    steps_per_epoch: int,
    warmup_epochs: float = 1.0,
    step_epochs: int = 10,
    gamma: float = 0.1,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step LambdaLR for schedule ``name`` (one of :data:`SCHEDULES`).

    The learning rate at step ``k`` is the base rate times :func:`lr_factor` of ``k``; the
    schedule is stepped once per optimiser step, and its state is the step count alone.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimiser whose learning rate is scheduled (:func:`make_optimizer`).
    name : str
        One of :data:`SCHEDULES`; checked at once (a ``ValueError`` names the valid ones).
    total_steps : int
        Optimiser steps of the whole run.
    steps_per_epoch : int
        Optimiser steps per epoch.
    warmup_epochs : float, optional
        Linear warm-up of ``warmup``, in epochs; default 1.
    step_epochs : int, optional
        Epochs between two multiplications by ``gamma`` (``step``); default 10.
    gamma : float, optional
        Factor per ``step_epochs`` (``step``); default 0.1.

    Returns
    -------
    torch.optim.lr_scheduler.LambdaLR
        The schedule, to be stepped after every ``optimizer.step()``.
    """
    lr_factor(name, 0, total_steps, steps_per_epoch, warmup_epochs, step_epochs, gamma)  # validate

    def factor(step: int) -> float:
        return lr_factor(
            name, step, total_steps, steps_per_epoch, warmup_epochs, step_epochs, gamma
        )

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
