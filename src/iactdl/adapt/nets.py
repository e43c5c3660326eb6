"""Adapted nets: the training an ``adapt:`` section asks of a net entry (section and checks:
:mod:`iactdl.adapt.settings`), handed to the engine through its ``prepare`` hook.

A user copies a net entry of ``config.yaml: models`` and adds two lines::

    deepsets_dann:
      <everything of deepsets>
      adapt: {method: iwdann, lambda_max: 0.3}

Methods (all train on the labelled simulations plus the unlabelled ``observed_train`` events):

==============  ==================================================================================
``dann``        domain-adversarial training (Ganin et al. 2016; :mod:`iactdl.adapt.dann`)
``iwdann``      label-shift-aware DANN (Tachet des Combes et al. 2020): the source classes weighted
                to the target gamma fraction ``q`` in the domain loss and the class loss; ``q``
                from the entry (``target_prior``) or the EM estimate of the shift diagnostics
``importance``  covariate-shift importance weighting (Shimodaira 2000): every source event's loss
                weighted by ``p_t(x) / p_s(x)`` from the domain classifier's odds on the feature
                table, clipped (:func:`iactdl.adapt.importance.importance_weights`; a baseline
                takes the same weights as ``sample_weight``: :mod:`iactdl.adapt.importance`)
==============  ==================================================================================

Model selection uses no observed truth. DANN and IW-DANN train every configured epoch and keep
the last one (:attr:`iactdl.fit.engine.Objective.keep_last_epoch`): the adversary's weight ramps
up over the whole run, and the lowest source validation loss, with early stopping on it, picked the
epochs before the adaptation acted (the default run's domain head was never fooled, and the Set
Transformer's IW-DANN stopped at epoch 7 of 12). Importance weighting keeps the epoch with the
lowest source validation loss, the validation events weighted like the training events
(importance-weighted validation, Sugiyama et al. 2007, an estimate of the target loss).
``lambda_max`` is the entry's; the adaptation study chooses it from ``adaptation.lambda_grid``
without observed truth too (the most significant ON excess on observed_val, rule ``select_lambda``,
:mod:`iactdl.adapt.lambda_selection`). The epoch's criterion is written into ``model.json``
(``selection``), the lambda's into the selection's ``lambda.json``.

What the adversary achieved is measured without truth: the cross-validated AUC of a linear probe
(logistic regression) that tells simulated validation events from observed_val events by the
encoder's representation, before training (the initialised encoder) and after
(:func:`representation_domain_auc`; ``model.json: adapt.domain_auc``). 0.5:
the domains cannot be told apart. IW-DANN aligns the simulations re-weighted to the target prior,
so its record also has the AUC with the simulated events drawn at that prior (``at_target_prior``).

Source-dependent features (``source_x``, ``source_y``, ``distance``, ``alpha`` and what derives from
them) are refused in every model trained on observed events
(:func:`iactdl.adapt.settings.refuse_source_dependent`). The target oracle, the ceiling the study
puts beside these nets, is the engine's :func:`iactdl.fit.oracle.train_oracle_net`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from functools import partial

import numpy as np
import torch

from iactdl.adapt.dann import DANNObjective, DomainAdversarialNet, class_prior_weights
from iactdl.adapt.importance import importance_weights
from iactdl.adapt.settings import adapt_settings, base_entry, refuse_source_dependent
from iactdl.evaluate.theta2 import NO_REGION
from iactdl.fit.entry import NET_DEFAULTS
from iactdl.fit.losses import multitask_loss
from iactdl.fit.streaming import StreamedSplit
from iactdl.fit.train import train_net
from iactdl.io import InputError, column_names, n_events, read_columns
from iactdl.io.jsonfile import read_json
from iactdl.models.nets import NETS, input_columns, net_inputs

__all__ = [
    "SELECTION_CRITERION",
    "DANN_SELECTION_CRITERION",
    "representation_domain_auc",
    "target_prior_from_diagnostics",
    "train_adapted_net",
    "encoder_samples",
    "sample_classes",
]

log = logging.getLogger(__name__)

SELECTION_CRITERION = (
    "epoch with the lowest source validation loss (cross-entropy), the validation events weighted "
    "like the training events (importance weights: importance-weighted validation, Sugiyama et "
    "al. 2007); no observed truth"
)
DANN_SELECTION_CRITERION = (
    "the last of the configured epochs (no early stopping: the gradient reversal ramps up to "
    "lambda_max over the whole run, and the lowest source loss favours the epochs before it acts); "
    "lambda_max from the entry or chosen on observed_val's ON/OFF excess; no observed truth"
)
# events of each domain in the linear probe of the representation (milliseconds per fit)
DOMAIN_PROBE_EVENTS = 2000
DOMAIN_PROBE_FOLDS = 3


def target_prior_from_diagnostics(path: str | os.PathLike) -> tuple[float, str]:
    """The gamma fraction of ``observed_train`` written by rule ``shift_diagnostics``, and which
    estimate it is.

    EM (Saerens et al. 2002, ``label_shift.all.em``) assumes pure label shift: P(x | class) the same
    in both domains. The diagnostics test that without truth (OFF events, all hadrons, must pass the
    cut at the simulated protons' rate: ``label_shift.assumption_check``). When it fails, as on
    the default observation (hadrons shifted: EM gave 1.7e-7 against a true 0.03), EM is biased and
    the ON - alpha OFF excess (``label_shift.all.onoff_excess``), which needs no classifier and no
    assumption about P(x | class), is the estimate used.

    Parameters
    ----------
    path : str or os.PathLike
        ``results/shift/diagnostics.json``.

    Returns
    -------
    prior : float
        The gamma fraction.
    estimate : str
        Which estimate it is (the EM's or the ON/OFF excess's key).

    Raises
    ------
    InputError
        A file without the estimate needed, or one outside (0, 1).
    """
    try:
        shift = read_json(path)["label_shift"]
        consistent = bool(shift.get("assumption_check", {}).get("consistent", True))
        name = "em" if consistent else "onoff_excess"
        q = float(shift["all"][name]["estimate"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(
            f"{path}: expected label_shift.all.em.estimate and, where the label-shift check fails, "
            f"label_shift.all.onoff_excess.estimate (gamma fractions of observed_train) from rule "
            f"shift_diagnostics ({type(err).__name__}: {err})"
        ) from None
    if not 0 < q < 1:
        raise InputError(f"{path}: label_shift.all.{name}.estimate = {q}, expected in (0, 1)")
    log.info("target gamma prior %.4g from %s (%s)", q, path, name)
    return q, name


def _probe_rows(n: int, size: int, rng: np.random.Generator, is_gamma=None, prior=None):
    """Sorted rows of a domain's probe sample: ``size`` at random, or (``prior``) with the
    classes drawn to the gamma fraction ``prior`` (as many as the rarer class allows)."""
    if prior is None:
        return np.sort(rng.choice(n, size=min(n, size), replace=False))
    y = np.asarray(is_gamma).astype(bool)
    g, h = np.flatnonzero(y), np.flatnonzero(~y)
    total = int(min(size, len(h) / (1 - prior), len(g) / prior if prior > 0 else np.inf))
    n_g = min(len(g), round(total * prior))
    n_h = min(len(h), total - n_g)
    return np.sort(np.r_[rng.choice(g, n_g, replace=False), rng.choice(h, n_h, replace=False)])


@torch.no_grad()
def _represent(net, inputs: Mapping[str, torch.Tensor], batch: int = 4096) -> np.ndarray:
    """The encoder's representation of ``inputs`` in eval mode, on the net's device, in batches
    (the net's training mode is restored)."""
    device = next(net.parameters()).device
    mode = net.training
    net.eval()
    n = next(iter(inputs.values())).shape[0]
    try:
        out = [
            net.encode(**{k: inputs[k][i : i + batch].to(device) for k in net.input_names})
            .float()
            .cpu()
            for i in range(0, n, batch)
        ]
    finally:
        net.train(mode)
    return torch.cat(out).numpy()


def representation_domain_auc(
    net,
    source: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    seed: int = 0,
    n: int = DOMAIN_PROBE_EVENTS,
    source_prior: float | None = None,
    threads: int = 1,
) -> dict:
    """How well the net's representation tells the simulated from the observed events.

    The cross-validated ROC AUC (:data:`DOMAIN_PROBE_FOLDS` stratified folds, every event scored
    by a model that did not see it) of a logistic regression on the standardised ``net.encode`` of
    up to ``n`` events of each domain: a linear probe, cheap enough to run before and after every
    adapted training (boosted trees took minutes on a busy 2-core machine). 0.5 when the
    representation carries nothing of the domain that a linear boundary sees, 1 when it separates
    them. It reads inputs only: no label of the observed events.

    Parameters
    ----------
    net : torch.nn.Module
        A net of :mod:`iactdl.models.nets` (``encode``, ``input_names``), its scaling fitted.
    source : Mapping of str to torch.Tensor or StreamedSplit
        The simulated events' inputs (held-out: the validation split), with ``is_gamma`` where
        ``source_prior`` is given; streamed (a streamed net's), only the probe's events are read.
    target : Mapping of str to torch.Tensor
        The observed events' inputs (observed_val), no labels.
    seed : int
        Seed of the draw of the events and of the folds.
    n : int
        Events drawn from each domain (fewer where a domain has fewer).
    source_prior : float, optional
        Draw the simulated events with this gamma fraction (IW-DANN aligns the simulations
        re-weighted to the target prior); default: at random.
    threads : int
        Cores of the probe.

    Returns
    -------
    dict
        ``auc``, ``auc_std`` (over the folds), ``n_source`` and ``n_target``.

    Raises
    ------
    ValueError
        A domain with fewer events than :data:`DOMAIN_PROBE_FOLDS`.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    streamed = isinstance(source, StreamedSplit)  # a streamed net's val: its probe rows are read
    n_s = source.n if streamed else next(iter(source.values())).shape[0]
    n_t = next(iter(target.values())).shape[0]
    is_gamma = source["is_gamma"] if streamed or "is_gamma" in source else None
    rows_s = _probe_rows(n_s, n, rng, is_gamma, source_prior)
    rows_t = _probe_rows(n_t, n, rng)
    if min(len(rows_s), len(rows_t)) < DOMAIN_PROBE_FOLDS:
        raise ValueError(
            f"domain probe: {len(rows_s)} simulated and {len(rows_t)} observed events, fewer "
            f"than {DOMAIN_PROBE_FOLDS} folds in one domain"
        )
    if streamed:
        source = source.take(rows_s)
        rows_s = np.arange(len(rows_s))
    z_s = _represent(net, {k: source[k][torch.from_numpy(rows_s)] for k in net.input_names})
    z_t = _represent(net, {k: target[k][torch.from_numpy(rows_t)] for k in net.input_names})
    z = np.nan_to_num(np.vstack([z_s, z_t]).astype(np.float64))
    y = np.r_[np.zeros(len(z_s), np.int8), np.ones(len(z_t), np.int8)]
    p = np.empty(len(y))
    aucs = []
    folds = StratifiedKFold(DOMAIN_PROBE_FOLDS, shuffle=True, random_state=seed)
    with threadpool_limits(threads):
        for tr, te in folds.split(z, y):
            probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
            p[te] = probe.fit(z[tr], y[tr]).predict_proba(z[te])[:, 1]
            aucs.append(float(roc_auc_score(y[te], p[te])))
    return {
        "auc": float(roc_auc_score(y, p)),
        "auc_std": float(np.std(aucs)),
        "n_source": int(len(z_s)),
        "n_target": int(len(z_t)),
    }


def _target_inputs(
    path, net_name: str, features, stream: bool = False
) -> dict[str, torch.Tensor] | StreamedSplit:
    """The net's inputs of the observed_train events ``path``: resident tensors, or a stream
    from disk (``stream``, a streamed training's DANN target)."""
    n = n_events(path)
    if n == 0:
        raise InputError(
            f"{path}: no observed events; an adapted model needs observed_train events (a config "
            f"with source `simulate`, or `fact` with an observed file, and split fractions that "
            f"leave observed_train non-empty)"
        )
    cols = input_columns(net_name, features)
    if stream:
        return StreamedSplit(path, cols, NETS[net_name].input_kind, features, labelled=False)
    return net_inputs(read_columns(path, cols), NETS[net_name].input_kind, features)


def train_adapted_net(
    *,
    entry: Mapping,
    target_path: str | os.PathLike,
    weight_target_path: str | os.PathLike | None = None,
    diagnostics_path: str | os.PathLike | None = None,
    target_val_path: str | os.PathLike | None = None,
    name: str = "",
    **job,
) -> dict:
    """Train the net of an adapted ``entry`` (see the module doc) and write it like
    :func:`iactdl.fit.train.train_net`; ``model.json`` gains ``adapt`` and ``selection``.

    Parameters
    ----------
    entry : Mapping
        The model entry, with its ``adapt`` section.
    target_path : str or os.PathLike
        The observed_train events with the net's inputs (the DANN target stream).
    weight_target_path : str or os.PathLike, optional
        Observed_train's feature table (importance weights); default ``target_path``.
    diagnostics_path : str or os.PathLike, optional
        ``results/shift/diagnostics.json`` (IW-DANN's prior when the entry gives none).
    target_val_path : str or os.PathLike, optional
        observed_val with the net's inputs (no labels read): DANN and IW-DANN measure the domain
        AUC of their representation on it and the simulated validation events, before and after
        training (:func:`representation_domain_auc`); none: not measured.
    name : str
        The model's name.
    **job
        The other keywords of :func:`~iactdl.fit.train.train_net` (``train_path``, ``val_path``,
        ``seed``, ``model_dir``, ``threads``, ``resume_path``, ``progress``, ``gpus``: the GPUs the
        job was given, which decide the device), passed on.

    Returns
    -------
    dict
        What :func:`~iactdl.fit.train.train_net` returns (the model's ``model.json`` record).

    Raises
    ------
    ValueError
        IW-DANN without a prior (none in the entry, no diagnostics file).
    """
    name = name or "net"
    entry = dict(entry)
    settings = adapt_settings(name, entry)
    refuse_source_dependent(name, entry)
    net_name = entry.get("net")
    plain = base_entry(entry)
    features = list(entry.get("features") or []) if NETS[net_name].input_kind == "features" else []
    dann = settings.method in ("dann", "iwdann")
    meta: dict = {
        "config": entry,
        "adapt": dataclasses.asdict(settings),
        "selection": DANN_SELECTION_CRITERION if dann else SELECTION_CRITERION,
    }

    if settings.method == "importance":
        _target_inputs(weight_target_path or target_path, "mlp", settings.weight_features)
    else:
        stream = bool(plain.get("stream", NET_DEFAULTS["stream"]))
        target = _target_inputs(target_path, net_name, features, stream)
        meta["adapt"]["n_target"] = target.n if stream else len(next(iter(target.values())))
    if settings.method == "iwdann":
        q = settings.target_prior
        if q is None:
            if diagnostics_path is None:
                raise ValueError(
                    f"config models.{name}.adapt: method iwdann needs target_prior or the shift "
                    f"diagnostics (results/shift/diagnostics.json)"
                )
            q, estimator = target_prior_from_diagnostics(diagnostics_path)
            meta["adapt"]["target_prior_source"] = f"{diagnostics_path} ({estimator})"
        meta["adapt"]["target_prior"] = q
    target_val = None
    if dann and target_val_path is not None:  # the domain probe's observed events (no labels)
        total = n_events(target_val_path)
        probe_rows = _probe_rows(total, DOMAIN_PROBE_EVENTS, np.random.default_rng(job["seed"]))
        cols = input_columns(net_name, features)
        target_val = net_inputs(
            read_columns(target_val_path, cols, index=probe_rows), NETS[net_name].input_kind,
            features,
        )  # fmt: skip

    def probe(net, val, seed) -> dict:
        """The domain AUC of the net's representation (and IW-DANN's at the target prior)."""
        threads = job.get("threads", 1)
        out = {"marginal": representation_domain_auc(net, val, target_val, seed, threads=threads)}
        if settings.method == "iwdann":
            q = meta["adapt"]["target_prior"]
            out["at_target_prior"] = representation_domain_auc(
                net, val, target_val, seed, source_prior=q, threads=threads
            )
        return out

    def finalise(net, val) -> dict:
        if target_val is None:
            return {}
        auc = meta["adapt"]["domain_auc"]
        auc["after"] = probe(net, val, auc["seed"])
        log.info(
            "domain AUC of the representation (simulated val vs observed_val): %.3f before, "
            "%.3f after training", auc["before"]["marginal"]["auc"],
            auc["after"]["marginal"]["auc"],
        )  # fmt: skip
        return {"adapt": meta["adapt"]}

    def prepare(net, train, val, fit_settings, rows):
        if settings.method == "importance":
            w_train, w_val, summary = importance_weights(
                settings, job["train_path"], job["val_path"], weight_target_path or target_path,
                rows, fit_settings.seed, job.get("threads", 1),
            )  # fmt: skip
            w_train, w_val = (torch.from_numpy(w.astype(np.float32)) for w in (w_train, w_val))
            train["sample_weight"], val["sample_weight"] = w_train, w_val
            return net, None, {**meta, "importance_weights": summary}
        if settings.method == "iwdann":
            # IWDAN's weighted domain loss (iactdl.adapt.dann): the source rows of the domain loss
            # weighted to the target prior; the class loss only with weight_class_loss, as a class
            # loss at a prior of a few % gammas collapses the posterior (module doc of dann)
            q = meta["adapt"]["target_prior"]
            w = torch.from_numpy(class_prior_weights(train["is_gamma"].numpy(), q))
            train["domain_weight"] = w
            if settings.weight_class_loss:
                train["sample_weight"] = w
                val["sample_weight"] = torch.from_numpy(
                    class_prior_weights(val["is_gamma"].numpy(), q)
                )
            meta["adapt"]["source_prior"] = float(train["is_gamma"].mean())
        loss_fn = partial(
            multitask_loss,
            energy_weight=fit_settings.energy_weight,
            direction_weight=fit_settings.direction_weight,
        )
        if target_val is not None:  # before: the initialised encoder (epoch 0)
            meta["adapt"]["domain_auc"] = {
                "probe": (
                    f"{DOMAIN_PROBE_FOLDS}-fold cross-validated AUC of a logistic regression "
                    "telling simulated val from observed_val events by the encoder's "
                    "representation (0.5: indistinguishable); before: the initialised encoder, "
                    "after: the trained one"
                ),
                "seed": int(fit_settings.seed),
                "before": probe(net, val, int(fit_settings.seed)),
            }
        model = DomainAdversarialNet(net, settings.domain_hidden)
        objective = DANNObjective(target, settings.dann(), fit_settings.batch_size, loss_fn)
        return model, objective, meta

    return train_net(entry=plain, name=name, prepare=prepare, finalise=finalise, **job)


def encoder_samples(
    model_dirs: Mapping[str, str | os.PathLike],
    source_path: str | os.PathLike,
    target_path: str | os.PathLike,
    n: int = 2000,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per model: its encoder's representation of random simulated and observed events.

    The same ``n`` simulated and ``n`` observed events for every model, for the before/after
    figure.

    Parameters
    ----------
    model_dirs : Mapping of str to str or os.PathLike
        Model name to its folder.
    source_path : str or os.PathLike
        The simulated events (the nets' inputs).
    target_path : str or os.PathLike
        The observed events (the nets' inputs).
    n : int
        Events drawn from each (fewer where a file has fewer).
    seed : int
        Seed of the draw.

    Returns
    -------
    dict of str to tuple of numpy.ndarray
        Model name to its encoder's outputs ``(simulated, observed)``, one row per event.
    """
    from iactdl.models.nets import load_net

    rows = _sample_rows(source_path, target_path, n, seed)
    out = {}
    for label, model_dir in model_dirs.items():
        net = load_net(model_dir)
        cols = net.required_columns
        out[label] = tuple(
            net.represent(read_columns(p, cols, index=rows[k]))
            for k, p in (("source", source_path), ("target", target_path))
        )
    return out


def _sample_rows(source_path, target_path, n: int, seed: int) -> dict[str, np.ndarray]:
    """The rows of the before/after figure's events, ``source`` and ``target``: one draw shared
    by :func:`encoder_samples` and :func:`sample_classes`, so the classes belong to the events."""
    rng = np.random.default_rng(seed)
    rows = {}
    for key, path in (("source", source_path), ("target", target_path)):
        total = n_events(path)
        rows[key] = np.sort(rng.choice(total, size=min(n, total), replace=False))
    return rows


def sample_classes(
    source_path: str | os.PathLike,
    target_path: str | os.PathLike,
    n: int = 2000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The classes of the events :func:`encoder_samples` draws with the same ``n`` and ``seed``.

    Simulated events: their label ``is_gamma`` (the simulation's, allowed). Observed events: their
    truth-free ON/OFF region (0 ON, 1..n OFF, -1 in neither), never their hidden class: the
    figure's rule reads the observed inputs, not the truth (DESIGN: only evaluation and the oracle
    rules read it). A file without a ``region`` column (FACT DL2: regions are a DL3 quantity)
    puts every observed event in no region.

    Parameters
    ----------
    source_path, target_path : str or os.PathLike
        The simulated and the observed events.
    n : int
        Events drawn from each (fewer where a file has fewer).
    seed : int
        Seed of the draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(is_gamma, region)``: bool per simulated event, int per observed event.

    Raises
    ------
    iactdl.io.InputError
        Simulated events without ``is_gamma``.
    """
    rows = _sample_rows(source_path, target_path, n, seed)
    if "is_gamma" not in column_names(source_path):
        raise InputError(
            f"{source_path}: the representation figure needs column 'is_gamma' (the simulated "
            "events' class)"
        )
    is_gamma = read_columns(source_path, ["is_gamma"], index=rows["source"])["is_gamma"]
    if "region" in column_names(target_path):
        region = read_columns(target_path, ["region"], index=rows["target"])["region"]
    else:
        region = np.full(len(rows["target"]), NO_REGION)
    return np.asarray(is_gamma).astype(bool), np.asarray(region).astype(np.int64)
