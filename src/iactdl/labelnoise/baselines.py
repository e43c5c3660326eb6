"""ON/OFF training: a model entry's estimator fitted on the observation's own labels, corrected.

A model entry opts in with a ``labelnoise`` section (shaped like the adaptation entries' sections:
the entry stays a normal model, plus a few keys)::

    bdt_onoff:
      kind: baseline
      task: separation
      estimator: hist_gradient_boosting
      features: *image_parameters
      labelnoise:
        noise_rates: known_alpha   # known_alpha | anchor | range: where the flip rates come from

A baseline is then trained (:func:`fit_onoff_baseline`) on ``observed_train`` with label 1 for ON
(region 0) and 0 for OFF, never on truth; ``alpha = 1 / n_off_regions`` comes from the file's
attributes. k-fold cross-validation gives out-of-fold ``P(ON | x)``, from which the flip rates are
also estimated without alpha (anchor and range,
:func:`iactdl.labelnoise.correction.estimate_noise_rates`), for the record and for ``noise_rates:
anchor | range``. The saved :class:`OnOffModel` predicts ``gammaness`` = the corrected posterior
(:func:`iactdl.labelnoise.correction.menon_correction`) and ``p_on`` = the uncorrected ``P(ON |
x)``. Source-dependent features are refused
(:func:`iactdl.labelnoise.correction.check_source_independent`). A net entry with the same section
is trained by :mod:`iactdl.labelnoise.nets` (validation on ``observed_val``'s ON/OFF labels instead
of cross-validation).

The oracle (:func:`fit_onoff_oracle`, reference only, for rules whose name says oracle): the same
estimator on the clean truth of the same ``observed_train`` events, joined by ``event_id``.
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
from threadpoolctl import threadpool_limits

from iactdl.evaluate.theta2 import NO_REGION
from iactdl.evaluate.thresholds import constant_score
from iactdl.io import InputError, column_names, data_attrs, read_columns, read_observed_truth
from iactdl.labelnoise.correction import (
    MenonCorrection,
    NoiseEstimationError,
    alpha_from_attrs,
    check_source_independent,
    estimate_noise_rates,
    menon_correction,
    onoff_labels,
)
from iactdl.labelnoise.leak import read_signal_leak
from iactdl.models.baselines import (
    BaselineModel,
    baseline_record,
    build_baseline,
    cross_validate,
    load_baseline,
    save_baseline,
    summarise_cv,
)

__all__ = [
    "LABELNOISE_DEFAULTS",
    "OnOffModel",
    "load_onoff_baseline",
    "labelnoise_settings",
    "base_entry",
    "fit_onoff_baseline",
    "fit_onoff_oracle",
    "correction_record",
]

log = logging.getLogger(__name__)

# the `labelnoise` section of a model entry; every key optional
LABELNOISE_DEFAULTS = {
    # where the correction's flip rates come from: known_alpha (n_off_regions: exact), anchor (ON
    # fraction of the anchor_fraction lowest-scored events, rho_plus = 0), range (Menon's quantiles)
    "noise_rates": "known_alpha",
    "anchor_fraction": 0.2,
    "quantiles": [0.01, 0.99],
}
_NOISE_RATES = ("known_alpha", "anchor", "range")
PRIOR = "pooled observation (ON and OFF events of observed_train together)"


def labelnoise_settings(name: str, entry: Mapping) -> dict:
    """The entry's ``labelnoise`` section over :data:`LABELNOISE_DEFAULTS`, checked.

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
        Naming ``config models.{name}.labelnoise``: not a mapping, an unknown key or a bad value.
    """
    where = f"config models.{name}.labelnoise"
    section = entry.get("labelnoise")
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: expected a mapping (may be empty), got {section!r}")
    unknown = sorted(set(section) - set(LABELNOISE_DEFAULTS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid: {sorted(LABELNOISE_DEFAULTS)}")
    out = {**LABELNOISE_DEFAULTS, **dict(section)}
    if out["noise_rates"] not in _NOISE_RATES:
        raise ValueError(
            f"{where}.noise_rates: {out['noise_rates']!r}; expected one of {_NOISE_RATES}"
        )
    if not (isinstance(out["anchor_fraction"], int | float) and 0 < out["anchor_fraction"] <= 0.5):
        raise ValueError(
            f"{where}.anchor_fraction: {out['anchor_fraction']!r}; expected in (0, 0.5]"
        )
    q = out["quantiles"]
    if not (isinstance(q, list | tuple) and len(q) == 2 and 0 <= q[0] < q[1] <= 1):
        raise ValueError(
            f"{where}.quantiles: {q!r}; expected [low, high] with 0 <= low < high <= 1"
        )
    if entry.get("task") != "separation":
        raise ValueError(f"config models.{name}.task: ON/OFF labels train task separation only")
    if entry.get("kind") not in ("baseline", "net"):
        raise ValueError(
            f"config models.{name}.kind: {entry.get('kind')!r}; ON/OFF training takes a baseline "
            "(rule train_onoff) or a net (rule train_onoff_net)"
        )
    if entry.get("kind") == "net" and entry.get("energy_head"):
        raise ValueError(
            f"config models.{name}.energy_head: true, but ON/OFF labels carry no energy; set "
            "energy_head: false (the net learns P(ON | x) alone)"
        )
    if entry.get("kind") == "net" and entry.get("direction_head"):
        raise ValueError(
            f"config models.{name}.direction_head: {entry['direction_head']!r}, but observed "
            "events carry no true source position; remove it (the net learns P(ON | x) alone)"
        )
    if entry.get("adapt") is not None:
        raise ValueError(f"config models.{name}: either `adapt` or `labelnoise`, not both")
    check_source_independent(
        list(entry.get("features", [])) + list(entry.get("derived_features", [])),
        f"config models.{name}",
    )
    return out


# the types of an ON/OFF baseline beyond a plain one's (iactdl.models.baselines.TRUSTED_TYPES)
TRUSTED_TYPES = (
    "iactdl.labelnoise.correction.MenonCorrection",
    "iactdl.labelnoise.baselines.OnOffModel",
)
# model.json's loader (iactdl.models.load_model)
LOADER = "iactdl.labelnoise.baselines:load_onoff_baseline"


def load_onoff_baseline(model_dir: str | os.PathLike) -> OnOffModel:
    """The ON/OFF baseline in ``model_dir`` (its ``model.json`` names this loader).

    Parameters
    ----------
    model_dir : str or os.PathLike
        The model's folder.

    Returns
    -------
    OnOffModel
        The model, loaded through skops with the trusted types of this module.
    """
    return load_baseline(model_dir, trusted=TRUSTED_TYPES)


def base_entry(entry: Mapping) -> dict:
    """The entry without its ``labelnoise`` section: what builds the estimator (and the oracle).

    Parameters
    ----------
    entry : Mapping
        A model entry of ``config.yaml: models``.

    Returns
    -------
    dict
        A copy of ``entry`` without the key ``labelnoise``.
    """
    return {k: v for k, v in entry.items() if k != "labelnoise"}


@dataclass
class OnOffModel(BaselineModel):
    """A baseline fitted on ON/OFF labels: ``gammaness`` corrected, ``p_on`` as fitted.

    Parameters
    ----------
    name, task, features, estimator, derived_features
        As for :class:`~iactdl.models.baselines.BaselineModel`; the estimator is fitted on the
        ON/OFF labels.
    correction : MenonCorrection, optional
        The label-noise correction of its ``P(ON | x)``.
    """

    correction: MenonCorrection | None = None

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Corrected gammaness and ``P(ON | x)`` of a chunk of events.

        Parameters
        ----------
        columns : Mapping of str to numpy.ndarray
            The model's ``required_columns`` of a chunk of events.

        Returns
        -------
        dict of str to numpy.ndarray
            ``gammaness`` (:func:`~iactdl.labelnoise.correction.menon_correction` of ``p_on``) and
            ``p_on`` (as fitted), float32 per event.
        """
        p_on = self.predict_array(self.design_matrix(columns))
        gammaness = menon_correction(p_on, self.correction)
        return {"gammaness": gammaness.astype(np.float32), "p_on": p_on.astype(np.float32)}


