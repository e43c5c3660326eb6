"""Experiment 1, capacity and double descent: one point of the sweep over the width of an MLP.

A small training set is drawn from the simulated training split and a known fraction of its labels
is flipped (label noise). MLPs of growing width are trained on it to (near) zero training error:
full-batch (or large-batch) Adam, no early stopping, no weight decay, no dropout, and the final
weights are those of the last epoch. The loss is the squared loss on labels +-1 by default, as in
Belkin et al.: with cross-entropy an interpolating net keeps growing its logits on the flipped
labels, and the descent beyond the peak came out half as deep (a probe on the default simulation,
1000 events, 20 % flipped, 3000 full-batch Adam steps: test error 0.36 at the peak and 0.33 at 1024
units with cross-entropy, 0.40 and 0.34 with the squared loss). Test error on the clean test
split then traces the classical U-curve while the net is smaller than the training set, a peak
where it just interpolates the noisy labels (parameters ~ training events: the interpolation
threshold) and a second descent beyond it (Belkin et al. 2019, PNAS 116, 15849; Nakkiran et al.
2019, arXiv:1912.02292, who show that label noise makes the peak pronounced). The errors are
recorded at log-spaced epochs as well, for the epoch-wise view of the same sweep.

Every width of one repetition sees the same training events and the same flipped labels (the draw
is seeded by the repetition alone), so the curve over widths is a curve over capacity only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from iactdl.experiments.defaults import CAPACITY_DEFAULTS
from iactdl.experiments.training import write_json
from iactdl.fit.optim import make_optimizer
from iactdl.fit.train import choose_device
from iactdl.io import InputError, n_events, read_columns
from iactdl.metrics import roc_auc
from iactdl.models.nets import MLP, MLPSettings
from iactdl.provenance import rule_seed

__all__ = [
    "CapacitySettings",
    "LOSSES",
    "training_loss",
    "noisy_subset",
    "record_epochs",
    "capacity_point",
]

log = logging.getLogger(__name__)


@dataclass
class CapacitySettings:
    """One point of the sweep: the section's shared keys (defaults: CAPACITY_DEFAULTS), its depth,
    width and seed.

    Parameters
    ----------
    features : sequence of str
        Feature columns the MLP reads (they must hold no NaN after the quality cuts).
    n_train : int
        Training events drawn from the training split (the interpolation threshold sits where
        the parameters reach about this number).
    label_noise : float
        Fraction of the training labels flipped, in [0, 0.5).
    epochs : int
        Passes over the training set; the final weights are the last epoch's.
    batch_size : int
        Events per step; 0 = the full training set (gradient descent).
    optimizer : str
        Optimiser name of :func:`iactdl.fit.optim.make_optimizer` (weight decay 0).
    lr : float
        Learning rate.
    loss : {"squared", "cross_entropy"}
        The training loss (:func:`training_loss`).
    activation : str
        Hidden activation of the MLP (``relu`` or ``gelu``).
    n_test : int
        Events of the test split scored (a seeded subset); 0 = all.
    n_records : int
        Number of log-spaced epochs at which errors are recorded (:func:`record_epochs`).
    depth : int
        Hidden layers, all of width ``width``.
    width : int
        Hidden units per layer.
    seed : int
        The repetition; it seeds the training draw and label flips (shared by every width), the
        test subset, the initialisation and the batches.
    """

    features: Sequence[str] = ()  # feature columns of the MLP (no NaN after quality cuts)
    n_train: int = CAPACITY_DEFAULTS["n_train"]  # the interpolation threshold sits near it
    label_noise: float = CAPACITY_DEFAULTS["label_noise"]  # flipped (Nakkiran et al.: 10-20 %)
    epochs: int = CAPACITY_DEFAULTS["epochs"]  # passes over the training set: long enough to fit
    batch_size: int = CAPACITY_DEFAULTS["batch_size"]  # 0 = full batch (gradient descent)
    optimizer: str = CAPACITY_DEFAULTS["optimizer"]  # no weight decay: it would hide the peak
    lr: float = CAPACITY_DEFAULTS["lr"]
    loss: str = CAPACITY_DEFAULTS["loss"]  # squared (labels +-1, Belkin et al.) | cross_entropy
    activation: str = CAPACITY_DEFAULTS["activation"]  # relu | gelu (the nets' own)
    n_test: int = CAPACITY_DEFAULTS["n_test"]  # seeded subset of the test split; 0 = all
    n_records: int = CAPACITY_DEFAULTS["n_records"]  # log-spaced epochs with recorded errors
    depth: int = 1  # hidden layers, all of the same width
    width: int = 1  # hidden units per layer
    seed: int = 0


def noisy_subset(
    labels: np.ndarray, n: int, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted rows of ``n`` events and a mask of exactly ``round(noise * n)`` flipped labels.

    Parameters
    ----------
    labels : numpy.ndarray
        The training split's labels, shape (n_events,) (only its length is used).
    n : int
        Events to draw without replacement, 1 <= n <= n_events.
    noise : float
        Fraction of the drawn labels to flip, in [0, 0.5).
    seed : int
        Seed of the draw (numpy's ``default_rng``): the rows first, then the flipped events.

    Returns
    -------
    rows : numpy.ndarray
        Int, shape (n,): sorted rows into ``labels``.
    flip : numpy.ndarray
        Bool, shape (n,): which of the drawn events get the flipped label.

    Raises
    ------
    ValueError
        ``n`` or ``noise`` out of range.
    """
    if not 0 < n <= len(labels):
        raise ValueError(f"n_train {n} must be between 1 and the {len(labels)} training events")
    if not 0 <= noise < 0.5:
        raise ValueError(f"label_noise {noise} must be in [0, 0.5)")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(labels), size=n, replace=False))
    flip = np.zeros(n, dtype=bool)
    flip[rng.choice(n, size=int(round(noise * n)), replace=False)] = True
    return rows, flip


