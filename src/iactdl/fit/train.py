"""Train one net model of the pipeline: datasets in, ``results/models/{model}/`` out.

:func:`train_net` is what the ``train_net`` rule calls: it reads the columns the net needs from the
train and val datasets, picks the device (:func:`choose_device`), builds the net of the config
entry, fits its input scaling on the training set, runs :func:`iactdl.fit.engine.fit` (resuming
from the scratch checkpoint of a killed run), and writes ``model.pt``, ``model.json``,
``history.csv`` and the final ``checkpoint.pt``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import platform
import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from iactdl import __version__
from iactdl.fit.engine import fit, split_size
from iactdl.fit.entry import NET_DEFAULTS, fit_settings
from iactdl.fit.streaming import StreamedSplit, split_tensors
from iactdl.io import (
    InputError,
    atomic_path,
    column_names,
    n_events,
    read_columns,
    read_observed_truth,
)
from iactdl.models.nets import NETS, build_net, input_columns, save_net
from iactdl.models.nets.direction import DIRECTION_HEADS, check_direction_head, direction_columns
from iactdl.rule_log import model_job

__all__ = [
    "choose_device",
    "device_name",
    "heads_for",
    "direction_for",
    "load_split",
    "split_targets",
    "train_net",
    "net_job",
]

log = logging.getLogger(__name__)


def choose_device(gpus: int = 0, require_gpu: bool = False) -> torch.device:
    """The device of a training job: ``cuda`` when the job was given GPUs and CUDA sees one.

    ``gpus`` is the job's Snakemake ``gpu`` resource (the rule asks for the model entry's ``gpu``;
    a profile's ``set-resources`` may change it), so the GPU a scheduler hands the job is the
    GPU it trains on; SLURM and CUDA agree through ``CUDA_VISIBLE_DEVICES``. A job given a GPU
    that CUDA cannot use (no driver, a fake card) trains on the CPU with a warning, or stops with
    ``require_gpu``. A job given no GPU trains on the CPU even where one is visible: a GPU it
    was not given may belong to another job. The choice and the device's name are logged.

    Parameters
    ----------
    gpus : int, optional
        GPUs the job was given (its ``gpu`` resource); default 0: the CPU.
    require_gpu : bool, optional
        Raise instead of falling back to the CPU when a GPU was given but CUDA cannot use one;
        default False.

    Returns
    -------
    torch.device
        ``cuda`` (the current CUDA device) or ``cpu``.

    Raises
    ------
    RuntimeError
        If ``gpus`` > 0, CUDA is not available and ``require_gpu`` is true.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")
    if not gpus:
        log.info("device: the job was given no GPU (resource gpu=0): training on the CPU")
        return torch.device("cpu")
    log.info(
        "device: the job was given %d GPU(s) (resource gpu=%d, CUDA_VISIBLE_DEVICES=%s): "
        "asking for CUDA", gpus, gpus, visible,
    )  # fmt: skip
    if torch.cuda.is_available():
        device = torch.device("cuda")
        log.info("device: cuda:%d, %s", torch.cuda.current_device(), torch.cuda.get_device_name())
        return device
    msg = (
        f"the job was given gpu={gpus} but CUDA cannot use a device "
        f"(CUDA_VISIBLE_DEVICES={visible}, torch {torch.__version__}, CUDA build "
        f"{torch.version.cuda or 'none'})"
    )
    if require_gpu:
        raise RuntimeError(msg + "; require_gpu is true, so stopping")
    warnings.warn(msg + "; training on the CPU", RuntimeWarning, stacklevel=2)
    log.warning(msg + "; training on the CPU")
    return torch.device("cpu")