def _design(model: BaselineModel, path, extra: list[str]):
    have = column_names(path)
    needed = list(dict.fromkeys(model.required_columns + extra))
    missing = [c for c in needed if c not in have]
    if missing:
        raise InputError(
            f"{path}: model '{model.name}' needs column(s) {missing}; the file has {have}"
        )
    cols = read_columns(path, needed)
    return model.design_matrix(cols, source=str(path)), cols


def _estimates(eta, s, settings) -> dict:
    """Every flip-rate estimate from held-out P(ON|x), or why it failed."""
    out = {}
    for method in ("anchor", "range"):
        try:
            corr = estimate_noise_rates(
                eta, s, method=method, quantiles=tuple(settings["quantiles"]),
                anchor_fraction=settings["anchor_fraction"],
                rho_plus=0.0 if method == "anchor" else None,
            )  # fmt: skip
            out[method] = corr
        except NoiseEstimationError as err:
            out[method] = err
    return out


def correction_record(
    name: str,
    settings: Mapping,
    alpha: float,
    eta_heldout,
    s,
    heldout: str,
    signal_leak_path: str | os.PathLike | None = None,
) -> tuple[MenonCorrection, dict]:
    """The correction ``settings`` choose and the ``labelnoise`` record of ``model.json``.

    The alpha-free estimates (anchor, range) come from the held-out predictions, known alpha from
    ``alpha`` and, where ``signal_leak_path`` is given, ``rho_plus`` from the simulated
    point-like gammas (:mod:`iactdl.labelnoise.leak`; no observed truth), else 0.

    Parameters
    ----------
    name : str
        The model, named in errors.
    settings : Mapping
        The entry's ``labelnoise`` section (:func:`labelnoise_settings`).
    alpha : float
        ``1 / n_off_regions`` of the training set.
    eta_heldout : array_like
        ``P(ON | x)`` of events the model was not fitted on (a baseline's out-of-fold
        predictions, a net's on observed_val).
    s : array_like
        Their ON/OFF labels (1 ON, 0 OFF).
    heldout : str
        Which events ``eta_heldout`` are, recorded.
    signal_leak_path : str or os.PathLike, optional
        Rule ``signal_leak``'s json: the known-alpha correction's ``rho_plus``.

    Returns
    -------
    correction : MenonCorrection
        The correction that ``settings`` choose.
    record : dict
        The flip rates (known, estimated, used) and the prior, for ``model.json``.

    Raises
    ------
    NoiseEstimationError
        The chosen estimate gives no valid correction.
    """
    estimates = _estimates(eta_heldout, s, settings)
    rho_plus, rho_plus_std, leak = 0.0, 0.0, "assumed 0 (no signal leak file)"
    if signal_leak_path is not None:
        rho_plus, rho_plus_std = read_signal_leak(signal_leak_path)
        leak = f"{signal_leak_path} (simulated point-like gammas)"
    known = MenonCorrection.from_alpha(alpha, rho_plus, rho_plus_std)
    chosen = (
        known if settings["noise_rates"] == "known_alpha" else estimates[settings["noise_rates"]]
    )
    if isinstance(chosen, Exception):
        raise NoiseEstimationError(f"model '{name}': {chosen}")
    _, clipped = chosen(eta_heldout)
    log.info("model %s: correction %s; held-out clipped %s", name, chosen.to_dict(), clipped)
    return chosen, {
        "settings": dict(settings),
        "alpha": alpha,
        "prior": PRIOR,
        "correction": chosen.to_dict(),
        "known_alpha": known.to_dict(),
        "rho_plus_from": leak,
        "estimated_from": heldout,
        "estimated": {
            k: (v.to_dict() if isinstance(v, MenonCorrection) else {"error": str(v)})
            for k, v in estimates.items()
        },
        "clipped_heldout": clipped,
    }


