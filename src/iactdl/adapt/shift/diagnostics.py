"""Rule ``shift_diagnostics``: how the observation differs from the simulation, without its truth.

Hadron class (covariate and concept shift of the background): the observed OFF events are hadrons
only, so OFF (``region`` 1..n_off of ``observed_train``) against the simulated protons of the
training split compares one class across the two domains with no truth at all. Per input:

- the feature table (every 1-D image feature both files have, or ``shift.features``): KS and
  Wasserstein per column (:mod:`.twosample`) and one domain classifier on all columns together;
- the pixel-level inputs (``pixel_set`` channels x, y, charge, time, plus the event-relative time
  and the number of pixels; :mod:`.pixels`): the same statistics on the pooled pixels, and a domain
  classifier per channel on its per-event summaries, so the AUCs rank the channels too.

Importance weights: the domain classifier of the whole training split against the whole of
``observed_train`` (:func:`.domain.domain_weights`), as adaptation by importance weighting will use
it: its AUC, clipping and effective sample size.

Label shift: the gamma fraction of ``observed_train`` overall, in ON and in OFF by quantification
from a source-only baseline (its out-of-fold training predictions give the source prior and the
rates) and by the ON - alpha OFF excess (:mod:`.quantify`). The hidden truth is put beside these
estimates by the evaluation (:func:`iactdl.adapt.shift.evaluation.evaluate_shift`), never here.

Only ``observed_train`` is read (never ``observed_val``/``_test``). Large samples are subsampled
(seeded) to ``max_events`` per domain for the statistics and classifiers; the quantifiers use
every observed event, predicted chunk by chunk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from iactdl.adapt.shift.domain import domain_classifier, domain_weights
from iactdl.adapt.shift.files import read_rows, subsample, write_csv, write_samples
from iactdl.adapt.shift.pixels import (
    pixel_channel_summaries,
    pixel_channel_values,
)
from iactdl.adapt.shift.quantify import quantify_gamma_fraction
from iactdl.adapt.shift.twosample import two_sample_table
from iactdl.features.columns import FEATURE_UNITS, IMAGE_PRODUCTS
from iactdl.io import InputError, column_names, iter_chunks, read_attrs, read_columns, write_json

__all__ = ["SHIFT_DEFAULTS", "check_shift_config", "default_shift_features", "shift_diagnostics"]

log = logging.getLogger(__name__)

# mirrors workflow/schemas/config.schema.yaml: shift (defaults for library use)
SHIFT_DEFAULTS = {
    "features": None,
    "quantifier_model": "hist_gbt",
    "threshold": 0.5,
    "max_events": 20000,
    "max_pixels": 200000,
    "cv_folds": 5,
    "domain_classifier": {},
    "weight_clip": 20.0,
    "n_bootstrap": 100,
    "n_top": 6,
}
# not inputs of a model: identifiers, labels, ON/OFF bookkeeping, the cleaning flag
NOT_FEATURES = {"clean_ok"}
HADRON_SAMPLES = (b"proton",)


# (key, lowest, highest) of the numeric keys; None = open
_RANGES = {
    "threshold": (0.0, 1.0),
    "max_events": (10, None),
    "max_pixels": (100, None),
    "cv_folds": (2, 20),
    "n_bootstrap": (0, None),
    "n_top": (1, 24),
}


def check_shift_config(config: Mapping | None, models: Mapping | None = None) -> dict:
    """The full ``shift`` section (``config`` over :data:`SHIFT_DEFAULTS`), checked.

    Used by :func:`shift_diagnostics` and the workflow's validation step
    (:func:`iactdl.config.check_config`).

    Parameters
    ----------
    config : Mapping, optional
        The config's ``shift`` section.
    models : Mapping, optional
        The config's models, to check ``quantifier_model`` against.

    Returns
    -------
    dict
        Every setting of the section.

    Raises
    ------
    ValueError
        Naming the key, for an unknown key, a value out of range, an unknown hyper-parameter of
        the domain classifier, or (with ``models``) a ``quantifier_model`` that is not a
        source-only separation baseline.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    cfg = {**SHIFT_DEFAULTS, **dict(config or {})}
    unknown = sorted(set(cfg) - set(SHIFT_DEFAULTS))
    if unknown:
        raise ValueError(f"shift: unknown key(s) {unknown}; valid keys: {sorted(SHIFT_DEFAULTS)}")
    for key, (lo, hi) in _RANGES.items():
        v = cfg[key]
        if not isinstance(v, int | float) or isinstance(v, bool) or v < lo or (hi and v > hi):
            raise ValueError(f"shift.{key}: {v!r} is outside [{lo}, {hi if hi else 'inf'}]")
    if not cfg["weight_clip"] > 1:
        raise ValueError(f"shift.weight_clip: {cfg['weight_clip']!r} must be > 1 (x the mean)")
    valid = set(HistGradientBoostingClassifier().get_params())
    bad = sorted(set(cfg["domain_classifier"] or {}) - valid)
    if bad:
        raise ValueError(
            f"shift.domain_classifier: unknown hyper-parameter(s) {bad} of "
            f"HistGradientBoostingClassifier; valid: {sorted(valid)}"
        )
    if models is not None:
        name = cfg["quantifier_model"]
        entry = models.get(name) or {}
        if entry.get("kind") != "baseline" or entry.get("task") != "separation":
            baselines = sorted(
                n
                for n, e in models.items()
                if e.get("kind") == "baseline" and e.get("task") == "separation"
            )
            raise ValueError(
                f"shift.quantifier_model: {name!r} is not a separation baseline of models (those "
                f"are {baselines}); its out-of-fold predictions give the rates of adjusted "
                "classify-and-count"
            )
        # its cv.csv must hold predictions against the simulated truth (is_gamma), from a model
        # that saw the simulations as they are: not ON/OFF labels, not importance weights
        trained_otherwise = [k for k in ("labelnoise", "adapt") if entry.get(k) is not None]
        if trained_otherwise:
            raise ValueError(
                f"shift.quantifier_model: {name!r} has `{trained_otherwise[0]}`; the quantifiers "
                "need a source-only classifier trained on the simulated truth (its out-of-fold "
                "gamma predictions give the rates of adjusted classify-and-count)"
            )
    return cfg