def record_epochs(epochs: int, n_records: int) -> list[int]:
    """Log-spaced epochs 1..epochs (unique, always including the last).

    Parameters
    ----------
    epochs : int
        The last epoch (>= 1).
    n_records : int
        Number of log-spaced points (at least 2); rounding to whole epochs merges some of them.

    Returns
    -------
    list of int
        Sorted epochs, from 1 to ``epochs``.
    """
    return sorted({int(e) for e in np.geomspace(1, epochs, max(2, n_records)).round()} | {epochs})


LOSSES = ("squared", "cross_entropy")


def training_loss(kind: str, output: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """The loss the sweep minimises; its decision is ``output > 0`` for both kinds.

    ``squared``: mean of (output - t)^2 with t = 2 label - 1 (+-1), the loss of Belkin et al.
    ``cross_entropy``: binary cross-entropy with ``output`` as the logit.

    Parameters
    ----------
    kind : {"squared", "cross_entropy"}
        The loss (:data:`LOSSES`).
    output : torch.Tensor
        The net's output per event, shape (n_events,).
    label : torch.Tensor
        Float labels per event, 1 gamma and 0 hadron, shape (n_events,).

    Returns
    -------
    torch.Tensor
        The mean loss over the events (a scalar).

    Raises
    ------
    ValueError
        An unknown ``kind``.
    """
    if kind == "squared":
        return torch.mean((output - (2.0 * label - 1.0)) ** 2)
    if kind == "cross_entropy":
        return F.binary_cross_entropy_with_logits(output, label)
    raise ValueError(f"experiments.capacity.loss {kind!r}: expected one of {', '.join(LOSSES)}")


def _errors(net, x, y_clean, loss: str, y_train=None) -> dict:
    with torch.no_grad():
        logit = net(x)[:, 0].float().cpu()
    pred = (logit > 0).numpy()
    out = {
        "error": float(np.mean(pred != y_clean.astype(bool))),
        "auc": roc_auc(y_clean, logit.numpy()),
        "loss": float(training_loss(loss, logit, torch.from_numpy(y_clean))),
    }
    if y_train is not None:  # the error on the labels the net was trained on (noisy)
        out["error_noisy"] = float(np.mean(pred != y_train.astype(bool)))
    return out


def capacity_point(
    train_path: str | os.PathLike,
    test_path: str | os.PathLike,
    settings: Mapping,
    output: str | os.PathLike,
    threads: int = 1,
    gpus: int = 0,
) -> dict:
    """Train one width of the sweep and write its errors (final and per recorded epoch) as JSON.

    Parameters
    ----------
    train_path, test_path : path
        The simulated training and test splits (the features and ``is_gamma``).
    settings : mapping
        Keys of :class:`CapacitySettings` (the section's keys with one depth, width and seed).
    output : path
        Where the result is written (JSON, atomically).
    threads : int
        Torch's CPU threads.
    gpus : int
        The GPUs the job was given (the rule's ``resources.gpu``); they decide the device
        (:func:`iactdl.fit.train.choose_device`: 0 = the CPU).

    Returns
    -------
    dict
        ``settings``, ``n_params`` (trainable parameters), ``n_test``, ``seconds`` (training
        time, s), ``history`` (per recorded epoch: ``epoch``, ``train_error``,
        ``train_error_noisy`` (on the flipped labels), ``train_auc``, ``train_loss``,
        ``test_error``, ``test_auc``, ``test_loss``; errors at ``output > 0``) and ``final``
        (the last epoch's row).

    Raises
    ------
    ValueError
        No features, an unknown loss, or ``n_train``/``label_noise`` out of range.
    iactdl.io.InputError
        NaN or inf in the features.
    """
    s = CapacitySettings(**dict(settings))
    if not s.features:
        raise ValueError("experiments.capacity.features: give the feature columns of the MLP")
    training_loss(s.loss, torch.zeros(1), torch.zeros(1))  # refuses an unknown loss before reading
    torch.set_num_threads(max(1, int(threads)))
    cols = [*s.features, "is_gamma"]
    labels = np.asarray(read_columns(train_path, ["is_gamma"])["is_gamma"])
    rows, flip = noisy_subset(labels, s.n_train, s.label_noise, rule_seed(s.seed, "draw"))
    train = read_columns(train_path, cols, index=rows)
    n_test = n_events(test_path)
    test_rows = None
    if s.n_test and s.n_test < n_test:
        rng = np.random.default_rng(rule_seed(s.seed, "test"))
        test_rows = np.sort(rng.choice(n_test, size=s.n_test, replace=False))
    test = read_columns(test_path, cols, index=test_rows)
    x = torch.from_numpy(np.stack([train[c] for c in s.features], 1).astype(np.float32))
    x_test = torch.from_numpy(np.stack([test[c] for c in s.features], 1).astype(np.float32))
    if not (torch.isfinite(x).all() and torch.isfinite(x_test).all()):
        raise InputError(
            f"{train_path} / {test_path}: NaN or inf in the capacity features {list(s.features)}; "
            "the experiment needs complete features (datasets.quality_cuts drop failed cleaning)"
        )
    y_clean = np.asarray(train["is_gamma"], dtype=np.float32)
    y_noisy = np.where(flip, 1 - y_clean, y_clean).astype(np.float32)
    y_test = np.asarray(test["is_gamma"], dtype=np.float32)
    target = torch.from_numpy(y_noisy)

    torch.manual_seed(rule_seed(s.seed, "init", str(s.depth), str(s.width)))
    net = MLP(
        MLPSettings(
            hidden=(s.width,) * s.depth,
            dropout=0.0,
            missing_indicators=False,
            activation=s.activation,
        ),
        n_outputs=1,
        n_features=len(s.features),
    )
    net.fit_scaling(x)
    device = choose_device(int(gpus))
    net.to(device)
    x, x_test, target = x.to(device), x_test.to(device), target.to(device)
    n_params = sum(p.numel() for p in net.parameters())
    opt = make_optimizer(s.optimizer, net.parameters(), s.lr, weight_decay=0.0)
    batch = s.batch_size or s.n_train
    gen = torch.Generator().manual_seed(rule_seed(s.seed, "batches"))
    records = set(record_epochs(s.epochs, s.n_records))
    history = []
    t0 = time.perf_counter()
    net.train()
    for epoch in range(1, s.epochs + 1):
        perm = torch.randperm(s.n_train, generator=gen) if batch < s.n_train else None
        for i in range(0, s.n_train, batch):
            idx = perm[i : i + batch].to(device) if perm is not None else slice(None)
            loss = training_loss(s.loss, net(x[idx])[:, 0], target[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if epoch in records:
            row = {"epoch": epoch}
            row.update(
                {f"train_{k}": v for k, v in _errors(net, x, y_clean, s.loss, y_noisy).items()}
            )
            row.update({f"test_{k}": v for k, v in _errors(net, x_test, y_test, s.loss).items()})
            history.append(row)
    seconds = time.perf_counter() - t0
    final = history[-1]
    log.info(
        "depth %d width %d (%d parameters, %d events, %.0f %% flipped): train error %.3f "
        "(noisy labels), test error %.3f, test AUC %.3f, %.1f s",
        s.depth,
        s.width,
        n_params,
        s.n_train,
        100 * s.label_noise,
        final["train_error_noisy"],
        final["test_error"],
        final["test_auc"],
        seconds,
    )
    result = {
        "settings": asdict(s),
        "n_params": int(n_params),
        "n_test": int(len(y_test)),
        "seconds": seconds,
        "final": final,
        "history": history,
    }
    write_json(output, result)
    return result
