"""The learning rate of the optimiser study: chosen per (net, optimiser) on the validation split
(rule ``optimiser_lr``, a checkpoint) and read back when the DAG below it is planned, so this module
imports nothing heavy (no torch: the workflow's parse reads it)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping

from iactdl.io.jsonfile import read_json, write_json

__all__ = ["choose_lr", "read_lr"]

log = logging.getLogger(__name__)


def choose_lr(points: Mapping[float, str | os.PathLike], output: str | os.PathLike) -> dict:
    """Pick the rate whose run (constant schedule, first seed) reached the lowest validation loss.

    Ties go to the smaller rate; a diverged run (``best_val_loss`` null or inf) never wins.

    Parameters
    ----------
    points : mapping of float to path
        Each rate of the grid -> that run's summary JSON
        (:func:`iactdl.experiments.optimisers.optimiser_point`).
    output : path
        Where the choice is written (JSON, atomically).

    Returns
    -------
    dict
        ``lr``, ``val_loss_by_lr`` (rate as text -> best validation loss) and ``at_grid_edge``
        (the choice is the grid's smallest or largest rate: the grid may not reach the best).

    Raises
    ------
    ValueError
        An empty grid, or every rate diverged.
    """
    losses = {}
    for lr, path in points.items():
        loss = read_json(path)["best_val_loss"]
        losses[float(lr)] = math.inf if loss is None else float(loss)
    if not losses:
        raise ValueError("choose_lr: the learning-rate grid is empty")
    best = min(sorted(losses), key=lambda lr: losses[lr])
    if not math.isfinite(losses[best]):
        raise ValueError(f"every learning rate of the grid diverged: {losses}")
    result = {"lr": best, "val_loss_by_lr": {f"{k:g}": v for k, v in sorted(losses.items())}}
    # a rate at the grid's edge may not be the best one: the grid should reach past it
    result["at_grid_edge"] = len(losses) > 1 and best in (min(losses), max(losses))
    log.info("chose lr %g from %s", best, result["val_loss_by_lr"])
    if result["at_grid_edge"]:
        log.warning(
            "lr %g is at the edge of the grid %s: extend experiments.optimisers.learning_rates "
            "past it to be sure it is the best", best, sorted(losses),
        )  # fmt: skip
    write_json(output, result, indent=1)
    return result


def read_lr(path: str | os.PathLike) -> float:
    """The rate :func:`choose_lr` wrote.

    Parameters
    ----------
    path : path
        The JSON :func:`choose_lr` wrote.

    Returns
    -------
    float
        The chosen learning rate.
    """
    return float(read_json(path)["lr"])