def default_shift_features(source_columns, target_columns) -> list[str]:
    """Every 1-D image feature (:data:`~iactdl.features.columns.FEATURE_UNITS`) in both files.

    Parameters
    ----------
    source_columns, target_columns : iterable of str
        The columns of the two files.

    Returns
    -------
    list of str
        The features compared, in the order of the feature table.
    """
    both = set(source_columns) & set(target_columns)
    return [
        c for c in FEATURE_UNITS if c in both and c not in IMAGE_PRODUCTS and c not in NOT_FEATURES
    ]


def _n_off_regions(path) -> int:
    n_off = int(read_attrs(path).get("n_off_regions", 0))
    if n_off < 1:
        raise InputError(
            f"{path}: attribute 'n_off_regions' missing or < 1; the OFF regions (and alpha = "
            "1 / n_off_regions) of the observation are undefined"
        )
    return n_off


def _matrix(columns: Mapping[str, np.ndarray], names) -> np.ndarray:
    x = np.column_stack([np.asarray(columns[c], dtype=np.float64) for c in names])
    x[~np.isfinite(x)] = np.nan
    return x


def _hadron_rows(source, have) -> np.ndarray:
    """Rows of the simulated protons in the training split (``is_gamma == 0``)."""
    if "is_gamma" not in have:
        raise InputError(f"{source}: needs the label column 'is_gamma'; it has {sorted(have)}")
    cols = read_columns(source, ["is_gamma"] + (["sample"] if "sample" in have else []))
    hadron = np.asarray(cols["is_gamma"]) == 0
    if "sample" in cols:  # gamma_diffuse etc. are gammas; only the proton sample is the class
        hadron &= np.isin(cols["sample"], HADRON_SAMPLES)
    return np.flatnonzero(hadron)