def _why_constant(estimator, n_events: int) -> str:
    """Why a fitted estimator predicts one value, as far as its fitted state tells (trees)."""
    predictors = getattr(estimator, "_predictors", None)  # histogram gradient boosting
    if not predictors:
        return "the estimator found no feature that separates ON from OFF events"
    leaves = max(p.get_n_leaf_nodes() for tree in predictors for p in tree)
    if leaves > 1:
        return (
            f"the fit on all {n_events} events has trees of up to {leaves} leaves; the "
            "cross-validation's fits, on fewer events each, had none"
        )
    params = estimator.get_params()
    min_leaf = int(params["min_samples_leaf"])
    n_fit, held = n_events, ""
    fraction = params.get("validation_fraction")
    # the fitted flag, not the rule behind early_stopping="auto" (sklearn's to change)
    if getattr(estimator, "do_early_stopping_", False) and fraction is not None:
        n_val = int(fraction) if fraction >= 1 else math.ceil(fraction * n_events)
        n_fit = n_events - n_val
        held = f" ({n_events} minus {n_val} held out by validation_fraction {fraction})"
    why = (
        f"every one of its {estimator.n_iter_} trees is a single leaf (early stopping ended "
        "the fit when no tree improved the loss)"
    )
    if n_fit < 2 * min_leaf:
        return (
            f"{why}: min_samples_leaf = {min_leaf} allows a split only with >= {2 * min_leaf} "
            f"events, and the trees were fitted on {n_fit}{held}; lower min_samples_leaf (config "
            "models.<name>.params) or train on a longer observation"
        )
    return f"{why}: no split of these {n_fit} events lowers the loss enough"


