"""Joint training: the simulated events' labels and the observation's ON/OFF labels in one model.

Simulation-trained models ignore the observation's labels, ON/OFF-trained ones ignore the
simulation. A model entry with a ``joint`` section learns from both::

    bdt_joint:
      kind: baseline            # or a net entry
      task: separation
      estimator: hist_gradient_boosting
      features: *image_parameters
      joint: {weight: 1.0}      # w, the weight of the ON/OFF events' loss (default 1)

It belongs to stage 6 because its observed half is stage 6's ON/OFF loss: the labels and their
noise (:func:`~iactdl.labelnoise.correction.onoff_labels`, ``alpha`` from ``n_off_regions``), the
Menon link and the refusal of source-dependent inputs; it needs nothing of stage 5.

Nets (:func:`train_joint_net`). One net ``f`` (a shared encoder and gammaness head) whose logit on
a simulated event is the posterior under the simulated class balance. A step minimises

    L = BCE(f(x_sim), y_sim)  +  w * BCE(eta_noisy(x_obs), s_obs),
    eta_noisy = rho_minus + (1 - rho_minus - rho_plus) sigmoid(f(x_obs) + delta),

the simulated events' cross-entropy plus ``w`` times the cross-entropy of the ON/OFF labels ``s``
(ON = 1) against the ON probability the clean posterior implies under class-conditional noise
(Menon et al. 2015, eq. 4, with ``rho_minus = alpha / (1 + alpha)`` and ``rho_plus`` the signal
leak measured on the simulated point-like gammas, :mod:`iactdl.labelnoise.leak`, 0 without that
file: the "forward" form of the correction, Patrini et al. 2017, CVPR). ``delta`` is a learned
scalar, the log-odds shift between the simulated and the observed gamma fraction (label shift;
started at ``logit(q) - logit(p)``, ``q`` the ON - alpha OFF excess fraction of observed_train,
``p`` the simulated one): without it the simulated and the ON/OFF term would pull the one head to
two priors. With no observed events ``L`` is the plain loss, with no simulated ones the ON/OFF loss
(:func:`joint_loss`; ``tests/test_joint.py``). The epoch is chosen on the same loss over simulated
val and observed_val's ON/OFF events (no truth). The saved net is ``f``: its gammaness is the
posterior under the simulated balance (``delta`` is recorded in ``model.json``); rankings, ROC AUC
and cuts chosen on observed_val do not depend on it.

``w`` is not chosen by a Li & Ma scan on observed_val (stage 5's ``select_lambda``): the default,
1, weighs one simulated and one observed event's cross-entropy alike (both terms are means over
their batches), the simplest choice; a scan is future work and would cost one training per grid
value.

Boosted trees (:func:`fit_joint_baseline`): one fit across the two domains, sample weights as
the nets' loss. The rows are simulated train's events with their labels and observed_train's ON/OFF
events with theirs (ON = 1), a column :data:`DOMAIN` (0 simulated, 1 observed) appended, weighted
by :func:`domain_weights` so that the fit minimises ``mean_sim + w x mean_obs`` (``w`` the section's
``weight``). Where the trees do not split on the domain a leaf learns from both domains' events
(the simulation's clean labels shape the ranking, the ON/OFF events move it towards the observed
hadrons and the ON excess); where they split, each domain keeps its own prior (the simulated
balance against the ON fraction). Read with the domain column at 1 the model gives ``P(ON | x)``,
Menon-corrected like every ON/OFF baseline (:func:`~iactdl.labelnoise.baselines.correction_record`,
from out-of-fold predictions: each fold's fit sees every simulated event and the other folds'
ON/OFF events); read at 0, the simulated posterior (``gammaness_simulated``). The fit's
hyper-parameters are ``joint.source_params`` where given, else ``params``: most rows carry clean
labels, and small leaves rank the top events where large ones tie them.

Why not the stacking this module did first (the simulated model's logit a feature of a second
estimator fitted on the ON/OFF labels): the second stage learns from the ~5k ON/OFF events alone,
with the large leaves noisy labels need, and its output is piecewise constant; on the default run
4,056 of observed_test's events shared its top score (a straight ROC segment from hadron efficiency
1e-5 to 0.08) and its AUC fell from the simulated model's 0.879 to 0.840. Measured on that run's
datasets (``benchmarks/joint_trees.py``, 3 seeds), the one fit loses less AUC (0.861 at w 0.37,
against 0.878 for the simulated model and 0.843 stacked) and gains Li & Ma significance at
observed_val's cut (6.1 against 5.5, ON/OFF-only 5.7). No design tried (stacking,
with a monotone or a logistic second stage, a recalibration, OFF events as extra hadrons, a
forward-corrected soft-label fit) beats the simulated model's AUC: the ~270 excess gammas among
1,040 ON events carry less than the simulated labels. Continuing the simulated model's boosting
on the ON/OFF labels (from Platt's map of its logit; the benchmark's ``finetune``, one seed) stays
within the error: 0.884 +- 0.009 at the 10 trees observed_val's Li & Ma picks, 0.847 at the 50 its
ON/OFF loss picks. The bound is the events, not their noise: with their true classes the same
4,907 ON/OFF events give 0.829 alone, and fine-tuning on them does not pass the simulated model's
0.879 (0.878 at 10 trees, 0.839 at 200). Two thirds of observed_test's gammas (158 of 238) lie
outside the ON/OFF regions, and those inside are not a random sample (brighter and more elongated:
median log_size 5.21 against 4.78 outside, width/length 0.48 against 0.53): the ON/OFF events
teach the ranking of the gammas whose direction lands in the ON region, while the all-event AUC
and the oracle (trained on the truth of all 157,810 observed_train events) count the others too.
Why not the nets' joint loss for trees: continuing the simulated model's boosting by Newton steps on
the simulated cross-entropy plus Menon's forward-linked ON/OFF cross-entropy (one clean logit, no
domain column, w 1; the benchmark's ``menon_finetune``, ``--seeds 0 1 2 --stages 0 10 25 50 100 200
300 400 600 --only domains,menon_finetune`` on the a8b1b61 default run, extra trees chosen by
observed_val's Li & Ma: 300-400, inside the grid) ranks better but cuts no better: observed_test
AUC 0.885 / 0.883 / 0.886 against this design's 0.858 / 0.863 / 0.861 (the simulated model's 0.879 /
0.877 / 0.879), Li & Ma 6.13 / 4.81 / 6.08 against 6.14 / 5.87 / 6.16 (bootstrap errors +-0.01 AUC,
+-1.0 Li & Ma). The rule set before the run (AUC above this design's by more than the seed spread in
every seed, Li & Ma not below) fails on the Li & Ma, so this design stays.
Why not the unbiased
loss's weights (Natarajan et al. 2013, Menon's): with ``rho_plus = 0`` an OFF event's is
``(1 + alpha) l(t, 0) - alpha l(t, 1)``, a negative weight; in a leaf where OFF events outnumber
ON / alpha the leaf's loss has no minimum and boosting diverges. No observed truth is read, and
``w`` is the entry's (not scanned; the benchmark reports the Li & Ma on observed_val per ``w``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.ensemble._forest import BaseForest
from threadpoolctl import threadpool_limits
from torch import nn

from iactdl.evaluate.theta2 import NO_REGION
from iactdl.fit.engine import Objective, _fingerprint, autocast
from iactdl.fit.losses import multitask_loss
from iactdl.fit.train import load_split, train_net
from iactdl.io import InputError, column_names, data_attrs, read_columns
from iactdl.labelnoise.baselines import (
    LABELNOISE_DEFAULTS,
    OnOffModel,
    correction_record,
)
from iactdl.labelnoise.baselines import TRUSTED_TYPES as ONOFF_TRUSTED_TYPES
from iactdl.labelnoise.correction import (
    MenonCorrection,
    alpha_from_attrs,
    check_source_independent,
    onoff_labels,
)
from iactdl.labelnoise.leak import read_signal_leak
from iactdl.labelnoise.nets import onoff_targets
from iactdl.models.baselines import (
    baseline_record,
    build_baseline,
    fit_estimator,
    load_baseline,
    save_baseline,
    summarise_cv,
    training_data,
)
from iactdl.models.baselines.model import forest_mean_prediction
from iactdl.models.nets import NETS

__all__ = [
    "JOINT_DEFAULTS",
    "JointModel",
    "JointObjective",
    "JointNet",
    "domain_weights",
    "fit_joint_baseline",
    "joint_loss",
    "joint_settings",
    "load_joint_baseline",
    "onoff_loss",
    "train_joint_net",
]

log = logging.getLogger(__name__)

# the `joint` section of a model entry; every key optional
JOINT_DEFAULTS = {
    "weight": 1.0,  # w, the ON/OFF loss's weight beside the simulated one (means per domain)
    "onoff_batch_fraction": 0.5,  # nets: observed ON/OFF events per step, a fraction of batch_size
    # baselines: the joint fit's estimator hyper-parameters where given (null: the entry's
    # `params`); named for the simulated stage of the stacked design, whose `params` were the
    # ON/OFF stage's
    "source_params": None,
}
# w beyond this makes the simulated labels noise next to the ON/OFF term: an entry that wants
# that is an ON/OFF model (a `labelnoise` section)
MAX_WEIGHT = 100.0
SELECTION = (
    "epoch with the lowest joint loss on simulated val + w x observed_val's ON/OFF events "
    "(Menon-linked cross-entropy; no observed truth); w the entry's (default 1, not scanned)"
)


def joint_settings(name: str, entry: Mapping) -> dict:
    """The entry's ``joint`` section over :data:`JOINT_DEFAULTS`, checked with the entry.

    Parameters
    ----------
    name : str
        The model, named in errors.
    entry : Mapping
        Its entry of ``config.yaml: models``.

    Returns
    -------
    dict
        Every setting of the section.

    Raises
    ------
    ValueError
        Naming ``config models.{name}...``: not a mapping, an unknown key, a weight outside
        (0, 100], another stage's section beside it, a task or kind it cannot train, or a
        source-dependent or truth input (its ON/OFF half would learn the region, not the class).
    """
    where = f"config models.{name}.joint"
    section = entry.get("joint")
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: expected a mapping (may be empty), got {section!r}")
    unknown = sorted(set(section) - set(JOINT_DEFAULTS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid: {sorted(JOINT_DEFAULTS)}")
    out = {**JOINT_DEFAULTS, **dict(section)}
    w = out["weight"]
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= MAX_WEIGHT:
        raise ValueError(
            f"{where}.weight: {w!r}; expected a number in (0, {MAX_WEIGHT:g}] (the ON/OFF loss's "
            "weight beside the simulated one; 0 is a plain model, more is an ON/OFF model)"
        )
    f = out["onoff_batch_fraction"]
    if isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f <= 4:
        raise ValueError(f"{where}.onoff_batch_fraction: {f!r}; expected a number in (0, 4]")
    sp = out["source_params"]
    if sp is not None:
        if entry.get("kind") != "baseline" or not isinstance(sp, Mapping):
            raise ValueError(
                f"{where}.source_params: {sp!r}; a mapping of estimator hyper-parameters, for a "
                "baseline only (null: the entry's params)"
            )
        from iactdl.models.baselines import validate_baseline_entry

        validate_baseline_entry(f"{name}.joint.source_params", source_entry(entry))
    for other in ("adapt", "labelnoise"):
        if entry.get(other) is not None:
            raise ValueError(f"config models.{name}: either `joint` or `{other}`, not both")
    if entry.get("task") != "separation":
        raise ValueError(f"config models.{name}.task: joint training is for task separation only")
    if entry.get("kind") not in ("baseline", "net"):
        raise ValueError(
            f"config models.{name}.kind: {entry.get('kind')!r}; joint training takes a baseline "
            "(rule train_joint) or a net (rule train_joint_net)"
        )
    if entry.get("kind") == "net" and entry.get("energy_head"):
        raise ValueError(
            f"config models.{name}.energy_head: true, but the ON/OFF events carry no energy; set "
            "energy_head: false"
        )
    check_source_independent(
        list(entry.get("features", [])) + list(entry.get("derived_features", [])),
        f"config models.{name} (joint: its ON/OFF half reads the same inputs)",
    )
    return out


def base_entry(entry: Mapping) -> dict:
    """The entry without its ``joint`` section: what builds the estimator or net (and the oracle).

    Parameters
    ----------
    entry : Mapping
        A model entry.

    Returns
    -------
    dict
        A copy without the key ``joint``.
    """
    return {k: v for k, v in entry.items() if k != "joint"}


def source_entry(entry: Mapping) -> dict:
    """The simulated stage's entry of a joint baseline: the base entry with ``source_params``.

    Parameters
    ----------
    entry : Mapping
        A joint baseline entry.

    Returns
    -------
    dict
        The base entry, its ``params`` replaced where the section gives ``source_params``.
    """
    base = base_entry(entry)
    sp = (entry.get("joint") or {}).get("source_params")
    return base if sp is None else {**base, "params": dict(sp)}


# ---- the nets' loss ----


def _noisy_log_probs(logit: torch.Tensor, rho_minus: float, delta, rho_plus: float = 0.0) -> tuple:
    """``log eta_noisy`` and ``log(1 - eta_noisy)`` for ``eta = sigmoid(logit + delta)``, in log
    space: ``eta_noisy`` is ``rho_minus`` for a sure hadron, where a sigmoid would round. With a
    signal leak ``eta_noisy = rho_minus (1 - eta) + (1 - rho_plus) eta``."""
    g = logit + delta
    if rho_plus == 0:  # the form without a leak, as it always was
        log_on = torch.logaddexp(
            torch.full_like(g, math.log(rho_minus)), math.log1p(-rho_minus) + F.logsigmoid(g)
        )
        log_off = math.log1p(-rho_minus) + F.logsigmoid(-g)
        return log_on, log_off
    log_on = torch.logaddexp(
        math.log(rho_minus) + F.logsigmoid(-g), math.log1p(-rho_plus) + F.logsigmoid(g)
    )
    log_off = torch.logaddexp(
        math.log1p(-rho_minus) + F.logsigmoid(-g), math.log(rho_plus) + F.logsigmoid(g)
    )
    return log_on, log_off


def noisy_logit(
    logit: torch.Tensor, rho_minus: float, delta=0.0, rho_plus: float = 0.0
) -> torch.Tensor:
    """The logit of ``P(ON | x)`` that the clean logit implies (Menon et al. 2015, eq. 4).

    Parameters
    ----------
    logit : torch.Tensor
        The net's gammaness logit ``f(x)`` (simulated balance).
    rho_minus : float
        ``P(ON | hadron) = alpha / (1 + alpha)``, in (0, 1).
    delta : float or torch.Tensor
        The log-odds shift from the simulated to the observed gamma fraction.
    rho_plus : float
        ``P(OFF | gamma)``, the simulated signal leak (:mod:`iactdl.labelnoise.leak`); default 0.

    Returns
    -------
    torch.Tensor
        ``log eta_noisy - log(1 - eta_noisy)``, per event.
    """
    log_on, log_off = _noisy_log_probs(logit, rho_minus, delta, rho_plus)
    return log_on - log_off


def onoff_loss(
    logit: torch.Tensor, s: torch.Tensor, rho_minus: float, delta=0.0, rho_plus: float = 0.0
) -> torch.Tensor:
    """Mean cross-entropy of ON/OFF labels ``s`` against the ON probability of the clean logit.

    Parameters
    ----------
    logit : torch.Tensor
        The net's gammaness logit on observed events.
    s : torch.Tensor
        Their ON/OFF labels (1 ON, 0 OFF), float.
    rho_minus : float
        ``alpha / (1 + alpha)``.
    delta : float or torch.Tensor
        The prior's log-odds shift (:func:`noisy_logit`).
    rho_plus : float
        ``P(OFF | gamma)`` (:func:`noisy_logit`); default 0.

    Returns
    -------
    torch.Tensor
        The scalar mean; 0 for no events.
    """
    if logit.numel() == 0:
        return logit.new_zeros(())
    log_on, log_off = _noisy_log_probs(logit, rho_minus, delta, rho_plus)
    return -(s * log_on + (1 - s) * log_off).mean()


def joint_loss(
    source_logit: torch.Tensor,
    is_gamma: torch.Tensor,
    observed_logit: torch.Tensor,
    s: torch.Tensor,
    rho_minus: float,
    weight: float = 1.0,
    delta=0.0,
    rho_plus: float = 0.0,
) -> torch.Tensor:
    """``BCE(source) + weight x onoff_loss(observed)``: the joint nets' loss (module doc).

    Each term is a mean over its own events and absent (0) without them: with no observed events
    it is the plain cross-entropy, with no simulated ones ``weight`` times the ON/OFF loss.

    Parameters
    ----------
    source_logit, is_gamma : torch.Tensor
        The simulated events' logits and labels (float 0/1).
    observed_logit, s : torch.Tensor
        The observed ON/OFF events' logits and labels (1 ON).
    rho_minus : float
        ``alpha / (1 + alpha)``.
    weight : float
        ``w``.
    delta : float or torch.Tensor
        The prior's log-odds shift.
    rho_plus : float
        ``P(OFF | gamma)`` (:func:`noisy_logit`); default 0.

    Returns
    -------
    torch.Tensor
        The scalar loss.
    """
    plain = (
        F.binary_cross_entropy_with_logits(source_logit, is_gamma)
        if source_logit.numel()
        else source_logit.new_zeros(())
    )
    return plain + weight * onoff_loss(observed_logit, s, rho_minus, delta, rho_plus)


def domain_weights(n_source: int, n_observed: int, weight: float, where: str = "joint") -> tuple:
    """Per-row weights of a concatenated (simulated, observed) set whose weighted mean loss is
    ``mean_source + weight x mean_observed`` (the engine's weighted BCE, ``sample_weight``).

    Parameters
    ----------
    n_source, n_observed : int
        Rows of each domain.
    weight : float
        ``w``.
    where : str
        Named in errors.

    Returns
    -------
    tuple of numpy.ndarray
        The simulated rows' and the observed rows' weights (float32).

    Raises
    ------
    ValueError
        An empty domain, or weights whose sums are not ``N`` and ``weight x N`` (``N`` all rows):
        the numbers are in the message.
    """
    if n_source < 1 or n_observed < 1:
        raise ValueError(
            f"{where}: {n_source} simulated and {n_observed} observed ON/OFF events; the joint "
            "loss needs both"
        )
    if not (math.isfinite(weight) and weight > 0):
        raise ValueError(f"{where}: weight {weight!r}; expected a finite number > 0")
    n = n_source + n_observed
    w_s = np.full(n_source, n / n_source, dtype=np.float32)
    w_o = np.full(n_observed, weight * n / n_observed, dtype=np.float32)
    sums = (float(w_s.sum(dtype=np.float64)), float(w_o.sum(dtype=np.float64)))
    if not (
        math.isclose(sums[0], n, rel_tol=1e-4) and math.isclose(sums[1], weight * n, rel_tol=1e-4)
    ):
        raise ValueError(
            f"{where}: domain weights sum to {sums[0]:.6g} (simulated) and {sums[1]:.6g} "
            f"(observed), expected {n} and {weight * n:.6g} (weight {weight} x {n} rows): float32 "
            "cannot hold them; fewer events or a weight nearer 1"
        )
    return w_s, w_o


def _concat_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a`` and ``b`` along the events; a narrower pixel axis (dim 1 of a pixel set and its
    mask) padded with zero rows, which the set nets mask out (stage 5 has its own copy: the
    stages import neither the other)."""
    if a.ndim > 1 and a.shape[1] != b.shape[1]:
        width = max(a.shape[1], b.shape[1])
        a, b = (F.pad(x, (0, 0) * (x.ndim - 2) + (0, width - x.shape[1])) for x in (a, b))
    return torch.cat([a, b])


class JointNet(nn.Module):
    """A net and the learned prior shift ``delta``; the engine trains and validates this wrapper.

    ``forward`` with a ``domain`` column (0 simulated, 1 observed; validation) returns for the
    observed rows the ON logit (:func:`noisy_logit`), so the engine's weighted BCE on the
    concatenated validation set is the joint loss. The saved model is ``self.net`` alone.

    Parameters
    ----------
    net : torch.nn.Module
        A net of :mod:`iactdl.models.nets` with a gammaness head.
    rho_minus : float
        ``alpha / (1 + alpha)``.
    delta0 : float
        The initial prior shift.
    rho_plus : float
        ``P(OFF | gamma)``, the simulated signal leak; default 0.
    """

    def __init__(
        self, net: nn.Module, rho_minus: float, delta0: float = 0.0, rho_plus: float = 0.0
    ):
        super().__init__()
        self.net = net
        self.rho_minus = float(rho_minus)
        self.rho_plus = float(rho_plus)
        self.delta = nn.Parameter(torch.tensor(float(delta0)))
        self.input_names = (*net.input_names, "domain")
        self.heads = tuple(net.heads)
        self.settings = net.settings
        self.net_name = getattr(net, "net_name", type(net).__name__)
        self.column = self.heads.index("gammaness")

    def forward(self, domain: torch.Tensor | None = None, **named: torch.Tensor) -> torch.Tensor:
        """The net's outputs; with ``domain``, the observed rows' gammaness column as ON logits.

        Parameters
        ----------
        domain : torch.Tensor, optional
            Per row, 1 for an observed ON/OFF event.
        **named : torch.Tensor
            The net's inputs.

        Returns
        -------
        torch.Tensor
            (n, heads) outputs.
        """
        out = self.net(**named)
        if domain is None:
            return out
        observed = domain > 0.5
        on = noisy_logit(out[:, self.column].float(), self.rho_minus, self.delta, self.rho_plus)
        column = torch.where(observed, on, out[:, self.column].float())
        return torch.cat(
            [out[:, : self.column].float(), column[:, None], out[:, self.column + 1 :].float()], 1
        )


class JointObjective(Objective):
    """Each step: a simulated batch's loss + ``w`` x the ON/OFF loss of an observed batch.

    One forward pass over both batches (small nets' steps cost mostly per-op overhead).

    Parameters
    ----------
    observed : Mapping of str to torch.Tensor
        observed_train's ON/OFF events: the net's inputs and ``is_gamma`` = the ON/OFF label.
    names : sequence of str
        The net's input names.
    weight : float
        ``w``.
    batch_size : int
        The simulated batch size; the observed batch is ``onoff_batch_fraction`` of it.
    fraction : float
        ``onoff_batch_fraction``.
    loss_fn : callable
        The simulated events' loss (:func:`~iactdl.fit.losses.multitask_loss`).

    Raises
    ------
    ValueError
        Fewer ON/OFF events than one observed batch.
    """

    def __init__(self, observed, names, weight: float, batch_size: int, fraction: float, loss_fn):
        self.names = list(names)
        self.observed = {k: observed[k] for k in (*self.names, "is_gamma")}
        self.n_observed = len(self.observed["is_gamma"])
        self.weight = float(weight)
        self.observed_batch = max(1, round(batch_size * fraction))
        if self.n_observed < self.observed_batch:
            raise ValueError(
                f"observed_train has {self.n_observed} ON/OFF events, fewer than one observed "
                f"batch ({self.observed_batch}); lower batch_size or onoff_batch_fraction"
            )
        self.loss_fn = loss_fn

    def identity(self) -> dict:
        """What a checkpoint must match to be resumed with this objective.

        Returns
        -------
        dict
            The weight, batch and a fingerprint of the observed events.
        """
        return {
            "joint": [self.weight, self.observed_batch],
            "observed": _fingerprint(self.observed),
        }

    def start(self, device, bf16, steps_per_epoch, epochs) -> None:
        """Move the observed events to the device, before the first epoch.

        Parameters
        ----------
        device : torch.device
            The training device.
        bf16 : bool
            Whether forward passes run in bfloat16 autocast.
        steps_per_epoch : int
            Optimiser steps per epoch.
        epochs : int
            Number of epochs.
        """
        self.device, self.bf16, self.steps_per_epoch = device, bf16, steps_per_epoch
        self.observed = {k: v.to(device) for k, v in self.observed.items()}

    def start_epoch(self, epoch: int, epoch_seed: int) -> None:
        """Draw the epoch's observed events: whole permutations, as many as its steps need.

        Parameters
        ----------
        epoch : int
            The epoch (from 0).
        epoch_seed : int
            Its seed, so that a resumed run draws the same events.
        """
        gen = torch.Generator().manual_seed(epoch_seed + 2)
        need = self.steps_per_epoch * self.observed_batch
        reps = -(-need // self.n_observed)
        perm = torch.cat([torch.randperm(self.n_observed, generator=gen) for _ in range(reps)])
        self.index = perm[:need].to(self.device)
        self.sums = torch.zeros(3, device=self.device)  # simulated, ON/OFF, steps

    def loss(self, model, batch, step: int) -> torch.Tensor:
        """The step's joint loss.

        Parameters
        ----------
        model : JointNet
            The wrapper being trained (or its compiled module).
        batch : Mapping of str to torch.Tensor
            The simulated batch.
        step : int
            The global step (which observed events).

        Returns
        -------
        torch.Tensor
            The scalar loss.
        """
        wrapper = getattr(model, "_orig_mod", model)
        net = wrapper.net
        b = step % self.steps_per_epoch
        idx = self.index[b * self.observed_batch : (b + 1) * self.observed_batch]
        n_s = batch[self.names[0]].shape[0]
        both = {k: _concat_padded(batch[k], self.observed[k][idx]) for k in self.names}
        with autocast(self.device, self.bf16):
            out = net(**both).float()
        plain = self.loss_fn(out[:n_s], batch, wrapper.heads)
        onoff = onoff_loss(
            out[n_s:, wrapper.column], self.observed["is_gamma"][idx], wrapper.rho_minus,
            wrapper.delta, wrapper.rho_plus,
        )  # fmt: skip
        with torch.no_grad():
            self.sums += torch.stack([plain.detach(), onoff.detach(), torch.ones_like(plain)])
        return plain + self.weight * onoff

    def epoch_metrics(self) -> dict:
        """The epoch's mean simulated and ON/OFF losses, for the training history.

        Returns
        -------
        dict
            ``simulated_loss`` and ``onoff_loss``.
        """
        plain, onoff, steps = (float(v) for v in self.sums.cpu())
        steps = max(steps, 1.0)
        return {"simulated_loss": plain / steps, "onoff_loss": onoff / steps}


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _concat_sets(a: Mapping, b: Mapping, keys) -> dict:
    return {k: _concat_padded(a[k], b[k]) for k in keys}


def train_joint_net(
    *, entry: Mapping, name: str = "", target_path, target_val_path, signal_leak_path=None, **job
) -> dict:
    """Train a net entry with a ``joint`` section on simulated and ON/OFF labels (module doc).

    Parameters
    ----------
    entry : Mapping
        The model entry.
    name : str
        The model's name.
    target_path, target_val_path : str or os.PathLike
        observed_train (pixel nets: observed_train_images) and observed_val: their ON/OFF labels,
        no truth.
    signal_leak_path : str or os.PathLike, optional
        Rule ``signal_leak``'s json: ``rho_plus`` of the ON/OFF term's noise model (else 0).
    **job
        The other keywords of :func:`~iactdl.fit.train.train_net` (the simulated ``train_path``
        and ``val_path`` among them).

    Returns
    -------
    dict
        What :func:`~iactdl.fit.train.train_net` returns (the ``model.json`` record).

    Raises
    ------
    ValueError
        A bad section, different ``n_off_regions`` in the two observed files, or no ON/OFF events.
    """
    name = name or "joint_net"
    entry = dict(entry)
    settings = joint_settings(name, entry)
    alpha = alpha_from_attrs(data_attrs(target_path), str(target_path))
    alpha_val = alpha_from_attrs(data_attrs(target_val_path), str(target_val_path))
    if alpha_val != alpha:
        raise ValueError(
            f"{target_val_path}: n_off_regions gives alpha = {alpha_val}, but {target_path} has "
            f"alpha = {alpha}; the ON/OFF labels of both must mean the same"
        )
    rho_plus, rho_plus_std = read_signal_leak(signal_leak_path) if signal_leak_path else (0, 0)
    correction = MenonCorrection.from_alpha(alpha, rho_plus, rho_plus_std)
    plain = base_entry(entry)
    net_name = plain["net"]
    features = list(plain.get("features") or []) if NETS[net_name].input_kind == "features" else []
    held = {}

    def prepare(net, train, val, fit_settings, rows):
        observed = load_split(target_path, net_name, features, "separation", labels=onoff_targets)
        observed_val = load_split(
            target_val_path, net_name, features, "separation", labels=onoff_targets
        )
        s = observed["is_gamma"].numpy()
        n_on, n_off = int(s.sum()), int((s == 0).sum())
        # ON - alpha OFF excess over all ON/OFF events; a deficit (a fluctuation) floors it
        q = min(max((n_on - alpha * n_off) / (n_on + n_off), 1e-4), 1 - 1e-4)
        p = float(train["is_gamma"].float().mean())
        model = JointNet(net, correction.rho_minus, _logit(q) - _logit(p), correction.rho_plus)
        held["model"] = model
        keys = [*net.input_names, "is_gamma", "log10_energy", "energy_weight"]
        w_s, w_o = domain_weights(
            len(val["is_gamma"]), len(observed_val["is_gamma"]), settings["weight"],
            f"config models.{name}.joint (simulated val + observed_val)",
        )  # fmt: skip
        joined = _concat_sets(val, observed_val, keys)
        joined["domain"] = torch.cat([torch.zeros(len(w_s)), torch.ones(len(w_o))])
        joined["sample_weight"] = torch.from_numpy(np.concatenate([w_s, w_o]))
        val.clear()
        val.update(joined)  # the engine validates (and picks the epoch) on the joint loss

        def loss_fn(o, b, h):
            return multitask_loss(o, b, h, energy_weight=fit_settings.energy_weight)

        objective = JointObjective(
            observed, net.input_names, settings["weight"], fit_settings.batch_size,
            settings["onoff_batch_fraction"], loss_fn,
        )  # fmt: skip
        meta = {
            "config": entry,
            "labels": "simulated + on_off (joint)",
            "joint": {
                **settings, "alpha": alpha, "correction": correction.to_dict(),
                "n_on_train": n_on, "n_off_train": n_off,
                "n_on_val": int(observed_val["is_gamma"].sum()),
                "n_off_val": int((observed_val["is_gamma"] == 0).sum()),
                "source_prior": p, "observed_prior_start": q, "delta_start": _logit(q) - _logit(p),
            },
            "selection": SELECTION,
        }  # fmt: skip
        return model, objective, meta

    def finalise(net, val) -> dict:
        delta = float(held["model"].delta.detach().cpu())
        return {"joint_delta": delta, "observed_prior_learned": 1 / (1 + math.exp(-delta))}

    # resident_val: prepare joins the simulated val with observed_val's ON/OFF events into one
    # validation set in memory (the engine picks the epoch on that joint loss)
    return train_net(
        entry=plain, name=name, prepare=prepare, finalise=finalise, resident_val=True, **job
    )  # fmt: skip


# ---- the boosted trees: one fit across the two domains ----

DOMAIN = "observed_domain"  # the extra column: 0 a simulated event, 1 an observed one
DESIGN = "domains"  # model.json's joint.design of this module's fits ("stacking": older models)


def _proba(estimator: BaseEstimator, x: np.ndarray) -> np.ndarray:
    if isinstance(estimator, BaseForest):
        return forest_mean_prediction(estimator, x, True)
    return estimator.predict_proba(x)[:, 1]


def _score_logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def with_domain(x: np.ndarray, domain: int | np.ndarray) -> np.ndarray:
    """``x`` with the :data:`DOMAIN` column appended (0 simulated, 1 observed).

    Parameters
    ----------
    x : numpy.ndarray
        (n, features) design matrix.
    domain : int or numpy.ndarray
        One domain for every row, or one per row.

    Returns
    -------
    numpy.ndarray
        (n, features + 1), float64.
    """
    d = np.broadcast_to(np.asarray(domain, dtype=np.float64), (len(x),))
    return np.column_stack([x, d])


@dataclass
class JointModel(OnOffModel):
    """The joint boosted trees: one estimator fitted on simulated labels (domain 0) and observed
    ON/OFF labels (domain 1), read in the observed domain and Menon-corrected.

    Parameters
    ----------
    name, task, features, estimator, derived_features, correction
        As for :class:`~iactdl.labelnoise.baselines.OnOffModel`; ``estimator`` reads the features
        plus :data:`DOMAIN` (design ``domains``), or plus the simulated stage's logit (design
        ``stacking``, models written before the domains design).
    source_estimator : sklearn estimator, optional
        Design ``stacking`` only: the simulated stage.
    design : str
        ``domains`` (:func:`fit_joint_baseline`) or ``stacking`` (older models, still predicted
        as they were fitted).
    """

    source_estimator: BaseEstimator | None = None
    design: str = "stacking"  # the default an older model.skops (without the field) loads with

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Corrected gammaness, ``P(ON | x)`` and the simulated-domain gammaness of a chunk.

        Parameters
        ----------
        columns : Mapping of str to numpy.ndarray
            The ``required_columns`` of a chunk of events.

        Returns
        -------
        dict of str to numpy.ndarray
            ``gammaness`` (Menon-corrected ``p_on``), ``p_on`` (the observed domain's) and
            ``gammaness_simulated`` (the simulated domain's posterior; design ``stacking``: the
            simulated stage's), float32 per event.
        """
        from iactdl.labelnoise.correction import menon_correction

        x = self.design_matrix(columns)
        if self.design == DESIGN:
            p_on = _proba(self.estimator, with_domain(x, 1))
            source = _proba(self.estimator, with_domain(x, 0))
        else:
            source = _proba(self.source_estimator, x)
            p_on = _proba(self.estimator, np.column_stack([x, _score_logit(source)]))
        gammaness = menon_correction(p_on, self.correction)
        return {
            "gammaness": gammaness.astype(np.float32),
            "p_on": p_on.astype(np.float32),
            "gammaness_simulated": source.astype(np.float32),
        }


TRUSTED_TYPES = (*ONOFF_TRUSTED_TYPES, "iactdl.labelnoise.joint.JointModel")
LOADER = "iactdl.labelnoise.joint:load_joint_baseline"


def load_joint_baseline(model_dir: str | os.PathLike) -> JointModel:
    """The joint baseline in ``model_dir`` (its ``model.json`` names this loader).

    Parameters
    ----------
    model_dir : str or os.PathLike
        The model's folder.

    Returns
    -------
    JointModel
        Loaded through skops with this module's trusted types.
    """
    return load_baseline(model_dir, trusted=TRUSTED_TYPES)


def _joint_oof(model, x_sim, y_sim, x_obs, s, w_sim, w_obs, n_folds: int, seed: int):
    """Out-of-fold ``P(ON | x)`` of the ON/OFF events: per fold, a clone fitted on every
    simulated event and the other folds' ON/OFF events (weights rescaled to keep the observed
    domain's share), scored by the ROC AUC of ON against OFF."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from iactdl.metrics import roc_auc

    counts = np.bincount(s, minlength=2)
    if counts.min() < n_folds:
        raise ValueError(
            f"model '{model.name}': {counts.min()} ON or OFF events, fewer than cv_folds = "
            f"{n_folds}"
        )
    oof = np.empty(len(s), dtype=np.float64)
    fold = np.empty(len(s), dtype=np.int64)
    scores = []
    x_all = np.vstack([with_domain(x_sim, 0), with_domain(x_obs, 1)])
    n_sim = len(y_sim)
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(splitter.split(x_obs, s)):
        rows = np.r_[np.arange(n_sim), n_sim + tr]
        w = np.r_[w_sim, w_obs[tr] * len(s) / len(tr)]
        est = fit_estimator(clone(model.estimator), x_all[rows], np.r_[y_sim, s[tr]], w)
        oof[te] = _proba(est, with_domain(x_obs[te], 1))
        fold[te] = k
        scores.append({"roc_auc": float(roc_auc(s[te], oof[te]))})
        log.info("model %s fold %d/%d: %s", model.name, k + 1, n_folds, scores[-1])
    return oof, fold, scores


def fit_joint_baseline(
    train: str | os.PathLike,
    observed: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
    signal_leak_path: str | os.PathLike | None = None,
) -> JointModel:
    """Fit a baseline entry with a ``joint`` section: one fit on both domains' labels (module doc).

    Writes ``model.skops`` (:class:`JointModel`), ``cv.csv`` (the ON/OFF events' out-of-fold
    ``P(ON | x)``, each fold's model fitted on every simulated event and the other folds) and
    ``model.json`` (last).

    Parameters
    ----------
    train : str or os.PathLike
        The simulated training split (``is_gamma``).
    observed : str or os.PathLike
        observed_train (``region``, ``n_off_regions``; no truth).
    model_dir : str or os.PathLike
        The folder to write.
    name : str
        The model's name.
    entry : Mapping
        Its entry of ``config.yaml: models``; the fit's hyper-parameters are
        ``joint.source_params`` where given, else ``params``.
    seed : int
        Seed of the estimator and the folds.
    threads : int
        Threads of the estimator.
    signal_leak_path : str or os.PathLike, optional
        Rule ``signal_leak``'s json: ``rho_plus`` of the known-alpha correction (else 0).

    Returns
    -------
    JointModel
        The fitted model, as written.

    Raises
    ------
    ValueError
        A bad section, or observed_train without ON or without OFF events (naming the file).
    InputError
        A file without a column the model needs.
    """
    entry = json.loads(json.dumps(dict(entry)))
    settings = joint_settings(name, entry)
    base = build_baseline(name, source_entry(entry), seed=seed, threads=threads)
    check_source_independent(base.required_columns, f"config models.{name}")
    alpha = alpha_from_attrs(data_attrs(observed), str(observed))
    have = column_names(observed)
    needed = [*base.required_columns, "region", "event_id"]
    missing = [c for c in needed if c not in have]
    if missing:
        raise InputError(f"{observed}: model '{name}' needs column(s) {missing}; it has {have}")
    cols = read_columns(observed, needed)
    labelled = np.asarray(cols["region"]) != NO_REGION
    s = onoff_labels(np.asarray(cols["region"])[labelled], alpha, str(observed))
    x_obs = base.design_matrix({k: np.asarray(v)[labelled] for k, v in cols.items()}, str(observed))
    x_sim, y_sim, _ = training_data(base, train)
    w_sim, w_obs = domain_weights(
        len(y_sim), len(s), settings["weight"], f"config models.{name}.joint ({observed})"
    )
    t0 = time.perf_counter()
    with threadpool_limits(threads):
        oof, fold, scores = _joint_oof(
            base, x_sim, y_sim, x_obs, s, w_sim, w_obs, entry.get("cv_folds", 5), seed
        )
        x_all = np.vstack([with_domain(x_sim, 0), with_domain(x_obs, 1)])
        fit_estimator(base.estimator, x_all, np.r_[y_sim, s], np.r_[w_sim, w_obs])
    labelnoise = {k: LABELNOISE_DEFAULTS[k] for k in LABELNOISE_DEFAULTS}
    chosen, record = correction_record(
        name, labelnoise, alpha, oof, s, "out-of-fold", signal_leak_path
    )
    model = JointModel(
        name=name, task="separation", features=base.features, estimator=base.estimator,
        derived_features=base.derived_features, correction=chosen, design=DESIGN,
    )  # fmt: skip
    meta = baseline_record(
        name, model, entry, n_train=len(y_sim) + len(s), seed=seed, threads=threads,
        fit_seconds=time.perf_counter() - t0, labels="simulated + on_off (joint, one fit)",
        n_simulated=len(y_sim), n_on=int(s.sum()), n_off=int((s == 0).sum()),
        joint={**settings, "design": DESIGN, "extra_column": DOMAIN,
               "fit_params": source_entry(entry).get("params")},
        cv=summarise_cv(scores),  # ROC AUC of ON against OFF, observed domain, out of fold
        labelnoise=record, loader=LOADER,
    )  # fmt: skip
    cv = pd.DataFrame(
        {"event_id": np.asarray(cols["event_id"])[labelled], "fold": fold, "target": s,
         "oof_prediction": oof}
    )  # fmt: skip
    save_baseline(Path(model_dir), model, meta, cv)
    return model