def _quantifier_scores(model_dir, observed, chunk_size: int = 65536):
    """Out-of-fold (label, gammaness) of the baseline's training set and its gammaness on every
    observed event, predicted chunk by chunk."""
    from iactdl.models import load_model, read_model_info

    model_dir = Path(model_dir)
    info = read_model_info(model_dir)
    if info.get("kind") != "baseline" or info.get("task") != "separation":
        raise InputError(
            f"{model_dir}/model.json: the quantifier must be a separation baseline (its "
            f"out-of-fold predictions give the rates of ACC), got kind {info.get('kind')!r}, task "
            f"{info.get('task')!r}; set shift.quantifier_model"
        )
    cv_path = model_dir / "cv.csv"
    cv = pd.read_csv(cv_path)
    missing = [c for c in ("target", "oof_prediction") if c not in cv]
    if missing:
        raise InputError(f"{cv_path}: missing column(s) {missing}; it has {list(cv.columns)}")
    model = load_model(model_dir)
    scores = [
        np.asarray(model.predict(chunk)["gammaness"], dtype=np.float64)
        for chunk in iter_chunks(observed, chunk_size, model.required_columns)
    ]
    return cv["target"].to_numpy(), cv["oof_prediction"].to_numpy(), np.concatenate(scores)


def _hadron_shift_features(source, observed, names, src_rows, off_rows, cfg, seed, threads):
    s = read_rows(source, names, src_rows)
    t = read_rows(observed, names, off_rows)
    table = two_sample_table(s, t)
    dc = domain_classifier(
        _matrix(s, names),
        _matrix(t, names),
        cv_folds=cfg["cv_folds"],
        seed=seed,
        params=cfg["domain_classifier"],
        threads=threads,
    )
    log.info(
        "hadron shift, feature table: domain AUC %.4f on %d inputs; top: %s",
        dc.auc,
        len(names),
        table[["input", "ks"]].head(5).to_dict("records"),
    )
    return table, dc, (s, t)


def _hadron_shift_pixels(source, observed, src_rows, off_rows, cfg, seed, threads):
    cols = ["pixel_set", "pixel_set_mask"]
    s = read_rows(source, cols, src_rows)
    t = read_rows(observed, cols, off_rows)
    sv = pixel_channel_values(s["pixel_set"], s["pixel_set_mask"], cfg["max_pixels"], seed)
    tv = pixel_channel_values(t["pixel_set"], t["pixel_set_mask"], cfg["max_pixels"], seed + 1)
    table = two_sample_table(sv, tv)
    ss = pixel_channel_summaries(s["pixel_set"], s["pixel_set_mask"])
    ts = pixel_channel_summaries(t["pixel_set"], t["pixel_set_mask"])
    kw = dict(cv_folds=cfg["cv_folds"], seed=seed, params=cfg["domain_classifier"], threads=threads)
    aucs = {name: domain_classifier(ss[name], ts[name], **kw) for name in ss}
    # all channels except the derived ones (whose information the others already hold)
    all_names = [n for n in ss if n != "relative_time"]
    every = domain_classifier(
        np.hstack([ss[n] for n in all_names]), np.hstack([ts[n] for n in all_names]), **kw
    )
    table["domain_auc"] = table["input"].map({n: dc.auc for n, dc in aucs.items()})
    table["domain_auc_std"] = table["input"].map({n: dc.auc_std for n, dc in aucs.items()})
    log.info(
        "hadron shift, pixel channels: domain AUC %.4f (all), per channel %s",
        every.auc,
        {n: round(dc.auc, 4) for n, dc in aucs.items()},
    )
    return table, every, (sv, tv)