def fit_onoff_baseline(
    train: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
    signal_leak_path: str | os.PathLike | None = None,
) -> OnOffModel:
    """Fit a baseline entry with a ``labelnoise`` section on the ON/OFF labels of ``train``.

    Writes ``model.skops`` (:class:`OnOffModel`), ``cv.csv`` (out-of-fold ``P(ON|x)``) and
    ``model.json`` (last) with the flip rates: known from alpha, estimated (anchor, range), the
    one the correction uses, and the prior the corrected posterior refers to.

    Parameters
    ----------
    train : str or os.PathLike
        The observed training split (``region`` column, ``n_off_regions`` attribute; no truth).
    model_dir : str or os.PathLike
        The folder to write.
    name : str
        The model's name.
    entry : Mapping
        Its entry of ``config.yaml: models``.
    seed : int
        Seed of the estimator and of the folds.
    threads : int
        Threads of the estimator.
    signal_leak_path : str or os.PathLike, optional
        Rule ``signal_leak``'s json: ``rho_plus`` of the known-alpha correction (else 0).

    Returns
    -------
    OnOffModel
        The fitted model, as written.
    """
    entry = json.loads(json.dumps(dict(entry)))
    settings = labelnoise_settings(name, entry)
    base = build_baseline(name, base_entry(entry), seed=seed, threads=threads)
    check_source_independent(base.required_columns, f"config models.{name}")
    alpha = alpha_from_attrs(data_attrs(train), str(train))
    x, cols = _design(base, train, ["region", "event_id"])
    labelled = np.asarray(cols["region"]) != NO_REGION  # outside every theta^2 region: no label
    x, cols = x[labelled], {k: np.asarray(v)[labelled] for k, v in cols.items()}
    s = onoff_labels(cols["region"], alpha, str(train))
    log.info("model %s: %d ON, %d OFF events, alpha = %.4g", name, s.sum(), (s == 0).sum(), alpha)
    t0 = time.perf_counter()
    with threadpool_limits(threads):
        oof, fold, scores = cross_validate(base, x, s, entry.get("cv_folds", 5), seed)
        base.estimator.fit(x, s)
        fitted = base.predict_array(x)
    # held-out and fitted predictions, no truth: a model with one value for all events ranks
    # nothing (the tables downstream, which find it again on observed_val, mark it unscored);
    # each fold has its own constant (its ON fraction), so the folds are judged one by one
    fold_constant = all(constant_score(oof[fold == k]) for k in np.unique(fold))
    constant = constant_score(
        fitted, f"model {name}: P(ON | x) of the fit on all its training events"
    )
    if constant is None and fold_constant:
        constant = f"model {name}: every cross-validation fold predicts one P(ON | x) value"
    if constant is not None:
        log.warning(
            "%s; trained on %d ON/OFF events (%d ON, %d OFF, alpha = %.4g): %s", constant,
            len(s), s.sum(), (s == 0).sum(), alpha, _why_constant(base.estimator, len(s)),
        )  # fmt: skip
    chosen, record = correction_record(
        name, settings, alpha, oof, s, "out-of-fold", signal_leak_path
    )
    fields = ("name", "task", "features", "estimator", "derived_features")
    model = OnOffModel(**{k: getattr(base, k) for k in fields}, correction=chosen)
    meta = baseline_record(
        name, model, entry, n_train=len(s), seed=seed, threads=threads,
        fit_seconds=time.perf_counter() - t0, labels="on_off", n_on=int(s.sum()),
        n_off=int((s == 0).sum()),
        cv=summarise_cv(scores),  # ROC AUC of ON against OFF (noisy labels)
        labelnoise=record,
        constant_model=constant,  # None, or why its predictions rank nothing
        loader=LOADER,  # iactdl.models.load_model: with the correction's types trusted
    )  # fmt: skip
    cv = pd.DataFrame(
        {"event_id": cols["event_id"], "fold": fold, "target": s, "oof_prediction": oof}
    )
    save_baseline(Path(model_dir), model, meta, cv)  # model.skops, cv.csv, model.json (SHA-256)
    return model


