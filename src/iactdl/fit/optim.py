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
    """The optimiser ``name`` (one of :data:`OPTIMIZERS`)."""
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
    """The factor on the base learning rate at optimiser step ``step`` (0-based)."""
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
    """A per-step LambdaLR for schedule ``name`` (one of :data:`SCHEDULES`)."""
    lr_factor(name, 0, total_steps, steps_per_epoch, warmup_epochs, step_epochs, gamma)  # validate

    def factor(step: int) -> float:
        return lr_factor(
            name, step, total_steps, steps_per_epoch, warmup_epochs, step_epochs, gamma
        )

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