def shift_diagnostics(
    *,
    source: str | os.PathLike,
    observed: str | os.PathLike,
    quantifier_dir: str | os.PathLike,
    outputs: Mapping[str, str | os.PathLike],
    observed_images: str | os.PathLike | None = None,
    config: Mapping | None = None,
    seed: int = 0,
    threads: int = 1,
) -> dict:
    """Run every shift diagnostic and write its outputs.

    Parameters
    ----------
    source : str or os.PathLike
        The simulated training split (``results/datasets/train.h5``).
    observed : str or os.PathLike
        ``results/datasets/observed_train.h5`` (unlabelled; ``region`` and ``n_off_regions``).
    quantifier_dir : str or os.PathLike
        The model directory of the source-only separation baseline that quantifies.
    outputs : Mapping of str to str or os.PathLike
        ``json`` (the diagnostics), ``features`` and ``pixels`` (ranked CSV tables), ``samples``
        (the compared values of the top ``n_top`` features and of every pixel channel, .npz, for
        :func:`iactdl.adapt.shift.figures.plot_shift_diagnostics`); each optional.
    observed_images : str or os.PathLike, optional
        ``observed_train_images.h5``: the observed_train events with their pixel sets, when
        ``observed`` carries features only; default ``observed``.
    config : Mapping, optional
        The ``shift`` config section (defaults: :data:`SHIFT_DEFAULTS`).
    seed : int
        The rule's seed (subsamples, folds, bootstrap).
    threads : int
        Cores.

    Returns
    -------
    dict
        What the ``json`` output holds: the inputs, ``n_off_regions``, ``alpha``, the settings,
        ``hadron_shift`` (features and pixels: domain classifier and two-sample table),
        ``label_shift`` (:func:`~iactdl.adapt.shift.quantify.quantify_gamma_fraction`) and
        ``importance_weights``.

    Raises
    ------
    InputError
        Observed events without ``region``, configured features missing, no common feature,
        fewer protons or OFF events than ``cv_folds``, or predictions that do not match the
        events.
    """
    cfg = check_shift_config(config)
    cfg["domain_classifier"] = dict(cfg.get("domain_classifier") or {})
    src_have, obs_have = set(column_names(source)), set(column_names(observed))
    if "region" not in obs_have:
        raise InputError(
            f"{observed}: observed events need the ON/OFF column 'region'; it has "
            f"{sorted(obs_have)}"
        )
    n_off = _n_off_regions(observed)
    region = np.asarray(read_columns(observed, ["region"])["region"])
    names = list(cfg["features"] or default_shift_features(src_have, obs_have))
    missing = [c for c in names if c not in src_have or c not in obs_have]
    if missing:
        raise InputError(
            f"config shift.features: column(s) {missing} missing in {source} or "
            f"{observed} (source has {sorted(src_have)}, observed {sorted(obs_have)})"
        )
    if not names:
        raise InputError(f"{source}, {observed}: no common feature column to compare")

    hadrons = _hadron_rows(source, src_have)
    off = np.flatnonzero((region >= 1) & (region <= n_off))
    if hadrons.size < cfg["cv_folds"] or off.size < cfg["cv_folds"]:
        raise InputError(
            f"{source}: {hadrons.size} simulated protons, {observed}: {off.size} OFF "
            f"events; the hadron-shift diagnostics need >= cv_folds = "
            f"{cfg['cv_folds']} of each"
        )
    src_rows = subsample(hadrons, cfg["max_events"], seed)
    off_rows = subsample(off, cfg["max_events"], seed + 1)
    log.info(
        "hadron shift: %d of %d simulated protons vs %d of %d observed OFF events "
        "(n_off_regions %d)",
        src_rows.size,
        hadrons.size,
        off_rows.size,
        off.size,
        n_off,
    )
    feat_table, feat_dc, feat_samples = _hadron_shift_features(
        source, observed, names, src_rows, off_rows, cfg, seed, threads
    )
    result: dict = {
        "source": str(source),
        "observed": str(observed),
        "n_off_regions": n_off,
        "alpha": 1.0 / n_off,
        "seed": int(seed),
        "config": cfg,
        "hadron_shift": {
            "definition": "observed OFF events (hadrons only) against the simulated protons of "
            "the training split; domain AUC 0.5 = no shift, 1 = no overlap",
            "features": {
                "domain_classifier": feat_dc.summary(),
                "inputs": feat_table.to_dict("records"),
            },
        },
    }
    pix = None
    images = observed if observed_images is None else observed_images
    img_have = obs_have if observed_images is None else set(column_names(images))
    if {"pixel_set", "pixel_set_mask"} <= (src_have & img_have):
        img_region = region
        if observed_images is not None:
            img_region = np.asarray(read_columns(images, ["region"])["region"])
        img_off = subsample(
            np.flatnonzero((img_region >= 1) & (img_region <= n_off)), cfg["max_events"], seed + 1
        )
        pix_table, pix_dc, pix_samples = _hadron_shift_pixels(
            source, images, src_rows, img_off, cfg, seed, threads
        )
        pix = (pix_table, pix_dc, pix_samples)
        result["hadron_shift"]["pixels"] = {
            "observed": str(images),
            "domain_classifier": pix_dc.summary(),
            "channels": pix_table.to_dict("records"),
        }
    else:
        log.info("no pixel sets in both files (FACT DL2 input): pixel channels skipped")

    # importance weights of the whole training split (both classes) towards observed_train
    all_src = subsample(
        np.arange(len(read_columns(source, ["is_gamma"])["is_gamma"])), cfg["max_events"], seed + 2
    )
    all_obs = subsample(np.arange(region.size), cfg["max_events"], seed + 3)
    dw = domain_weights(
        _matrix(read_rows(source, names, all_src), names),
        _matrix(read_rows(observed, names, all_obs), names),
        clip=cfg["weight_clip"],
        cv_folds=cfg["cv_folds"],
        seed=seed,
        params=cfg["domain_classifier"],
        threads=threads,
    )
    result["importance_weights"] = {
        "definition": "domain classifier of the simulated training split (gammas and protons) "
        "against observed_train (ON and OFF) on the feature table; weights = clipped odds",
        **dw.summary(),
    }

    labels, oof, scores = _quantifier_scores(quantifier_dir, observed)
    if scores.size != region.size:
        raise InputError(f"{observed}: {scores.size} predictions for {region.size} events")
    label_shift = quantify_gamma_fraction(
        scores,
        region,
        n_off,
        labels,
        oof,
        threshold=cfg["threshold"],
        n_bootstrap=cfg["n_bootstrap"],
        seed=seed,
    )
    label_shift["model"] = Path(quantifier_dir).name
    check = label_shift.get("assumption_check", {})
    if not check.get("consistent", True):
        log.warning(
            "label-shift assumption broken: observed OFF events (hadrons only) pass gammaness "
            ">= %.2f at %.4f, simulated protons at %.4f (fpr); ACC and EM are biased, use the "
            "ON - alpha OFF excess (label_shift.*.onoff_excess) as the gamma fraction",
            cfg["threshold"],
            check["off_pass_rate"],
            check["source_fpr"],
        )
    result["label_shift"] = label_shift
    log.info(
        "label shift (gamma fraction of observed_train): %s",
        {
            k: {
                m: round(v["estimate"], 4) for m, v in label_shift[k].items() if isinstance(v, dict)
            }
            for k in ("all", "on", "off")
        },
    )

    out = {k: Path(v) for k, v in outputs.items()}
    if "features" in out:
        write_csv(out["features"], feat_table)
    if "pixels" in out and pix is not None:
        write_csv(out["pixels"], pix[0])
    elif "pixels" in out:  # no pixel sets: an empty table with the columns, so the output exists
        write_csv(out["pixels"], pd.DataFrame(columns=list(feat_table.columns) + ["domain_auc"]))
    if "samples" in out:
        top = list(feat_table["input"].iloc[: cfg["n_top"]])
        groups = {
            "features_source": {c: feat_samples[0][c] for c in top},
            "features_target": {c: feat_samples[1][c] for c in top},
        }
        if pix is not None:
            groups["pixels_source"], groups["pixels_target"] = pix[2]
        write_samples(out["samples"], groups, seed)
    if "json" in out:
        write_json(out["json"], result)  # last: its presence means the diagnostics are whole
    return result
