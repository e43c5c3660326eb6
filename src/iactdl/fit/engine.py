"""The training engine: mini-batch stochastic optimisation with the data resident on the device.

The whole training and validation sets are tensors on the device; every epoch draws one permutation
(seeded by the fit's seed and the epoch) and batches are ``tensor[perm[i:i+b]]`` gathers on the
device: no ``DataLoader``, no per-sample Python, no host-device copies on the hot path. The loss is
summed on the device and read once per epoch. bf16 autocast and ``torch.compile`` are used on CUDA
only (the CPU path stays fp32 and bitwise reproducible). After every epoch a self-describing
checkpoint (:mod:`iactdl.fit.checkpoint`) is written atomically; ``fit`` resumes from it when it
matches the run, and a resumed run ends with the same weights as an uninterrupted one (the
permutation and the global RNG are re-seeded from (seed, epoch) at every epoch start).

A training set too large for memory is streamed instead
(:class:`iactdl.fit.streaming.StreamedSplit`, config ``models.*.stream``): batches come from
shuffled pools of chunks read from disk by a background thread, in an order that is again a
function of (seed, epoch) alone. The validation set of such a net is streamed too, chunk by chunk
in file order (:meth:`~iactdl.fit.streaming.StreamedSplit.chunks`): a resident validation set
(float32 from the files' float16) would otherwise be the largest thing in memory, 4.5 GB for
667k events of pixel sets. Only the outputs and the per-event targets are gathered (a few
numbers an event), so the loss and AUC are those of the resident set, computed once on all
events.

What one step minimises is the loss of the net's outputs on a training batch, unless an
:class:`Objective` takes over (domain-adversarial training, :mod:`iactdl.adapt.dann`, adds a target
batch and a domain loss): the loop, the optimiser, checkpoints, resume, bf16 and the choice of the
best epoch stay the engine's.

The final weights are those of the epoch with the lowest validation loss; early stopping ends the
run after ``patience`` epochs without improvement (Prechelt 1998). An objective may ask for all
epochs and the last one's weights instead (:attr:`Objective.keep_last_epoch`: DANN).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from iactdl import __version__
from iactdl.fit.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from iactdl.fit.losses import multitask_loss
from iactdl.fit.optim import make_optimizer, make_schedule
from iactdl.io import InputError, atomic_path
from iactdl.progress import Progress
from iactdl.provenance import rule_seed

__all__ = [
    "FitSettings",
    "FitResult",
    "Objective",
    "TrainingDiverged",
    "fit",
    "evaluate",
    "split_size",
    "autocast",
    "HISTORY_COLUMNS",
]

log = logging.getLogger(__name__)

# seconds between the progress lines within an epoch's training loop and within a validation pass
# (fit(progress=True), evaluate(progress=...))
PROGRESS_EVERY_S = 60.0

HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "val_auc", "lr", "seconds")


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class FitSettings:
    """How the engine trains a net: optimiser, schedule, epochs, batches, stopping, precision.

    A net entry's keys of the same names (:data:`iactdl.fit.entry.FIT_KEYS`) set them; ``seed``
    comes from the rule.

    Parameters
    ----------
    optimizer : str, optional
        One of :data:`iactdl.fit.optim.OPTIMIZERS`; default ``"adamw"``.
    lr : float, optional
        Peak learning rate; default 1e-3 (Adam-type; use ~0.05 for SGD).
    weight_decay : float, optional
        L2 penalty (SGD, Adam) or decoupled weight decay (AdamW); default 1e-4.
    momentum : float, optional
        Momentum of SGD and Nesterov; default 0.9.
    schedule : str, optional
        One of :data:`iactdl.fit.optim.SCHEDULES`; default ``"warmup"`` (linear warm-up, then
        cosine).
    warmup_epochs : float, optional
        Length of the linear warm-up (schedule ``warmup``), in epochs; default 1.
    step_epochs : int, optional
        Schedule ``step``: epochs between two multiplications by ``step_gamma``; default 10.
    step_gamma : float, optional
        Schedule ``step``: factor on the learning rate every ``step_epochs``; default 0.1.
    epochs : int, optional
        Maximum number of passes over the training set; default 10.
    batch_size : int, optional
        Events per optimiser step; the last incomplete batch of an epoch is dropped. Default 256.
    eval_batch_size : int, optional
        Events per forward pass in validation and prediction (no gradients); default 4096.
    patience : int, optional
        Early stopping (Prechelt 1998): stop after this many epochs without a lower validation
        loss; 0 (default) = off.
    grad_clip : float, optional
        Maximum global L2 norm of the gradient (clipped before each step); 0 = off. Default 1.
    bf16 : bool, optional
        bf16 autocast of the forward pass, on CUDA only; default True.
    compile : bool, optional
        ``torch.compile`` the net, on CUDA only; default False.
    energy_weight : float, optional
        Weight of the log10-energy MSE in :func:`~iactdl.fit.losses.multitask_loss`; default 1.
    direction_weight : float, optional
        Weight of the direction head's loss (:func:`~iactdl.fit.losses.direction_loss`) in the
        multi-task loss; default 1.
    seed : int, optional
        Seed of initialisation, permutations and dropout (per epoch:
        ``rule_seed(seed, "epoch", epoch)``); default 0.
    """

    optimizer: str = "adamw"  # sgd | nesterov | adam | adamw (iactdl.fit.optim)
    lr: float = 1e-3  # peak learning rate; Adam-type default, use ~0.05 for SGD
    weight_decay: float = 1e-4  # L2 (SGD/Adam) or decoupled (AdamW) weight decay
    momentum: float = 0.9  # SGD / Nesterov momentum
    schedule: str = "warmup"  # constant | step | cosine | warmup (linear warm-up, then cosine)
    warmup_epochs: float = 1.0  # length of the linear warm-up (schedule warmup)
    step_epochs: int = 10  # schedule step: multiply lr by step_gamma every step_epochs
    step_gamma: float = 0.1
    epochs: int = 10  # maximum number of passes over the training set
    batch_size: int = 256  # events per optimiser step; the last incomplete batch is dropped
    eval_batch_size: int = 4096  # events per forward pass in validation/prediction (no grad)
    patience: int = 0  # early stopping: epochs without a lower val loss; 0 = off
    grad_clip: float = 1.0  # max global gradient norm; 0 = off
    bf16: bool = True  # bf16 autocast, on CUDA only
    compile: bool = False  # torch.compile the net, on CUDA only
    energy_weight: float = 1.0  # weight of the log10-energy MSE in the multi-task loss
    direction_weight: float = 1.0  # weight of the direction head's loss (deg^2) in it
    seed: int = 0  # permutations, dropout and initialisation derive from it


@dataclass
class FitResult:
    """What :func:`fit` returns: the per-epoch history and the best epoch.

    Parameters
    ----------
    history : list of dict, optional
        One row per epoch run (resumed epochs included): :data:`HISTORY_COLUMNS` (``lr`` is the
        learning rate at the epoch's start, ``seconds`` its wall time) plus an
        :class:`Objective`'s extra columns.
    best_epoch : int, optional
        1-based epoch with the lowest validation loss (the last epoch where the objective keeps
        it, :attr:`Objective.keep_last_epoch`), whose weights the net holds; -1 before any epoch.
    best_val_loss : float, optional
        That epoch's validation loss; ``inf`` before any epoch.
    resumed_from : int, optional
        Epochs already done in the checkpoint the run resumed from; 0 for a fresh run.
    train_seconds : list of float, optional
        Wall time of the training loop alone (no validation, no checkpoint) per epoch run in
        this process, s.
    samples_per_epoch : int, optional
        Events seen per epoch, ``(n_train // batch_size) * batch_size``.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    best_val_loss: float = math.inf
    resumed_from: int = 0  # epochs already done in the checkpoint we resumed from
    train_seconds: list[float] = field(default_factory=list)  # training loop alone, per epoch
    samples_per_epoch: int = 0  # events seen per epoch (the last incomplete batch is dropped)


def _fingerprint(data: Mapping[str, torch.Tensor]) -> list:
    """Cheap content check of a data set (per tensor: shape and float64 sum, NaN ignored)."""
    return [
        [
            k,
            list(v.shape),
            float(torch.nansum(v if v.is_floating_point() else v.float(), dtype=torch.float64)),
        ]
        for k, v in sorted(data.items())
    ]


def _identity(
    net: torch.nn.Module,
    settings: FitSettings,
    train: Mapping,
    val: Mapping,
    n_train: int,
    n_val: int,
) -> dict:
    return {
        "data": [
            train.fingerprint() if _streamed(train) else _fingerprint(train),
            val.fingerprint() if _streamed(val) else _fingerprint(val),
        ],
        "net": getattr(net, "net_name", type(net).__name__),
        "net_settings": repr(dataclasses.asdict(net.settings)) if hasattr(net, "settings") else "",
        "heads": list(getattr(net, "heads", ())),
        "fit_settings": repr(dataclasses.asdict(settings)),
        "n_train": int(n_train),
        "n_val": int(n_val),
    }


def _streamed(train) -> bool:
    """A training or validation set read from disk in pools
    (:class:`iactdl.fit.streaming.StreamedSplit`) rather than tensors."""
    return hasattr(train, "batches")


def split_size(data) -> int:
    """The number of events of a training or validation set, resident or streamed.

    Parameters
    ----------
    data : Mapping of str to torch.Tensor or StreamedSplit
        Tensors with a leading event axis, or a :class:`~iactdl.fit.streaming.StreamedSplit`.

    Returns
    -------
    int
        The length of the tensors' event axis, or the streamed split's ``n``.
    """
    return int(data.n) if _streamed(data) else int(next(iter(data.values())).shape[0])


def _parts(data, device: torch.device):
    """The events of ``data``: a resident set whole, a streamed one chunk by chunk (file order)."""
    if _streamed(data):
        yield from data.chunks(device)
    else:
        yield data


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast where the engine uses it (CUDA and ``bf16``), else a no-op context.

    Parameters
    ----------
    device : torch.device
        The device the forward pass runs on (its ``type`` is autocast's ``device_type``).
    bf16 : bool
        Enable bf16 autocast. The engine passes ``settings.bf16 and device.type == "cuda"``;
        this function does not check the device itself.

    Returns
    -------
    torch.autocast
        A context manager, disabled where ``bf16`` is false.
    """
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16)


def _forward(net: Callable, batch: Mapping[str, torch.Tensor], names, device, bf16: bool):
    with autocast(device, bf16):
        out = net(**{k: batch[k] for k in names})
    return out.float()


class Objective:
    """What one optimiser step minimises, when it is more than ``loss_fn`` of a training batch.

    The engine calls :meth:`start` once (after moving the net), :meth:`start_epoch` at every epoch
    start (after re-seeding, so draws made there are the same when resumed), :meth:`loss` per step
    with the source batch and the global step, and :meth:`epoch_metrics` once per epoch (extra
    history columns; the only host sync it may do). :meth:`identity` joins the checkpoint's
    identity, so a checkpoint of another objective is not resumed.

    An objective whose ``keep_last_epoch`` is true is trained for all ``settings.epochs`` (no
    early stopping) and the net keeps the last epoch's weights: for one whose schedule only ends
    with the run (DANN's adversarial weight ramps up to its final strength), the lowest validation
    loss of the source task is no criterion, as it favours the epochs before the adaptation
    acts; the validation loss is still written into the history.
    """

    keep_last_epoch: bool = False  # train every epoch and keep the last (see the class doc)

    def identity(self) -> dict:
        """What of the objective must match for a checkpoint to be resumed.

        Returns
        -------
        dict
            Plain values (numbers, strings, lists, dicts) describing the objective's settings;
            the base class: empty.
        """
        return {}

    def start(self, device: torch.device, bf16: bool, steps_per_epoch: int, epochs: int) -> None:
        """Called once by :func:`fit`, after the net was moved to ``device``, before any epoch.

        Parameters
        ----------
        device : torch.device
            The training device (move the objective's own tensors and modules there).
        bf16 : bool
            Whether the engine's forward passes use bf16 autocast (:func:`autocast`).
        steps_per_epoch : int
            Optimiser steps per epoch.
        epochs : int
            Maximum number of epochs (``settings.epochs``); with ``steps_per_epoch``, the
            length of the run (e.g. for a schedule of the adversarial weight).
        """

    def start_epoch(self, epoch: int, epoch_seed: int) -> None:
        """Called at every epoch start, after the engine re-seeded torch with ``epoch_seed``.

        Parameters
        ----------
        epoch : int
            The epoch about to run, 0-based.
        epoch_seed : int
            The epoch's seed (``rule_seed(settings.seed, "epoch", epoch)``): draws seeded from
            it are the same in a resumed run.
        """

    def loss(self, model: Callable, batch: Mapping[str, torch.Tensor], step: int) -> torch.Tensor:
        """The loss one optimiser step minimises; subclasses must implement it.

        Parameters
        ----------
        model : callable
            The net being trained (possibly ``torch.compile``d), called with its input tensors
            by keyword (``net.input_names``).
        batch : Mapping of str to torch.Tensor
            The training (source) batch on the device, each of shape (batch_size, ...).
        step : int
            The global optimiser step, ``epoch * steps_per_epoch + batch index``.

        Returns
        -------
        torch.Tensor
            A 0-d tensor with gradients to back-propagate.
        """
        raise NotImplementedError

    def epoch_metrics(self) -> dict:
        """Extra history columns of the epoch just trained (the one host sync allowed).

        Returns
        -------
        dict of str to float
            Column name to value; the base class: empty.
        """
        return {}


@torch.no_grad()
def evaluate(
    net: torch.nn.Module,
    data: Mapping[str, torch.Tensor],
    loss_fn: Callable,
    batch_size: int = 4096,
    bf16: bool = False,
    progress: str | None = None,
) -> tuple[float, float, torch.Tensor]:
    """Loss, ROC AUC of the gammaness head (NaN if absent or one class) and outputs on ``data``.

    Forward passes in batches without gradients, in eval mode (the net's mode is restored).
    With ``progress``, the pass logs the events done with the total (:class:`Progress`) at least
    every ``PROGRESS_EVERY_S`` seconds and once when it is done: a streamed validation set of
    667k events takes minutes.

    Parameters
    ----------
    net : torch.nn.Module
        A net of :mod:`iactdl.models.nets` (``input_names``, ``heads``).
    data : Mapping of str to torch.Tensor or StreamedSplit
        The net's inputs and the targets ``loss_fn`` reads, each with a leading event axis of
        length n_events, all on the net's device; or a
        :class:`~iactdl.fit.streaming.StreamedSplit`, read chunk by chunk to the net's device
        (only the outputs and the other columns, the targets, are gathered).
    loss_fn : callable
        ``loss(outputs, batch, heads) -> scalar``, evaluated once on all outputs (e.g.
        :func:`~iactdl.fit.losses.multitask_loss`); of a streamed ``data``, ``batch`` holds the
        targets alone (no inputs).
    batch_size : int, optional
        Events per forward pass; default 4096.
    bf16 : bool, optional
        bf16 autocast of the forward passes (:func:`autocast`); default False.
    progress : str, optional
        The prefix of the progress lines (``"epoch 3/10"``: ``epoch 3/10: validated 8192 / 667000
        events (1 %), 61 s, ...``); default None, no lines.

    Returns
    -------
    loss : float
        ``loss_fn`` on all events.
    auc : float
        ROC AUC of the gammaness output against ``is_gamma`` (NaN outputs count as 0); NaN
        without a gammaness head, without ``is_gamma`` or with one class only.
    outputs : torch.Tensor
        Raw outputs, float32, shape (n_events, len(net.heads)), on the device.
    """
    was_training = net.training
    net.eval()
    if _streamed(data):
        device = next(net.parameters()).device
    else:
        device = next(iter(data.values())).device
    names = net.input_names
    outs, targets = [], []
    total, done = split_size(data), 0
    # by time alone, not by tenths: a short pass at every epoch logs its one closing line
    lines = Progress(
        total, log, what=progress, verb="validated", every_fraction=None, every_s=PROGRESS_EVERY_S
    ) if progress is not None else None  # fmt: skip
    try:
        for part in _parts(data, device):
            n = next(iter(part.values())).shape[0]
            for i in range(0, n, batch_size):
                batch = {k: part[k][i : i + batch_size] for k in names}
                outs.append(_forward(net, batch, names, device, bf16))
                done += min(batch_size, n - i)
                if lines is not None and done < total:  # the last line once the loss is known
                    lines.update(done)
            # a streamed chunk's inputs are dropped here: its targets are a few numbers an event
            targets.append(part if not _streamed(data) else {
                k: v for k, v in part.items() if k not in names
            })  # fmt: skip
    finally:
        net.train(was_training)
    outputs = torch.cat(outs)
    if len(targets) == 1:
        data = targets[0]
    else:
        data = {k: torch.cat([t[k] for t in targets]) for k in targets[0]}
    loss = float(loss_fn(outputs, data, tuple(net.heads)))
    auc = math.nan
    if "gammaness" in net.heads and "is_gamma" in data:
        y = data["is_gamma"].cpu().numpy()
        if 0 < y.sum() < y.size:
            score = outputs[:, net.heads.index("gammaness")].cpu().numpy()
            auc = float(roc_auc_score(y, np.nan_to_num(score)))
    if lines is not None:  # after the loss's host sync: its time is the pass's on a GPU too
        log.info("%s", lines.line(done))
    return loss, auc, outputs


def _write_history(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else HISTORY_COLUMNS)
        w.writeheader()
        w.writerows(rows)


def fit(
    net: torch.nn.Module,
    train: Mapping[str, torch.Tensor],
    val: Mapping[str, torch.Tensor],
    settings: FitSettings,
    device: torch.device | str = "cpu",
    checkpoint_path: str | os.PathLike | None = None,
    history_path: str | os.PathLike | None = None,
    loss_fn: Callable | None = None,
    progress: bool = True,
    stop_after_epoch: int | None = None,
    objective: Objective | None = None,
) -> FitResult:
    """Train ``net`` in place on ``train``, validate on ``val`` each epoch; return the history.

    Parameters
    ----------
    net : torch.nn.Module
        A net of :mod:`iactdl.models.nets` (``input_names``, ``heads``), its scaling already fitted.
    train, val : Mapping of str to torch.Tensor
        Tensors with a leading event axis: the net's inputs and the targets its loss reads
        (``is_gamma`` float, ``log10_energy``, ``energy_weight``). Moved to ``device`` once.
        ``train`` may instead be a :class:`iactdl.fit.streaming.StreamedSplit`: its batches are
        read from disk in shuffled pools (the same number of batches per epoch); so may ``val``:
        it is then read chunk by chunk at every validation (:func:`evaluate`).
    settings : FitSettings
        Optimiser, schedule, epochs, batch sizes, early stopping, precision and seed.
    device : torch.device or str, optional
        Where the net and the data live during training; default ``"cpu"``.
    checkpoint_path : str or os.PathLike, optional
        Written after every epoch; if it exists and describes this very run, training resumes.
        An unreadable one is moved aside to ``*.unreadable`` and training starts afresh.
    history_path : str or os.PathLike, optional
        CSV of ``FitResult.history``, rewritten atomically after every epoch.
    loss_fn : callable, optional
        ``loss(outputs, batch, heads) -> scalar``; default :func:`multitask_loss` with
        ``settings.energy_weight``.
    progress : bool, optional
        Within each epoch, log the batches and events done (with the totals) at least every
        ``PROGRESS_EVERY_S`` seconds and when the last batch is done, and so the validation
        pass's events (:func:`evaluate`): plain lines for the rule's log, no progress bar. Every
        epoch logs its own line (losses, AUC, seconds) either way. Default True.
    stop_after_epoch : int, optional
        Return after this many epochs as if killed (for tests of resume): the net keeps its last
        weights, not the best ones.
    objective : Objective, optional
        Replaces ``loss_fn`` of a training batch as what a step minimises (see :class:`Objective`);
        validation and the choice of the best epoch still use ``loss_fn`` on ``val``.

    Returns
    -------
    FitResult
        The history and the best epoch; ``net`` holds the best epoch's weights.

    Raises
    ------
    ValueError
        If ``settings.batch_size`` is < 1 or larger than the training set, or ``val`` is empty.
    TrainingDiverged
        If the training or validation loss of an epoch is not finite.
    """
    s = settings
    device = torch.device(device)
    n, n_val = split_size(train), split_size(val)
    if s.batch_size < 1 or s.batch_size > n:
        raise ValueError(
            f"batch_size {s.batch_size} is larger than the training set ({n} events) or < 1; "
            f"use a batch size between 1 and {n}"
        )
    if n_val < 1:
        raise ValueError("the validation set is empty")
    if loss_fn is None:

        def loss_fn(outputs, batch, heads):
            return multitask_loss(
                outputs, batch, heads, s.energy_weight, direction_weight=s.direction_weight
            )

    torch.manual_seed(s.seed)
    if not _streamed(train):
        train = {k: v.to(device) for k, v in train.items()}
    if not _streamed(val):
        val = {k: v.to(device) for k, v in val.items()}
    net.to(device).train()
    cuda = device.type == "cuda"
    bf16 = bool(s.bf16 and cuda)
    model = torch.compile(net) if (s.compile and cuda) else net
    names, heads = net.input_names, tuple(net.heads)

    steps_per_epoch = n // s.batch_size
    opt = make_optimizer(s.optimizer, net.parameters(), s.lr, s.weight_decay, s.momentum)
    sched = make_schedule(
        opt, s.schedule, steps_per_epoch * s.epochs, steps_per_epoch,
        s.warmup_epochs, s.step_epochs, s.step_gamma,
    )  # fmt: skip
    identity = _identity(net, s, train, val, n, n_val)
    if objective is not None:
        identity["objective"] = objective.identity()
        objective.start(device, bf16, steps_per_epoch, s.epochs)
    result = FitResult()
    best_state = copy.deepcopy(net.state_dict())
    epochs_since_best = 0
    start = 0
    ckpt = Path(checkpoint_path) if checkpoint_path else None
    if ckpt is not None and ckpt.exists():
        fresh = (copy.deepcopy(net.state_dict()), opt.state_dict(), sched.state_dict(), rng_state())
        try:
            state = load_checkpoint(ckpt, map_location=device)
            if state.get("identity") == identity:
                net.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
                sched.load_state_dict(state["scheduler"])
                set_rng_state(state["rng"])
                best_state = state["best_model"]
                if set(best_state) != set(fresh[0]):
                    raise KeyError(
                        f"best_model has keys {sorted(best_state)[:3]}..., not the net's"
                    )
                result.history = list(state["history"])
                result.best_epoch = int(state["best_epoch"])
                result.best_val_loss = float(state["best_val_loss"])
                epochs_since_best = int(state["epochs_since_best"])
                start = result.resumed_from = int(state["epoch"])
                log.info("resuming from %s after epoch %d", ckpt, start)
            else:
                log.warning(
                    "%s describes another run (settings or data differ): starting afresh", ckpt
                )
        except (InputError, KeyError, TypeError, ValueError, RuntimeError) as err:
            # A damaged checkpoint must not fail every retry of the job: keep it for a look, start
            # afresh. The partly restored state goes back to the fresh one.
            aside = ckpt.with_name(ckpt.name + ".unreadable")
            os.replace(ckpt, aside)
            net.load_state_dict(fresh[0])
            opt.load_state_dict(fresh[1])
            sched.load_state_dict(fresh[2])
            set_rng_state(fresh[3])
            best_state, result = copy.deepcopy(fresh[0]), FitResult()
            epochs_since_best, start = 0, 0
            log.warning(
                "checkpoint %s cannot be resumed (%s: %s); moved aside to %s, training starts "
                "afresh (delete that file once you have looked at it)",
                ckpt, type(err).__name__, err, aside.name,
            )  # fmt: skip

    keep_last = bool(getattr(objective, "keep_last_epoch", False))
    for epoch in range(start, s.epochs):
        if s.patience and epochs_since_best >= s.patience and not keep_last:
            break
        if stop_after_epoch is not None and epoch >= stop_after_epoch:
            return result
        t0 = time.perf_counter()
        epoch_seed = rule_seed(s.seed, "epoch", str(epoch))
        torch.manual_seed(epoch_seed)  # dropout: same stream whether resumed or not
        gen = torch.Generator().manual_seed(epoch_seed)
        if objective is not None:
            objective.start_epoch(epoch, epoch_seed)
        if _streamed(train):
            batches = train.batches(epoch_seed, s.batch_size, device)
        else:
            perm = torch.randperm(n, generator=gen).to(device)
            batches = (
                {k: v[idx] for k, v in train.items()}
                for idx in perm[: steps_per_epoch * s.batch_size].split(s.batch_size)
            )
        total = torch.zeros((), device=device)
        lr = opt.param_groups[0]["lr"]
        # within a long epoch, a line with the batches done at least every minute (plain lines,
        # not a progress bar: the rule's log is a file), and one when the last batch is done (its
        # time is the loop's alone: validation follows before the epoch's own line)
        steps = Progress(
            steps_per_epoch, log, what=f"epoch {epoch + 1}/{s.epochs}", verb="trained",
            unit="batches", every_fraction=None, every_s=PROGRESS_EVERY_S,
        ) if progress else None  # fmt: skip
        for b, batch in enumerate(batches):
            if objective is None:
                loss = loss_fn(_forward(model, batch, names, device, bf16), batch, heads)
            else:
                loss = objective.loss(model, batch, epoch * steps_per_epoch + b)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if s.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), s.grad_clip)
            opt.step()
            sched.step()
            total += loss.detach()
            if steps is not None:  # the last batch too: its line says the epoch's loop is done
                done = (b + 1) * s.batch_size
                steps.update(b + 1, f"{done} / {steps_per_epoch * s.batch_size} events")
        if _streamed(train) and epoch + 1 < s.epochs:  # the next epoch's first read overlaps
            train.prepare(rule_seed(s.seed, "epoch", str(epoch + 1)))  # validation
        train_loss = float(total) / max(1, steps_per_epoch)  # the one host sync of the epoch
        result.train_seconds.append(time.perf_counter() - t0)
        result.samples_per_epoch = steps_per_epoch * s.batch_size
        if not math.isfinite(train_loss):
            raise TrainingDiverged(
                f"training loss is {train_loss} in epoch {epoch + 1}: the optimisation diverged. "
                f"Lower the learning rate (lr is {s.lr}; try {s.lr / 10:g}) or enable grad_clip. "
                + (f"The last good checkpoint (epoch {epoch}) is kept in {ckpt}." if ckpt else "")
            )
        val_loss, val_auc, _ = evaluate(
            model, val, loss_fn, s.eval_batch_size, bf16,
            progress=f"epoch {epoch + 1}/{s.epochs}" if progress else None,
        )  # fmt: skip
        if not math.isfinite(val_loss):
            raise TrainingDiverged(
                f"validation loss is {val_loss} in epoch {epoch + 1}; lower the learning rate "
                f"(lr is {s.lr}). The last good checkpoint (epoch {epoch}) is kept in {ckpt}."
            )
        if val_loss < result.best_val_loss or keep_last:
            result.best_val_loss, result.best_epoch = val_loss, epoch + 1
            best_state = copy.deepcopy(net.state_dict())
            epochs_since_best = 0
        else:
            epochs_since_best += 1
        row = dict(
            epoch=epoch + 1, train_loss=train_loss, val_loss=val_loss, val_auc=val_auc, lr=lr,
            seconds=round(time.perf_counter() - t0, 3),
        )  # fmt: skip
        if objective is not None:
            row.update(objective.epoch_metrics())
        result.history.append(row)
        log.info(
            "epoch %d/%d: train loss %.4f, val loss %.4f, val AUC %.4f, lr %.2e, %.1f s",
            epoch + 1, s.epochs, train_loss, val_loss, val_auc, lr, row["seconds"],
        )  # fmt: skip
        if history_path is not None:
            _write_history(Path(history_path), result.history)
        if ckpt is not None:
            save_checkpoint(
                ckpt,
                dict(
                    identity=identity, epoch=epoch + 1, model=net.state_dict(),
                    optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                    best_val_loss=result.best_val_loss, best_epoch=result.best_epoch,
                    best_model=best_state, epochs_since_best=epochs_since_best,
                    history=result.history, rng=rng_state(), seed=s.seed,
                    settings=dataclasses.asdict(s), iactdl_version=__version__,
                ),
            )  # fmt: skip
    if _streamed(train):
        train.close()  # a next epoch's read started before early stopping
    net.load_state_dict(best_state)
    if history_path is not None:
        _write_history(Path(history_path), result.history)
    return result
