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

Model selection uses no observed truth: the epoch with the lowest source validation loss, where the
validation events carry the same weights as the training events (class-prior or importance
weights: importance-weighted validation, Sugiyama et al. 2007, an estimate of the target loss);
``lambda_max`` is the entry's; the adaptation study chooses it from ``adaptation.lambda_grid``
without observed truth too (the most significant ON excess on observed_val, rule ``select_lambda``,
:mod:`iactdl.adapt.lambda_selection`). The epoch's criterion is written into ``model.json``
(``selection``), the lambda's into the selection's ``lambda.json``.

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
from iactdl.fit.entry import NET_DEFAULTS
from iactdl.fit.losses import multitask_loss
from iactdl.fit.streaming import StreamedSplit
from iactdl.fit.train import train_net
from iactdl.io import InputError, n_events, read_columns
from iactdl.io.jsonfile import read_json
from iactdl.models.nets import NETS, input_columns, net_inputs

__all__ = [
    "SELECTION_CRITERION",
    "target_prior_from_diagnostics",
    "train_adapted_net",
    "encoder_samples",
]

log = logging.getLogger(__name__)

SELECTION_CRITERION = (
    "epoch with the lowest source validation loss (cross-entropy), the validation events weighted "
    "like the training events (class-prior weights for iwdann, importance weights for importance: "
    "importance-weighted validation, Sugiyama et al. 2007); no observed truth"
)


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
    meta: dict = {
        "config": entry,
        "adapt": dataclasses.asdict(settings),
        "selection": SELECTION_CRITERION,
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
            q = meta["adapt"]["target_prior"]
            w = torch.from_numpy(class_prior_weights(train["is_gamma"].numpy(), q))
            train["sample_weight"] = train["domain_weight"] = w
            val["sample_weight"] = torch.from_numpy(class_prior_weights(val["is_gamma"].numpy(), q))
            meta["adapt"]["source_prior"] = float(train["is_gamma"].mean())
        loss_fn = partial(
            multitask_loss,
            energy_weight=fit_settings.energy_weight,
            direction_weight=fit_settings.direction_weight,
        )
        model = DomainAdversarialNet(net, settings.domain_hidden)
        objective = DANNObjective(target, settings.dann(), fit_settings.batch_size, loss_fn)
        return model, objective, meta

    return train_net(entry=plain, name=name, prepare=prepare, **job)


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

    rng = np.random.default_rng(seed)
    rows = {}
    for key, path in (("source", source_path), ("target", target_path)):
        total = n_events(path)
        rows[key] = np.sort(rng.choice(total, size=min(n, total), replace=False))
    out = {}
    for label, model_dir in model_dirs.items():
        net = load_net(model_dir)
        cols = net.required_columns
        out[label] = tuple(
            net.represent(read_columns(p, cols, index=rows[k]))
            for k, p in (("source", source_path), ("target", target_path))
        )
    return out
