"""Experiment 2, optimisers and learning-rate schedules: one training run per sweep point.

A point is (net, optimiser, schedule, learning rate, seed): the net's config entry with those
settings, trained by the pipeline's engine (:func:`iactdl.fit.engine.fit`, which has SGD, SGD with
Nesterov momentum (Sutskever et al. 2013), Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter
2019), and the constant, step and cosine-with-warm-up schedules) on a seeded subset of the training
split, without early stopping, so every run has the same number of epochs. The validation loss and
AUC per epoch and the wall time are the point's history.

The learning rate of each (net, optimiser) is chosen on the validation split
(:func:`~iactdl.experiments.learning_rate.choose_lr`):
among the grid's rates, trained with the constant schedule and the first seed, the one with the
lowest validation loss at any epoch. Those grid runs are themselves points of the sweep, so the
chosen rate's constant-schedule run of the first seed is reused, not trained twice.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Mapping, Sequence

from iactdl.experiments.training import train_entry, write_json
from iactdl.fit.engine import HISTORY_COLUMNS, TrainingDiverged
from iactdl.io import atomic_path

__all__ = ["optimiser_point"]

log = logging.getLogger(__name__)

HISTORY_FIELDS = (*HISTORY_COLUMNS, "wall_seconds")


def optimiser_point(
    entry: Mapping,
    optimizer: str,
    schedule: str,
    lr: float,
    seed: int,
    train_path: str | os.PathLike,
    val_path: str | os.PathLike,
    n_train: int,
    n_val: int,
    output: str | os.PathLike,
    history: str | os.PathLike,
    threads: int = 1,
    gpus: int = 0,
) -> dict:
    """Train one point and write its summary (JSON) and per-epoch history (CSV); ``gpus``: the
    job's GPUs, which decide the device (0 = the CPU).

    A run that diverges (:class:`iactdl.fit.engine.TrainingDiverged`) is a result, not a
    failure: its summary says so (validation loss inf) and its history is empty.

    Parameters
    ----------
    entry : mapping
        The net's config entry; its ``optimizer``, ``schedule`` and ``lr`` are replaced by this
        point's, and early stopping is off (``patience`` 0).
    optimizer : str
        ``sgd``, ``nesterov``, ``adam`` or ``adamw``.
    schedule : str
        Learning-rate schedule (``constant``, ``step``, ``warmup``, ...).
    lr : float
        (Peak) learning rate.
    seed : int
        The repetition: it seeds the subsets and the training.
    train_path, val_path : path
        The simulated training and validation splits.
    n_train, n_val : int
        Events of the seeded subsets (0 = all).
    output : path
        Where the summary is written (JSON, atomically).
    history : path
        Where the per-epoch history is written (CSV, atomically): the engine's columns and
        ``wall_seconds``, the cumulative training time (s).
    threads : int
        Torch's CPU threads.
    gpus : int
        The job's GPUs (:func:`iactdl.fit.train.choose_device`: 0 = the CPU).

    Returns
    -------
    dict
        The facts of :func:`~iactdl.experiments.training.train_entry`, ``optimizer``,
        ``schedule``, ``lr``, ``seed``, ``best_val_loss``, ``best_val_auc`` (max over epochs),
        ``final_val_loss``, ``wall_seconds`` (s) and ``diverged``.
    """
    entry = {
        **dict(entry),
        "optimizer": optimizer,
        "schedule": schedule,
        "lr": float(lr),
        "patience": 0,
    }
    try:
        _, result, facts = train_entry(
            entry, train_path, val_path, n_train, n_val, seed, threads, gpus
        )
    except TrainingDiverged as err:
        # a rate of the grid that is too large is a result (it loses the choice), not a failure
        log.warning("%s: diverged: %s", output, err)
        summary = {
            "optimizer": optimizer,
            "schedule": schedule,
            "lr": float(lr),
            "seed": int(seed),
            "diverged": True,
            "best_val_loss": math.inf,
            "best_val_auc": math.nan,
        }
        _write_csv(history, [], fieldnames=HISTORY_FIELDS)
        write_json(output, summary)
        return summary
    wall = 0.0
    rows = []
    for row in result.history:
        wall += float(row["seconds"])
        rows.append({**row, "wall_seconds": round(wall, 3)})
    aucs = [r["val_auc"] for r in rows if math.isfinite(r["val_auc"])]
    summary = {
        **facts,
        "optimizer": optimizer,
        "schedule": schedule,
        "lr": float(lr),
        "seed": int(seed),
        "best_val_loss": result.best_val_loss,
        "best_val_auc": max(aucs) if aucs else math.nan,
        "final_val_loss": rows[-1]["val_loss"],
        "wall_seconds": wall,
        "diverged": False,
    }
    log.info("%s: %s", output, summary)
    _write_csv(history, rows)
    write_json(output, summary)
    return summary


def _write_csv(path: str | os.PathLike, rows: Sequence[dict], fieldnames=None) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
