"""Experiment 3, inductive bias: test AUC against the number of training events, per assumption.

The same task (gamma/hadron separation on the simulated splits) is learnt by nets that assume more
or less about the data: an MLP on the 1440 raw pixel charges (nothing), the hexagonal CNN (locality
and translation equivariance on the camera lattice), Deep Sets and the Set Transformer (an event is
a set of pixels: permutation invariance; Zaheer et al. 2017, Lee et al. 2019), and the MLP on Hillas
features (the physicist's knowledge of what matters; Hillas 1985). A bias that fits the data should
need fewer events for the same AUC (Battaglia et al. 2018). One point is (model, training events,
seed): a nested, seeded subset of the training split, trained with the pipeline's engine and early
stopping on a subset of the validation split, scored on the simulated test split.

Small subsets take few optimiser steps per epoch; ``min_steps`` raises the number of epochs of a
small subset so that every point gets at least that many steps (early stopping still applies).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping

from iactdl.experiments.defaults import INDUCTIVE_BIAS_DEFAULTS
from iactdl.experiments.training import score, train_entry, write_json
from iactdl.io import n_events

__all__ = ["epochs_for", "inductive_bias_point"]

log = logging.getLogger(__name__)


def epochs_for(entry: Mapping, n_train: int, min_steps: int, max_epochs: int) -> int:
    """The entry's epochs, raised so that ``n_train`` events give >= ``min_steps`` steps, capped.

    The batch is the one :func:`iactdl.experiments.training.train_entry` uses (the entry's
    ``batch_size``, at most a quarter of the events); the cap is ``max_epochs``, or the entry's
    own epochs where those are more.

    Parameters
    ----------
    entry : mapping
        The net's config entry (``epochs``, default 10; ``batch_size``, default 256).
    n_train : int
        Training events of the point.
    min_steps : int
        Fewest optimiser steps the point should take.
    max_epochs : int
        Most epochs the raise may reach.

    Returns
    -------
    int
        ``min(max(epochs, ceil(min_steps / steps_per_epoch)), max(epochs, max_epochs))``.
    """
    batch = max(1, min(int(entry.get("batch_size", 256)), n_train // 4))
    steps_per_epoch = max(1, n_train // batch)
    epochs = max(int(entry.get("epochs", 10)), math.ceil(min_steps / steps_per_epoch))
    return min(epochs, max(int(entry.get("epochs", 10)), max_epochs))


def inductive_bias_point(
    entry: Mapping,
    n_train: int,
    seed: int,
    train_path: str | os.PathLike,
    val_path: str | os.PathLike,
    test_path: str | os.PathLike,
    output: str | os.PathLike,
    n_val: int = INDUCTIVE_BIAS_DEFAULTS["n_val"],
    n_test: int = INDUCTIVE_BIAS_DEFAULTS["n_test"],
    min_steps: int = INDUCTIVE_BIAS_DEFAULTS["min_steps"],
    max_epochs: int = INDUCTIVE_BIAS_DEFAULTS["max_epochs"],
    threads: int = 1,
    gpus: int = 0,
) -> dict:
    """Train the net of ``entry`` on ``n_train`` training events (0 = all); write its test AUC.
    ``gpus``: the job's GPUs, which decide the device (0 = the CPU).

    Parameters
    ----------
    entry : mapping
        The net's config entry (``net``, ``features``, ``settings``, ``epochs``, ...); its
        epochs are raised by :func:`epochs_for`.
    n_train : int
        Training events, a nested seeded subset (:func:`iactdl.experiments.training.subset_rows`);
        0 or more than the split holds = all.
    seed : int
        The repetition: it seeds the subsets (training ``seed``, validation ``seed + 1``, test
        ``seed + 2``) and the training.
    train_path, val_path, test_path : path
        The simulated training, validation (early stopping) and test (score) splits.
    output : path
        Where the summary is written (JSON, atomically).
    n_val, n_test : int
        Validation and test events (0 = all).
    min_steps, max_epochs : int
        Fewest optimiser steps and most epochs (:func:`epochs_for`).
    threads : int
        Torch's CPU threads.
    gpus : int
        The job's GPUs (:func:`iactdl.fit.train.choose_device`: 0 = the CPU).

    Returns
    -------
    dict
        The facts of :func:`~iactdl.experiments.training.train_entry` (``net``, ``n_train``,
        ``n_params``, ...), ``seed``, ``epochs``, ``val_auc`` (at the best epoch), ``test_auc``,
        ``test_loss``, ``n_test`` and ``seconds`` (wall time of the point, s).
    """
    t0 = time.perf_counter()
    n = n_train if 0 < n_train < n_events(train_path) else n_events(train_path)
    entry = {**dict(entry), "epochs": epochs_for(entry, n, min_steps, max_epochs)}
    net, result, facts = train_entry(entry, train_path, val_path, n, n_val, seed, threads, gpus)
    test = score(net, entry, test_path, n_test, seed + 2)
    best = result.history[result.best_epoch - 1] if result.best_epoch > 0 else {}
    summary = {
        **facts,
        "seed": int(seed),
        "epochs": entry["epochs"],
        "val_auc": best.get("val_auc", math.nan),
        "test_auc": test["auc"],
        "test_loss": test["loss"],
        "n_test": test["n_events"],
        "seconds": time.perf_counter() - t0,
    }
    log.info("%s: %s", output, summary)
    write_json(output, summary)
    return summary
