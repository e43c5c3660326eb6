"""Baselines: scikit-learn estimators on image parameters, fitted with k-fold cross-validation.

The lecture's first lesson (and FACT's practice, aict-tools): on structured features, logistic
regression and decision-tree ensembles do very well; every deep net is measured against them.

:func:`fit_baseline` checks the entry and the training file before fitting (unknown estimator or
hyper-parameter, a missing feature, missing truth, a single class), computes out-of-fold
predictions with k-fold cross-validation (stratified for separation), then fits the final model on
the whole training set. :class:`BaselineModel` carries the fitted estimator with the features it
reads and implements the common predict interface (``required_columns``, ``predict(columns)``).
Files in the model directory: ``model.skops`` (the fitted estimator, in skops' format, which
runs no code when read; loading trusts exactly :data:`TRUSTED_TYPES`), ``model.json`` (kind, task,
entry, features, CV scores and the SHA-256 of ``model.skops``, checked before loading) and
``cv.csv`` (out-of-fold predictions). The three are renamed into place together.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble._forest import BaseForest
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from iactdl import __version__
from iactdl.features.derived import compute_derived, derived_inputs
from iactdl.io import InputError, atomic_paths, column_names, n_events, read_columns, to_json
from iactdl.metrics import bias_resolution, roc_auc
from iactdl.models.entry import OUTPUTS, validate_model_entry
from iactdl.models.registry import check_hyperparameters, make_estimator
from iactdl.models.stored import model_file_record, verified_model_file

__all__ = [
    "BASELINE_DEFAULTS",
    "BASELINE_KEYS",
    "BaselineModel",
    "validate_baseline_entry",
    "build_baseline",
    "training_data",
    "cross_validate",
    "fit_estimator",
    "fit_baseline",
    "load_baseline",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "save_baseline",
    "baseline_record",
    "summarise_cv",
]

log = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
# Types in our saved models that skops does not trust by default: our own model classes (plain
# dataclasses, rebuilt from their fields; ON/OFF models of iactdl.fit.onoff carry a Menon
# correction), the tree structures of random forests and histogram boosting, and numpy dtypes (the
# imputer of the linear models). None runs code when read. Loading trusts these, nothing else.
TRUSTED_TYPES = (
    "iactdl.fit.labelnoise.MenonCorrection",
    "iactdl.fit.onoff.OnOffModel",
    "iactdl.models.baselines.BaselineModel",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)

# Defaults of a baseline entry's optional keys (the schema repeats them; tests/test_defaults.py)
# labelnoise: null = trained on simulations; a section makes an ON/OFF entry, which iactdl.fit.onoff
# trains after taking the section off (base_entry), never fit_baseline as it is; adapt: null = not
# adapted; a section makes an importance-weighted entry (iactdl.fit.importance), likewise
BASELINE_DEFAULTS = {
    "params": {},
    "derived_features": [],
    "cv_folds": 5,
    "labelnoise": None,
    "adapt": None,
}
BASELINE_KEYS = {"kind", "task", "estimator", "features", *BASELINE_DEFAULTS}


def validate_baseline_entry(name: str, entry: Mapping) -> None:
    """Check a baseline entry (common keys, then estimator, hyper-parameters, derived features)."""
    validate_model_entry(name, entry)
    where = f"config models.{name}"
    if entry["kind"] != "baseline":
        raise ValueError(f"{where}.kind: {entry['kind']!r} is not a baseline")
    unknown = sorted(set(entry) - BASELINE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown}; a baseline takes {sorted(BASELINE_KEYS)}"
        )
    if entry.get("labelnoise") is not None:
        raise ValueError(
            f"{where}.labelnoise: an ON/OFF entry, trained by iactdl.fit.onoff (rule train_onoff) "
            "on observed ON/OFF labels, not as a simulation-trained baseline"
        )
    if entry.get("adapt") is not None:
        raise ValueError(
            f"{where}.adapt: an adapted entry, trained by iactdl.fit.importance (rule "
            "train_adapted_baseline) with importance weights, not as a plain baseline"
        )
    if "estimator" not in entry:
        raise ValueError(f"{where}.estimator: missing")
    try:
        check_hyperparameters(entry["estimator"], entry["task"], entry.get("params"))
        derived_inputs(entry.get("derived_features", BASELINE_DEFAULTS["derived_features"]))
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    folds = entry.get("cv_folds", BASELINE_DEFAULTS["cv_folds"])
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"{where}.cv_folds: expected an integer >= 2, got {folds!r}")


@dataclass
class BaselineModel:
    """A fitted (or to-be-fitted) baseline and the columns it reads.

    ``predict(columns)`` returns ``{"gammaness": P(gamma)}`` for separation and
    ``{"energy_pred": E / TeV}`` for energy (the estimator regresses log10 E).
    """

    name: str
    task: str
    features: list[str]
    estimator: BaseEstimator
    derived_features: list[str] = field(default_factory=list)

    @property
    def required_columns(self) -> list[str]:
        cols = list(self.features)
        return cols + [c for c in derived_inputs(self.derived_features) if c not in cols]

    @property
    def feature_names(self) -> list[str]:
        return list(self.features) + list(self.derived_features)

    def design_matrix(self, columns: Mapping[str, np.ndarray], source: str = "input") -> np.ndarray:
        """(n, n_features) float64; infinities become NaN (the trees route them as missing)."""
        missing = [c for c in self.required_columns if c not in columns]
        if missing:
            raise InputError(
                f"{source}: model '{self.name}' needs column(s) {missing}; it has {sorted(columns)}"
            )
        parts = [np.asarray(columns[f], dtype=np.float64) for f in self.features]
        parts += list(compute_derived(columns, self.derived_features).values())
        bad = [f for f, p in zip(self.feature_names, parts, strict=True) if p.ndim != 1]
        if bad:
            raise InputError(f"{source}: feature(s) {bad} are not 1-D columns")
        x = np.column_stack(parts) if parts else np.empty((0, 0))
        x[~np.isfinite(x)] = np.nan
        return x

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        if isinstance(self.estimator, BaseForest):
            return forest_mean_prediction(self.estimator, x, self.task == "separation")
        if self.task == "separation":
            return self.estimator.predict_proba(x)[:, 1]
        return self.estimator.predict(x)  # log10(E / TeV)

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        raw = self.predict_array(self.design_matrix(columns))
        if self.task == "energy":
            raw = 10.0**raw
        return {OUTPUTS[self.task]: raw.astype(np.float32)}


def forest_mean_prediction(
    forest: BaseForest, x: np.ndarray, proba: bool, block_rows: int = 16384
) -> np.ndarray:
    """The forest's prediction (P(class 1), or the regression), its trees summed in tree order.

    scikit-learn's forests add each tree's prediction to a shared sum in whichever order their
    threads finish, so the last bits of a prediction (and a CV score in the fifth digit) change
    from run to run. Here the trees still predict in parallel (``forest.n_jobs`` threads), but
    the sum runs in tree order: same seed, same bytes. Rows go in blocks, so memory stays
    ``block_rows x n_trees`` values.
    """
    x = np.asarray(x, dtype=np.float32)  # the trees' own dtype (sklearn converts the same way)
    trees = forest.estimators_

    def one_tree(tree, rows):
        if proba:
            return tree.predict_proba(rows, check_input=False)[:, 1]
        return tree.predict(rows, check_input=False)

    out = np.empty(len(x), dtype=np.float64)
    with Parallel(n_jobs=forest.n_jobs, prefer="threads") as parallel:
        for start in range(0, len(x), block_rows):
            rows = np.ascontiguousarray(x[start : start + block_rows])
            parts = parallel(delayed(one_tree)(tree, rows) for tree in trees)
            total = np.zeros(len(rows), dtype=np.float64)
            for part in parts:  # tree order, whatever order the threads finished in
                total += part
            out[start : start + len(rows)] = total / len(trees)
    return out


def build_baseline(name: str, entry: Mapping, seed: int | None = None, threads: int = 1):
    """An unfitted :class:`BaselineModel` from a validated config entry."""
    validate_baseline_entry(name, entry)
    estimator = make_estimator(
        entry["estimator"], entry["task"], entry.get("params"), seed=seed, n_jobs=threads
    )
    return BaselineModel(
        name=name,
        task=entry["task"],
        features=list(entry["features"]),
        estimator=estimator,
        derived_features=list(entry.get("derived_features", BASELINE_DEFAULTS["derived_features"])),
    )


def training_data(model: BaselineModel, path: str | os.PathLike):
    """Read the design matrix and target of ``path`` for ``model.task``; check before fitting.

    Returns ``(x, y, event_id)``: separation -> y = ``is_gamma`` (0/1); energy -> the gammas only,
    y = log10(``true_energy`` / TeV). Raises :class:`InputError` naming the file and the missing
    column (with what the file has) and ``ValueError`` for a training set a fit cannot use.
    """
    have = column_names(path)
    missing = [c for c in model.required_columns if c not in have]
    if missing:
        raise InputError(
            f"{path}: model '{model.name}' needs feature column(s) {missing}; the file has {have}"
        )
    truth = "is_gamma" if model.task == "separation" else "true_energy"
    if truth not in have:
        raise InputError(
            f"{path}: task '{model.task}' of model '{model.name}' needs the truth column "
            f"'{truth}', which the file lacks (it has {have})"
        )
    extra = [c for c in ("is_gamma", "event_id") if c in have and c != truth]
    cols = read_columns(path, list(dict.fromkeys(model.required_columns + [truth] + extra)))
    x = model.design_matrix(cols, source=str(path))
    n = len(x)
    event_id = cols.get("event_id", np.arange(n))
    if model.task == "separation":
        y = np.asarray(cols["is_gamma"]).astype(np.int64)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"{path}: model '{model.name}': the training set has a single class "
                f"(is_gamma == {classes.tolist()} for all {n} events); separation needs gammas "
                "and hadrons"
            )
    else:
        keep = np.asarray(cols["is_gamma"]).astype(bool) if "is_gamma" in cols else np.ones(n, bool)
        energy = np.asarray(cols["true_energy"], dtype=np.float64)
        keep &= np.isfinite(energy) & (energy > 0)
        x, event_id, y = x[keep], event_id[keep], np.log10(energy[keep])
        if len(y) < 2:
            raise ValueError(
                f"{path}: model '{model.name}': {len(y)} gamma(s) with a valid true_energy; "
                "the energy task needs gammas"
            )
    return x, y, np.asarray(event_id)


def fit_estimator(estimator: BaseEstimator, x, y, sample_weight=None) -> BaseEstimator:
    """``estimator.fit(x, y)``, each event's loss weighted by ``sample_weight`` if given (a
    pipeline passes them to its final step: the imputer and scaler stay unweighted)."""
    if sample_weight is None:
        return estimator.fit(x, y)
    if isinstance(estimator, Pipeline):
        return estimator.fit(x, y, **{f"{estimator.steps[-1][0]}__sample_weight": sample_weight})
    return estimator.fit(x, y, sample_weight=sample_weight)


def _scores(task: str, y: np.ndarray, pred: np.ndarray, weight=None) -> dict[str, float]:
    """Fold scores: ROC AUC for separation (each event counted ``weight`` times if given);
    bias, resolution (68 % containment) for energy."""
    if task == "separation":
        return {"roc_auc": float(roc_auc(y, pred, sample_weight=weight))}
    if weight is not None:
        raise ValueError("weighted scores: task separation only")
    bias, res = bias_resolution(10.0**y, 10.0**pred)
    return {"bias": float(bias), "resolution": float(res)}


def cross_validate(model: BaselineModel, x, y, n_folds: int = 5, seed: int = 0, sample_weight=None):
    """Out-of-fold predictions and per-fold scores with k-fold CV (stratified for separation).

    Returns ``(oof, fold, scores)``: the prediction of each event by the model that did not see it,
    its fold number and a list of score dicts, one per fold. With ``sample_weight`` (one per
    event), every fold is fitted and scored with the weights of its events.
    """
    if model.task == "separation":
        counts = np.bincount(y)
        if counts.min() < n_folds:
            raise ValueError(
                f"model '{model.name}': {counts.min()} events in the smaller class, fewer than "
                f"cv_folds = {n_folds}"
            )
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    else:
        if len(y) < n_folds:
            raise ValueError(f"model '{model.name}': {len(y)} events, fewer than {n_folds} folds")
        splitter = KFold(n_folds, shuffle=True, random_state=seed)
    oof = np.empty(len(y), dtype=np.float64)
    fold = np.empty(len(y), dtype=np.int64)
    scores = []

    def w(rows):
        return None if sample_weight is None else sample_weight[rows]

    for k, (tr, te) in enumerate(splitter.split(x, y)):
        est = fit_estimator(clone(model.estimator), x[tr], y[tr], w(tr))
        part = BaselineModel(model.name, model.task, model.features, est, model.derived_features)
        oof[te] = part.predict_array(x[te])
        fold[te] = k
        scores.append(_scores(model.task, y[te], oof[te], w(te)))
        log.info("model %s fold %d/%d: %s", model.name, k + 1, n_folds, scores[-1])
    return oof, fold, scores


def summarise_cv(scores: list[dict]) -> dict:
    """Per-fold scores and, per score, their mean and standard deviation (``model.json: cv``)."""
    out = {"folds": scores}
    for key in scores[0]:
        vals = np.array([s[key] for s in scores])
        out[key] = float(vals.mean())
        out[f"{key}_std"] = float(vals.std())
    return out


def fit_baseline(
    train: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
    val: str | os.PathLike | None = None,
    *,
    sample_weight: np.ndarray | None = None,
    val_weight: np.ndarray | None = None,
    record: Mapping | None = None,
) -> BaselineModel:
    """Validate, cross-validate, fit and save one baseline into ``model_dir``.

    Parameters
    ----------
    train, val : path
        Dataset files (``results/datasets/{split}.h5``); ``val`` is only scored, never fitted.
    model_dir : path
        Receives ``model.skops``, ``model.json``, ``cv.csv`` (renamed into place together, so
        either all three are complete or none is new).
    name, entry : str, mapping
        The model's name and config entry.
    seed : int
        The rule's seed: CV folds and the estimator's ``random_state``.
    threads : int
        Cores to use (``n_jobs`` of forests, OpenMP threads of histogram boosting).
    sample_weight, val_weight : arrays, optional
        One weight per event of ``train`` and ``val`` (task separation; e.g. importance weights,
        :mod:`iactdl.fit.importance`): the CV folds and the final model are fitted with them, and
        ``cv`` and ``val`` in ``model.json`` are weighted scores (the unweighted ones beside them
        as ``cv_unweighted``, ``val_unweighted``); ``cv.csv`` gains a ``weight`` column.
    record : mapping, optional
        Keys added to (or replacing those of) ``model.json``.
    """
    entry = json.loads(json.dumps(dict(entry)))  # plain types (Snakemake hands its own)
    model = build_baseline(name, entry, seed=seed, threads=threads)
    x, y, event_id = training_data(model, train)
    weighted = sample_weight is not None
    if weighted:
        sample_weight = _event_weights(sample_weight, len(y), train, model)
    log.info("model %s: %d training events, %d features", name, len(y), x.shape[1])
    t0 = time.perf_counter()
    extra = {}
    with threadpool_limits(threads):
        folds = entry.get("cv_folds", BASELINE_DEFAULTS["cv_folds"])
        oof, fold, scores = cross_validate(model, x, y, folds, seed, sample_weight)
        fit_estimator(model.estimator, x, y, sample_weight)
        val_scores = None
        if val is not None and n_events(val) > 0:
            xv, yv, _ = training_data(model, val)
            pv = model.predict_array(xv)
            if weighted and val_weight is not None:
                val_weight = _event_weights(val_weight, len(yv), val, model)
                extra["val_unweighted"] = _scores(model.task, yv, pv)
            val_scores = _scores(model.task, yv, pv, val_weight if weighted else None)
    if weighted:
        extra["cv_unweighted"] = summarise_cv(
            [_scores(model.task, y[fold == k], oof[fold == k]) for k in range(len(scores))]
        )
    fit_seconds = time.perf_counter() - t0
    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    cv = pd.DataFrame({"event_id": event_id, "fold": fold, "target": y, "oof_prediction": oof})
    if weighted:
        cv["weight"] = sample_weight
    meta = baseline_record(
        name, model, entry, n_train=len(y), seed=seed, threads=threads, fit_seconds=fit_seconds,
        cv=summarise_cv(scores), val=val_scores, **extra,
    )  # fmt: skip
    meta.update(record or {})
    save_baseline(out, model, meta, cv)
    log.info(
        "model %s: CV %s, val %s",
        name,
        {k: v for k, v in meta["cv"].items() if k != "folds"},
        val_scores,
    )
    return model


def _event_weights(weight, n: int, path, model: BaselineModel) -> np.ndarray:
    """``weight`` as float64, checked: one finite, non-negative weight per event of ``path``."""
    w = np.asarray(weight, dtype=np.float64)
    if model.task != "separation":
        raise ValueError(f"model '{model.name}': sample weights are for task separation only")
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            f"{path}: model '{model.name}': expected {n} finite, non-negative sample weights "
            f"(one per event, not all 0), got shape {w.shape}"
        )
    return w


def baseline_record(
    name: str, model: BaselineModel, entry: Mapping, *, n_train: int, seed: int, threads: int,
    fit_seconds: float, **extra,
) -> dict:  # fmt: skip
    """The ``model.json`` of a fitted baseline (plain, ON/OFF or oracle fit; :func:`save_baseline`
    adds the model file's SHA-256): what every fit records, then ``extra``, what this one adds."""
    return {
        "name": name,
        "kind": "baseline",
        "task": model.task,
        "entry": entry,
        "features": model.feature_names,
        "required_columns": model.required_columns,
        "n_train": int(n_train),
        "seed": int(seed),
        "threads": int(threads),
        "fit_seconds": fit_seconds,
        **extra,
        "iactdl_version": __version__,
    }


def save_baseline(
    model_dir: str | os.PathLike, model: BaselineModel, meta: Mapping, cv: pd.DataFrame | None
) -> dict:
    """Write ``model.skops`` (the model, skops), ``model.json`` (``meta`` plus the SHA-256 of the
    model file) and, if given, ``cv.csv``: all of them or none (:func:`iactdl.io.atomic_paths`).
    Returns the written ``model.json`` content."""
    out = Path(model_dir)
    meta = dict(meta)
    files = ([out / "cv.csv"] if cv is not None else []) + [out / MODEL_FILE, out / "model.json"]
    with atomic_paths(*files) as tmps:
        *cv_tmp, model_tmp, info_tmp = tmps
        if cv is not None:
            cv.to_csv(cv_tmp[0], index=False)
        skops.io.dump(model, model_tmp)
        meta["model_file"] = model_file_record(model_tmp, MODEL_FILE)
        info_tmp.write_text(json.dumps(to_json(meta), indent=2))  # to_json: NaN -> null
    return meta


def load_baseline(model_dir: str | os.PathLike) -> BaselineModel:
    """The fitted :class:`BaselineModel` (or subclass) saved by :func:`save_baseline`.

    ``model.skops`` is read only after its SHA-256 matched the one in ``model.json`` and only if
    every type skops does not trust by itself is one of :data:`TRUSTED_TYPES`.
    """
    info_path = Path(model_dir) / "model.json"
    if not info_path.is_file():
        raise InputError(f"{info_path}: file not found (train the baseline first)")
    try:
        info = json.loads(info_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{info_path}: not valid JSON ({err})") from None
    path = verified_model_file(model_dir, info)
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as err:  # noqa: BLE001  (any unreadable file: say which, and why)
        raise InputError(f"{path}: not a readable skops file ({err})") from err
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise InputError(
            f"{path}: holds types no baseline of ours has, refused: {unexpected} "
            f"(trusted: {list(TRUSTED_TYPES)})"
        )
    model = skops.io.load(path, trusted=untrusted)
    if not isinstance(model, BaselineModel):
        raise InputError(f"{path}: expected a BaselineModel, got {type(model).__name__}")
    return model