def fit_onoff_oracle(
    train: str | os.PathLike,
    truth: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
) -> BaselineModel:
    """Reference only: the same estimator on the truth of the same ``train`` events.

    An oracle rule: it reads the observation's hidden truth.

    Parameters
    ----------
    train : str or os.PathLike
        The observed training split.
    truth : str or os.PathLike
        The observation's hidden truth file (``event_id``, ``particle_id``); every train event must
        be in it.
    model_dir : str or os.PathLike
        The folder to write (``model.skops``, a plain baseline, and ``model.json``).
    name : str
        The model's name.
    entry : Mapping
        Its entry of ``config.yaml: models`` (the ``labelnoise`` section is ignored).
    seed : int
        Seed of the estimator.
    threads : int
        Threads of the estimator.

    Returns
    -------
    iactdl.models.baselines.BaselineModel
        The fitted model, as written.
    """
    entry = json.loads(json.dumps(dict(entry)))
    labelnoise_settings(name, entry)
    base = build_baseline(name, base_entry(entry), seed=seed, threads=threads)
    x, cols = _design(base, train, ["event_id"])
    hidden = read_observed_truth(truth, cols["event_id"], (), events_path=train)
    y = hidden["is_gamma"].astype(np.int64)
    t0 = time.perf_counter()
    with threadpool_limits(threads):
        base.estimator.fit(x, y)
    meta = baseline_record(
        f"{name}_oracle", base, base_entry(entry), n_train=len(y), seed=seed, threads=threads,
        fit_seconds=time.perf_counter() - t0, labels="truth (oracle, reference only)",
        n_gamma=int(y.sum()),
    )  # fmt: skip
    save_baseline(Path(model_dir), base, meta, None)
    return base
