"""Training one net of a sweep point: a seeded subset of the training split, the engine, a score.

The optimiser and inductive-bias experiments train the pipeline's own nets with the pipeline's own
engine (:func:`iactdl.fit.engine.fit`) on seeded subsets of the simulated splits; this module is
the part they share. A sweep point's settings are a net entry of the config (the keys of
``models:`` entries of kind net, :mod:`iactdl.fit.entry`), so a point trains exactly what
the pipeline would train with that entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import torch

from iactdl.fit.engine import FitResult, evaluate, fit
from iactdl.fit.entry import fit_settings
from iactdl.fit.losses import multitask_loss
from iactdl.fit.train import choose_device, heads_for, load_split
from iactdl.io import n_events
from iactdl.io import write_json as io_write_json
from iactdl.models.nets import NETS, build_net

__all__ = ["subset_rows", "train_entry", "score", "write_json"]


def subset_rows(path: str | os.PathLike, n: int, seed: int) -> np.ndarray | None:
    """Sorted rows of the first ``n`` events of a seeded permutation of ``path`` (None: all).

    Subsets of one seed are nested (n=500 lies inside n=2000), so the points of a learning curve
    differ by added events only, and every model of a sweep sees the same events.

    Parameters
    ----------
    path : path
        The dataset file (only its number of events is read).
    n : int
        Events wanted; 0 or at least the file's number: all.
    seed : int
        Seed of the permutation (numpy's ``default_rng``).

    Returns
    -------
    numpy.ndarray or None
        Sorted rows, shape (n,); None for all events.
    """
    total = n_events(path)
    if n <= 0 or n >= total:
        return None
    perm = np.random.default_rng(seed).permutation(total)
    return np.sort(perm[:n])


def train_entry(
    entry: Mapping,
    train_path: str | os.PathLike,
    val_path: str | os.PathLike,
    n_train: int,
    n_val: int,
    seed: int,
    threads: int = 1,
    gpus: int = 0,
) -> tuple[torch.nn.Module, FitResult, dict]:
    """Fit the net of config ``entry`` on ``n_train`` events (0 = all) and validate on ``n_val``.

    The batch is the entry's ``batch_size`` (default 256), at most a quarter of the training
    events, so that every epoch takes at least 4 steps. The net comes back on the CPU.

    Parameters
    ----------
    entry : mapping
        A net entry of the config's ``models`` (``net``, ``task``, ``features``, ``settings``,
        ``batch_size``, the fit settings of :func:`iactdl.fit.entry.fit_settings`).
    train_path, val_path : path
        The simulated training and validation splits.
    n_train, n_val : int
        Events of the seeded subsets (:func:`subset_rows`, seeds ``seed`` and ``seed + 1``);
        0 = all.
    seed : int
        Seed of the subsets and of the training.
    threads : int
        Torch's CPU threads.
    gpus : int
        The GPUs the job was given (the rule's ``resources.gpu``); they decide the device
        (:func:`iactdl.fit.train.choose_device`: 0 = the CPU).

    Returns
    -------
    net : torch.nn.Module
        The weights of the epoch with the lowest validation loss, as the pipeline keeps.
    result : iactdl.fit.engine.FitResult
        The engine's result (history per epoch, best epoch).
    facts : dict
        ``net``, ``n_train``, ``n_val``, ``n_params``, ``batch_size``, ``epochs_run``,
        ``best_epoch``, ``train_seconds`` (s) and ``device``.
    """
    torch.set_num_threads(max(1, int(threads)))
    entry = dict(entry)
    net_name = entry["net"]
    task = entry.get("task", "separation")
    features = list(entry.get("features") or []) if NETS[net_name].input_kind == "features" else []
    train = load_split(train_path, net_name, features, task, subset_rows(train_path, n_train, seed))
    val = load_split(val_path, net_name, features, task, subset_rows(val_path, n_val, seed + 1))
    n = len(train["is_gamma"])
    # small subsets: at most a quarter of the events per batch, so that every epoch takes >= 4 steps
    entry["batch_size"] = max(1, min(int(entry.get("batch_size", 256)), n // 4))
    settings = fit_settings(entry, seed, net_name)
    torch.manual_seed(settings.seed)  # initialisation
    net = build_net(net_name, entry.get("settings"), heads_for(entry), len(features) or None)
    net.fit_scaling(**{k: train[k] for k in net.input_names})
    device = choose_device(int(gpus), bool(entry.get("require_gpu", False)))
    result = fit(net, train, val, settings, device=device, progress=False)
    net.cpu()  # scored on the CPU-resident test split
    facts = {
        "net": net_name,
        "n_train": n,
        "n_val": len(val["is_gamma"]),
        "n_params": int(sum(p.numel() for p in net.parameters())),
        "batch_size": settings.batch_size,
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "train_seconds": float(sum(result.train_seconds)),
        "device": str(device),
    }
    return net, result, facts


def score(net: torch.nn.Module, entry: Mapping, path: str | os.PathLike, n: int, seed: int) -> dict:
    """Loss and ROC AUC of ``net`` on ``n`` events (0 = all) of the dataset file ``path``.

    Parameters
    ----------
    net : torch.nn.Module
        A trained net (on the CPU).
    entry : mapping
        Its config entry (``net``, ``task``, ``features``).
    path : path
        The dataset file scored (the simulated test split).
    n : int
        Events of the seeded subset (:func:`subset_rows`); 0 = all.
    seed : int
        Seed of the subset.

    Returns
    -------
    dict
        ``loss`` (the training loss, :func:`iactdl.fit.losses.multitask_loss`), ``auc`` (ROC
        AUC of the gammaness) and ``n_events``.
    """
    net_name = entry["net"]
    features = list(entry.get("features") or []) if NETS[net_name].input_kind == "features" else []
    data = load_split(
        path, net_name, features, entry.get("task", "separation"), subset_rows(path, n, seed)
    )
    loss, auc, _ = evaluate(net, data, multitask_loss, batch_size=2048)
    return {"loss": loss, "auc": auc, "n_events": len(data["is_gamma"])}


def write_json(path: str | os.PathLike, obj) -> None:
    """The experiments' results as compact JSON (indent 1), whole or not at all; NaN -> null.

    Parameters
    ----------
    path : path
        The file written (:func:`iactdl.io.write_json`).
    obj : object
        A JSON-able result (dicts, lists, numbers, numpy scalars and arrays).
    """
    io_write_json(path, obj, indent=1)