def device_name(device: torch.device) -> str:
    """A readable name of a training device (the GPU's model, or the CPU and its threads).

    Parameters
    ----------
    device : torch.device
        A device of :func:`choose_device`.

    Returns
    -------
    str
        E.g. ``"NVIDIA H100 80GB HBM3"`` or ``"CPU (x86_64, 4 threads)"``.
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)"


def direction_for(entry: Mapping) -> str | None:
    """The direction head of a net entry.

    Parameters
    ----------
    entry : mapping
        A net entry; its ``direction_head`` (default none).

    Returns
    -------
    str or None
        ``source`` or ``disp``; None without a direction head. An unknown value is a ValueError.
    """
    return check_direction_head(entry.get("direction_head", NET_DEFAULTS["direction_head"]))


def heads_for(entry: Mapping) -> tuple[str, ...]:
    """The output heads of a net entry, in output order.

    Parameters
    ----------
    entry : mapping
        A net entry: ``task`` (``separation``, ``energy`` or ``direction``), ``energy_head``,
        ``direction_head``.

    Returns
    -------
    tuple of str
        The task's head first (``gammaness``, ``log10_energy``), then the extra heads of
        multi-task training: ``log10_energy`` (separation with ``energy_head``) and the direction
        head's two outputs; the direction task has only those.

    Raises
    ------
    ValueError
        If ``task`` is not ``"separation"``, ``"energy"`` or ``"direction"``.
    """
    task = entry.get("task", "separation")
    direction = direction_for(entry)
    extra = DIRECTION_HEADS[direction] if direction else ()
    if task == "energy":
        return ("log10_energy", *extra)
    if task == "direction":
        if not direction:
            raise ValueError("task 'direction' needs direction_head: source or disp")
        return extra
    if task == "separation":
        energy = entry.get("energy_head", NET_DEFAULTS["energy_head"])
        return ("gammaness", *(("log10_energy",) if energy else ()), *extra)
    raise ValueError(f"unknown task {task!r}; valid tasks: ['separation', 'energy', 'direction']")


def load_split(
    path: str | os.PathLike,
    net: str,
    features,
    task: str,
    rows: np.ndarray | None = None,
    truth_path: str | os.PathLike | None = None,
    labels: Callable | None = None,
    direction: str | None = None,
) -> dict[str, torch.Tensor]:
    """Inputs and targets of a dataset file as tensors (CPU). Energy task: gammas only;
    direction task: the rows with a direction label only.

    Where the targets ``is_gamma`` and ``true_energy`` come from:

    - by default the file's columns (simulations), or with ``truth_path`` the truth file,
      joined on ``event_id`` (the observed events' hidden truth: oracles alone pass it);
    - ``labels(path, rows) -> {"is_gamma": ..., "true_energy": ...}``: a stage's own targets
      (stage 6's ON/OFF labels, :func:`iactdl.labelnoise.nets.onoff_targets`); the engine knows
      no method. An optional boolean ``keep`` (one per row read) leaves out the rows the stage has
      no label for; the targets are then those of the kept rows.

    ``direction`` (``source``, ``disp``): the direction head's targets, from the simulations' true
    source position (:func:`iactdl.models.nets.direction.direction_targets`); a file without it
    is an :class:`InputError` naming the file and the column.

    Parameters
    ----------
    path : str or os.PathLike
        A dataset file (``results/datasets/{split}.h5``).
    net : str
        The net's name in :data:`iactdl.models.nets.NETS` (its input kind decides the columns).
    features : sequence of str
        The feature columns of a ``features`` net, in its order; empty for image and set nets.
    task : str
        ``"separation"`` (both classes needed), ``"energy"`` (gammas only) or ``"direction"``
        (the rows with a direction label only).
    rows : numpy.ndarray, optional
        Sorted row indices to read (``max_train_events``); default every row.
    truth_path : str or os.PathLike, optional
        The observed events' truth file, for the targets (oracles only).
    labels : callable, optional
        ``labels(path, rows) -> dict`` of a stage's own targets (see above).
    direction : str, optional
        The direction head (``"source"`` or ``"disp"``), or None; not with ``labels`` or
        ``truth_path``.

    Returns
    -------
    dict of str to torch.Tensor
        As :func:`iactdl.fit.streaming.split_tensors`: the net's inputs, ``is_gamma``,
        ``log10_energy`` and ``energy_weight`` (and the direction head's targets), one row per
        event kept, on the CPU.

    Raises
    ------
    ValueError
        If both ``labels`` and ``truth_path`` are given, or ``direction`` with either.
    iactdl.io.InputError
        If a column is missing, no event is left, or a separation set has one class only.
    """
    kind = NETS[net].input_kind
    if direction is not None:
        if labels is not None or truth_path is not None:
            raise ValueError(
                "load_split: a direction head trains on the simulations' true source position; "
                "not with stage labels or the observed truth"
            )
        have = column_names(path)
        extra = [c for c in direction_columns(direction, training=True) if c in have]
        cols = input_columns(net, features) + ["is_gamma", "true_energy", *extra]
        data = read_columns(path, list(dict.fromkeys(cols)), index=rows)
        out = split_tensors(data, kind, features, task, path, direction)
        is_gamma = out["is_gamma"].numpy().astype(bool)
        if task == "separation" and is_gamma.all() | (~is_gamma).all():
            raise InputError(f"{path}: only one class in is_gamma; separation needs both")
        if not out["direction_weight"].any():
            raise InputError(
                f"{path}: no event with a direction label (a finite true_source_x/y in sample "
                "'gamma_diffuse'); the direction head trains on simulated diffuse gammas"
            )
        return out
    if labels is not None:
        if truth_path is not None:
            raise ValueError("load_split: either labels or truth_path, not both")
        data = read_columns(path, input_columns(net, features), index=rows)
        targets = dict(labels(path, rows))
        keep = targets.pop("keep", None)  # rows the stage has no label for (left out)
        if keep is not None:
            data = {k: np.asarray(v)[keep] for k, v in data.items()}
        data.update(targets)
    elif truth_path is None:
        cols = input_columns(net, features) + ["is_gamma", "true_energy"]
        data = read_columns(path, cols, index=rows)
    else:
        data = read_columns(path, input_columns(net, features) + ["event_id"], index=rows)
        # the observed events' hidden truth: oracles alone pass truth_path
        data.update(read_observed_truth(truth_path, data["event_id"], ("true_energy",), path))
    out = split_tensors(data, kind, features, task, path)
    is_gamma = out["is_gamma"].numpy().astype(bool)
    if task == "separation" and is_gamma.all() | (~is_gamma).all():
        raise InputError(f"{path}: only one class in is_gamma; separation needs gammas and hadrons")
    return out


def split_targets(
    path: str | os.PathLike,
    truth_path: str | os.PathLike | None = None,
    labels: Callable | None = None,
) -> dict[str, np.ndarray] | None:
    """The targets of every row of a dataset when they are not its own columns, for a streamed
    split (:class:`iactdl.fit.streaming.StreamedSplit`): what :func:`load_split` joins to the
    rows it reads, here for the whole file at once (one value an event; the net's inputs stay on
    disk).

    Parameters
    ----------
    path : str or os.PathLike
        The dataset.
    truth_path : str or os.PathLike, optional
        The observed truth file (oracles alone pass it): ``is_gamma`` and ``true_energy`` (TeV)
        joined on ``event_id``.
    labels : callable, optional
        A stage's ``labels(path, rows)`` hook (see :func:`load_split`), called with every row.

    Returns
    -------
    dict of str to numpy.ndarray or None
        ``is_gamma``, ``true_energy`` and, from ``labels``, the rows kept (``keep``); ``None``
        where the targets are the file's own columns.
    """
    if labels is not None:
        if truth_path is not None:
            raise ValueError("split_targets: either labels or truth_path, not both")
        return dict(labels(path, None))
    if truth_path is None:
        return None
    ids = read_columns(path, ["event_id"])["event_id"]
    # the observed events' hidden truth: oracles alone pass truth_path
    truth = read_observed_truth(truth_path, ids, ("true_energy",), path)
    return {"is_gamma": truth["is_gamma"], "true_energy": truth["true_energy"]}


def train_net(
    train_path: str | os.PathLike,
    val_path: str | os.PathLike,
    entry: Mapping,
    seed: int,
    model_dir: str | os.PathLike,
    threads: int = 1,
    resume_path: str | os.PathLike | None = None,
    name: str = "",
    progress: bool = True,
    prepare: Callable | None = None,
    truth_path: str | os.PathLike | None = None,
    gpus: int | None = None,
    labels: Callable | None = None,
    finalise: Callable | None = None,
    resident_val: bool = False,
) -> dict:
    """Fit the net of model ``entry`` and write ``model_dir/{model.pt, model.json, history.csv,
    checkpoint.pt}``. ``resume_path`` is the scratch checkpoint written every epoch (kept outside
    the rule's outputs, which Snakemake deletes before a rerun); it is moved into place at the
    end.

    ``prepare(net, train, val, settings, rows) -> (model, objective, meta)``, after the net's
    scaling is fitted, turns plain training into another (domain adaptation,
    :mod:`iactdl.adapt.nets`): the engine fits ``model`` with ``objective``, ``net`` is saved and
    ``meta`` joins its json. With the entry's ``stream``, ``train`` is a
    :class:`~iactdl.fit.streaming.StreamedSplit`, which holds the per-event columns a ``prepare``
    reads and sets (``train["is_gamma"]``, ``train["sample_weight"] = w``) and streams the rest;
    ``truth_path`` and ``labels`` give its targets (:func:`split_targets`). An ``objective`` with a
    ``close`` method (a streamed DANN target) is closed when the fit ends. ``truth_path``,
    ``labels``: where the targets of both splits come from (:func:`load_split`).
    ``finalise(net, val) -> dict``, after training (the net holds its best epoch's weights), adds
    what only the trained net can tell to its json (the ON/OFF net's label-noise correction,
    :mod:`iactdl.labelnoise.nets`).
    ``gpus``: the GPUs the job was given (the rule's ``resources.gpu``; default: the entry's
    ``gpu``); it decides the device (:func:`choose_device`).
    With ``stream``, the validation set is streamed as well (a ``StreamedSplit`` read chunk by
    chunk at every validation, :func:`iactdl.fit.engine.evaluate`): the hooks get it as ``val``
    (``val["is_gamma"]``, ``val["sample_weight"] = w``, :meth:`~StreamedSplit.chunks`,
    :meth:`~StreamedSplit.take`), unless ``resident_val`` (a stage whose ``prepare`` rebuilds
    the validation set in memory).

    Parameters
    ----------
    train_path, val_path : str or os.PathLike
        The training and validation datasets.
    entry : Mapping
        The model's config entry (``kind: net``); validated first (:func:`fit_settings`).
    seed : int
        The rule's seed: the fit's seed and that of the ``max_train_events`` subsample.
    model_dir : str or os.PathLike
        Output folder (created).
    threads : int, optional
        CPU threads of torch; default 1.
    resume_path : str or os.PathLike, optional
        The scratch checkpoint; default ``model_dir/checkpoint.pt``.
    name : str, optional
        The model's name (config ``models``), for messages and ``model.json``.
    progress : bool, optional
        Log progress lines within each epoch (:func:`~iactdl.fit.engine.fit`); default True.
    prepare : callable, optional
        The hook that turns plain training into another (see above).
    truth_path : str or os.PathLike, optional
        The observed events' truth file, for the targets (oracles only).
    gpus : int, optional
        The GPUs the job was given; default the entry's ``gpu``.
    labels : callable, optional
        A stage's own targets (:func:`load_split`).
    finalise : callable, optional
        ``finalise(net, val) -> dict`` merged into ``model.json`` after training.
    resident_val : bool, optional
        Load the validation set resident even with ``stream`` (default False: streamed then).

    Returns
    -------
    dict
        The ``model.json`` content: name, task, input kind, features and required columns, the
        entry, the fit settings, seed, device, event counts, ``metrics`` (``best_epoch``,
        ``best_val_loss``, ``val_auc`` of the best epoch, ``epochs_run``, ``train_seconds`` in
        s), the package version, and what ``prepare`` and ``finalise`` add.

    Raises
    ------
    ValueError
        If the entry is invalid, or ``stream`` is combined with ``truth_path``, ``labels`` or
        ``prepare``.
    iactdl.io.InputError
        If a dataset lacks a column or events (naming ``max_train_events`` if the subsample
        is the cause).
    """
    entry = dict(entry)
    torch.set_num_threads(max(1, int(threads)))
    settings = fit_settings(entry, seed, name or "net")  # validates the whole entry first
    net_name = entry["net"]
    heads = heads_for(entry)
    direction = direction_for(entry)
    task = entry.get("task", "separation")
    features = list(entry.get("features") or []) if NETS[net_name].input_kind == "features" else []
    if gpus is None:  # library use: the entry's request (a rule passes its job's resource)
        gpus = int(entry.get("gpu", NET_DEFAULTS["gpu"]) or 0)
    device = choose_device(int(gpus), bool(entry.get("require_gpu", NET_DEFAULTS["require_gpu"])))
    rows = None
    limit = int(entry.get("max_train_events", NET_DEFAULTS["max_train_events"]) or 0)
    if limit and n_events(train_path) > limit:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n_events(train_path), size=limit, replace=False))
    stream = bool(entry.get("stream", NET_DEFAULTS["stream"]))
    if direction and (truth_path is not None or labels is not None):
        raise ValueError(
            f"config models.{name or net_name}.direction_head: a direction head trains on the "
            "simulations' true source position; an oracle or ON/OFF net has none (remove it)"
        )
    try:
        if stream:
            train = StreamedSplit(
                train_path, input_columns(net_name, features), NETS[net_name].input_kind,
                features, task, rows, direction=direction,
                targets=split_targets(train_path, truth_path, labels),
            )  # fmt: skip
        else:
            train = load_split(
                train_path, net_name, features, task, rows, truth_path, labels, direction
            )
    except InputError as err:
        if rows is None:
            raise
        raise InputError(  # the count is the config's, name it
            f"config models.{name or net_name}.max_train_events: the {limit} events drawn at "
            f"random are not enough ({err}); raise it, or 0 to train on all events"
        ) from None
    if stream and not resident_val:
        # read chunk by chunk at every validation: a resident validation set is float32 (the
        # files' float16 widened), 4.5 GB for 667k events of pixel sets, more than the training
        # stream's pools; the loss and AUC are the resident set's (the engine gathers outputs and
        # targets alone)
        val = StreamedSplit(
            val_path, input_columns(net_name, features), NETS[net_name].input_kind, features,
            task, direction=direction, targets=split_targets(val_path, truth_path, labels),
        )  # fmt: skip
    else:
        val = load_split(
            val_path, net_name, features, task, truth_path=truth_path, labels=labels,
            direction=direction,
        )  # fmt: skip
    torch.manual_seed(settings.seed)  # initialisation
    net = build_net(net_name, entry.get("settings"), heads, n_features=len(features) or None)
    # a streamed set fits the scaling on a random sample of its blocks (streaming's SCALING_EVENTS)
    scaling = train.sample(settings.seed) if stream else train
    net.fit_scaling(**{k: scaling[k] for k in net.input_names})
    del scaling
    n_train = split_size(train)
    log.info(
        "training %s (%s, %d parameters) on %s (%s): %d train (%s), %d val events, threads %d",
        name or net_name, net_name, sum(p.numel() for p in net.parameters()), device,
        device_name(device), n_train, "streamed" if stream else "resident", split_size(val),
        torch.get_num_threads(),
    )  # fmt: skip
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    resume = Path(resume_path) if resume_path else model_dir / "checkpoint.pt"
    model, objective, extra = (net, None, {})
    if prepare is not None:
        model, objective, extra = prepare(net, train, val, settings, rows)
    try:
        result = fit(
            model, train, val, settings, device=device, checkpoint_path=resume,
            history_path=model_dir / "history.csv", progress=progress, objective=objective,
        )  # fmt: skip
    finally:  # an objective that streams its own events (DANN's target) stops its reader
        getattr(objective, "close", lambda: None)()
    best = result.history[result.best_epoch - 1] if result.best_epoch > 0 else {}
    meta = {
        "name": name,
        "task": task,
        "input_kind": NETS[net_name].input_kind,
        "features": features,
        "required_columns": input_columns(net_name, features),
        "config": entry,
        "fit": dataclasses.asdict(settings),
        "seed": int(seed),
        "device": str(device),
        "device_name": device_name(device),
        "gpus_given": int(gpus),
        "n_train": n_train,
        # after prepare: a stage may have rebuilt the validation set (joint: simulated + ON/OFF)
        "n_val": split_size(val),
        "metrics": {
            "best_epoch": result.best_epoch,
            "best_val_loss": result.best_val_loss,
            "val_auc": best.get("val_auc", math.nan),
            "epochs_run": len(result.history),
            "train_seconds": sum(r["seconds"] for r in result.history),
        },
        "iactdl_version": __version__,
        **extra,
    }
    if finalise is not None:
        meta.update(finalise(net, val))
    save_net(net.cpu(), model_dir, meta)
    if resume != model_dir / "checkpoint.pt":
        with atomic_path(model_dir / "checkpoint.pt") as tmp:
            shutil.copyfile(resume, tmp)
        resume.unlink()
    return meta


def net_job(smk) -> dict:
    """The keywords of :func:`train_net` that every net-training rule (``train_net``,
    ``train_adapted``, ``train_oracle``) takes from its Snakemake job: those of every model
    (:func:`iactdl.rule_log.model_job`), the datasets, the scratch checkpoint and the job's GPUs.
    Each rule's script adds only what is its own (the adapted net's target stream, the oracle's
    truth file).

    Parameters
    ----------
    smk : snakemake.script.Snakemake
        The rule's ``snakemake`` object: ``input.train``, ``input.val``, ``params.resume``,
        ``params.entry``, ``params.seed``, ``output.info``, ``resources.gpu``,
        ``wildcards.model`` and ``threads``.

    Returns
    -------
    dict
        Keywords of :func:`train_net`: ``name``, ``entry``, ``seed``, ``model_dir``,
        ``threads``, ``train_path``, ``val_path``, ``resume_path`` and ``gpus``.
    """
    return {
        **model_job(smk),
        "train_path": smk.input.train,
        "val_path": smk.input.val,
        "resume_path": smk.params.resume,
        "gpus": smk.resources.gpu,  # the job's GPUs decide the device
    }
