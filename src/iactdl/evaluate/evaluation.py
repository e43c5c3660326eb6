"""One model's metrics from its predictions: ``results/metrics/{model}.json``.

Simulated test set: ROC AUC with a bootstrap uncertainty, working points at fixed gamma
efficiencies, Brier score and calibration (separation); bias and resolution per bin of true energy
and the migration matrix (energy, on gammas). Observed data: the gammaness cut chosen on the
simulated test set (never on the observation) and the Li & Ma significance of the ON/OFF excess.
The observed truth file (source ``simulate`` only) is read here with
:func:`iactdl.io.read_observed_truth` (which evaluation and the oracles alone call): it gives the
AUC and the energy resolution on the observed domain, the measure of the simulation-to-data shift.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from iactdl.evaluate.significance import (
    best_cut_expected_significance,
    li_ma_bootstrap_unc,
    onoff_counts,
)
from iactdl.io import (
    InputError,
    read_attrs,
    read_observed_truth,
    read_table,
    to_json,
    write_text_atomic,
)
from iactdl.io.jsonfile import read_json
from iactdl.metrics.energy import bias_resolution, binned_bias_resolution, migration_matrix
from iactdl.metrics.separation import (
    brier_score,
    calibration_curve,
    cut_at_gamma_efficiency,
    roc_auc_bootstrap,
    working_points,
)

if TYPE_CHECKING:  # tables come from read_table; predict jobs import this module for its defaults
    import pandas as pd

__all__ = [
    "EVALUATION_DEFAULTS",
    "check_evaluation_config",
    "energy_bins",
    "evaluate_model",
]

log = logging.getLogger(__name__)

# mirrors workflow/schemas/config.schema.yaml: evaluation (defaults for library use)
EVALUATION_DEFAULTS = {
    "chunk_size": 4096,
    "predict_parts": 1,
    "n_bootstrap": 200,
    "gamma_efficiencies": [0.5, 0.7, 0.9],
    "cut_method": "gamma_efficiency",
    "cut_gamma_efficiency": 0.7,
    "calibration_bins": 10,
    "energy_min": 0.1,
    "energy_max": 100.0,
    "n_energy_bins": 12,
    "min_events_per_bin": 10,
}


def check_evaluation_config(config: Mapping | None) -> dict:
    """The full ``evaluation`` section (``config`` over :data:`EVALUATION_DEFAULTS`), checked.

    Raises ``ValueError`` naming the key for an unknown key, ``energy_min`` not below
    ``energy_max``, efficiencies outside (0, 1], an unknown cut method or a count below its
    minimum. Used by :func:`evaluate_model` and the workflow's validation step.

    Parameters
    ----------
    config : mapping or None
        The ``evaluation`` section of the config; None or missing keys take the defaults.

    Returns
    -------
    dict
        Every key of :data:`EVALUATION_DEFAULTS`, the config's value where it gives one.

    Raises
    ------
    ValueError
        An unknown key or a value out of its range (the message names the key).
    """
    cfg = {**EVALUATION_DEFAULTS, **dict(config or {})}
    unknown = sorted(set(cfg) - set(EVALUATION_DEFAULTS))
    if unknown:
        raise ValueError(
            f"evaluation: unknown key(s) {unknown}; valid keys: {sorted(EVALUATION_DEFAULTS)}"
        )
    if not 0 < cfg["energy_min"] < cfg["energy_max"]:
        raise ValueError(
            f"evaluation.energy_min ({cfg['energy_min']} TeV) must be > 0 and below "
            f"evaluation.energy_max ({cfg['energy_max']} TeV)"
        )
    if cfg["cut_method"] not in ("gamma_efficiency", "max_significance"):
        raise ValueError(
            f"evaluation.cut_method: {cfg['cut_method']!r} is not one of "
            "['gamma_efficiency', 'max_significance']"
        )
    effs = list(cfg["gamma_efficiencies"]) + [cfg["cut_gamma_efficiency"]]
    keys = ["gamma_efficiencies"] * len(cfg["gamma_efficiencies"]) + ["cut_gamma_efficiency"]
    for key, eff in zip(keys, effs, strict=True):
        if not 0 < eff <= 1:
            raise ValueError(f"evaluation.{key}: gamma efficiency {eff} is not in (0, 1]")
    for key, low in (
        ("chunk_size", 1),
        ("predict_parts", 1),
        ("n_bootstrap", 2),
        ("calibration_bins", 2),
        ("n_energy_bins", 1),
        ("min_events_per_bin", 1),
    ):
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], int) or cfg[key] < low:
            raise ValueError(f"evaluation.{key}: expected an integer >= {low}, got {cfg[key]!r}")
    return cfg


def energy_bins(config: Mapping) -> np.ndarray:
    """Log-spaced bin edges of true energy (TeV) from the evaluation config.

    Parameters
    ----------
    config : mapping
        The ``evaluation`` config section (checked by :func:`check_evaluation_config`):
        ``energy_min``, ``energy_max`` (TeV) and ``n_energy_bins``.

    Returns
    -------
    numpy.ndarray
        ``n_energy_bins + 1`` edges from ``energy_min`` to ``energy_max`` (TeV), equal in log E.
    """
    cfg = check_evaluation_config(config)
    return np.geomspace(cfg["energy_min"], cfg["energy_max"], cfg["n_energy_bins"] + 1)


def _read(path, needed) -> pd.DataFrame:
    df = read_table(path)
    missing = [c for c in needed if c not in df]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing}; it has {sorted(df)}")
    return df


def _separation(test: pd.DataFrame, cfg: Mapping, seed: int) -> dict:
    y, s = test["is_gamma"].to_numpy(), test["gammaness"].to_numpy()
    auc, unc = roc_auc_bootstrap(y, s, cfg["n_bootstrap"], seed)
    return {
        "n_events": int(len(y)),
        "n_gamma": int(y.sum()),
        "roc_auc": auc,
        "roc_auc_unc": unc,
        "working_points": working_points(y, s, cfg["gamma_efficiencies"]),
        "brier_score": brier_score(y, s),
        "calibration": calibration_curve(y, s, cfg["calibration_bins"]),
    }


def _energy(df: pd.DataFrame, cfg: Mapping) -> dict:
    gam = df[df["is_gamma"] == 1] if "is_gamma" in df else df
    gam = gam[np.isfinite(gam["true_energy"]) & (gam["true_energy"] > 0)]
    e_true, e_est = gam["true_energy"].to_numpy(), gam["energy_pred"].to_numpy()
    bias, res = bias_resolution(e_true, e_est)
    bins = energy_bins(cfg)
    return {
        "n_gamma": int(len(gam)),
        "bias": bias,
        "resolution": res,
        "binned": binned_bias_resolution(e_true, e_est, bins, cfg["min_events_per_bin"]),
        "migration": migration_matrix(e_true, e_est, bins),
    }


def _choose_cut(test: pd.DataFrame, observed: pd.DataFrame, n_off: int, cfg: Mapping) -> dict:
    gam = test.loc[test["is_gamma"] == 1, "gammaness"].to_numpy()
    had = test.loc[test["is_gamma"] == 0, "gammaness"].to_numpy()
    if cfg["cut_method"] == "gamma_efficiency":
        cut = cut_at_gamma_efficiency(gam, cfg["cut_gamma_efficiency"])
        return {
            "method": "gamma_efficiency",
            "gamma_efficiency": cfg["cut_gamma_efficiency"],
            "cut": cut,
        }
    # expected numbers before cuts from the observation's ON/OFF totals (no scores are used)
    alpha = 1.0 / n_off
    n_on0 = int((observed["region"] == 0).sum())
    n_off0 = int(((observed["region"] >= 1) & (observed["region"] <= n_off)).sum())
    n_had = alpha * n_off0
    cut, expected = best_cut_expected_significance(gam, had, max(n_on0 - n_had, 0.0), n_had, alpha)
    return {"method": "max_significance", "cut": cut, "expected_significance": expected}


def evaluate_model(
    model_info: str | os.PathLike,
    test: str | os.PathLike,
    output: str | os.PathLike,
    config: Mapping | None = None,
    observed: str | os.PathLike | None = None,
    observed_truth: str | os.PathLike | None = None,
    seed: int = 0,
) -> dict:
    """Compute one model's metrics and write them as JSON (atomically) to ``output``.

    Parameters
    ----------
    model_info : path
        The model's ``model.json`` (its task, kind and training scores).
    test, observed : path
        Prediction files of the simulated test set and (optional) of the observed data.
    output : path
        Where the metrics are written (JSON, atomically).
    observed_truth : path, optional
        ``{results_dir}/simulated/observed_truth.h5``; only evaluation reads it.
    config : mapping
        The ``evaluation`` config section (defaults: :data:`EVALUATION_DEFAULTS`).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    dict
        The metrics as written: ``model``, ``kind``, ``task``, ``training``; ``test`` (separation:
        ``roc_auc`` and its bootstrap ``roc_auc_unc``, ``working_points``, ``brier_score``,
        ``calibration``; energy: ``bias``, ``resolution``, ``binned`` and ``migration``); with
        ``observed`` also ``observed``: the gammaness ``cut`` chosen on the simulated test set,
        the ON/OFF counts ``onoff`` with the Li & Ma (1983) significance and its bootstrap
        uncertainty, and with ``observed_truth`` the AUC (or the energy metrics) on the
        observation.

    Raises
    ------
    iactdl.io.InputError
        A prediction file lacks a needed column.
    ValueError
        A bad ``config`` (see :func:`check_evaluation_config`).
    """
    cfg = check_evaluation_config(config)
    info = read_json(model_info)
    task = info["task"]
    out: dict = {
        "model": info.get("name", Path(model_info).parent.name),
        "kind": info["kind"],
        "task": task,
        "training": info.get("cv") or info.get("history_summary"),
    }
    if task == "separation":
        df_test = _read(test, ["event_id", "is_gamma", "gammaness"])
        out["test"] = _separation(df_test, cfg, seed)
        if "energy_pred" in df_test and "true_energy" in df_test:
            # a net with an energy head (multi-task): its energy on the simulated test gammas
            out["test"]["energy"] = _energy(df_test, cfg)
    else:
        df_test = _read(test, ["event_id", "true_energy", "energy_pred"])
        out["test"] = _energy(df_test, cfg)
    if observed is not None:
        pred_col = "gammaness" if task == "separation" else "energy_pred"
        df_obs = _read(observed, ["event_id", pred_col])
        truth = None
        if observed_truth is not None:
            event_id = df_obs["event_id"].to_numpy()
            truth = read_observed_truth(observed_truth, event_id, events_path=observed)
            df_obs = df_obs.assign(**truth)  # particle_id, true_energy, is_gamma
        obs: dict = {"n_events": int(len(df_obs)), "truth": truth is not None}
        if task == "separation":
            n_off = int(read_attrs(observed).get("n_off_regions", 0))
            if n_off < 1 and "region" in df_obs and len(df_obs):
                # attribute lost upstream: regions are numbered 0 (ON), 1..n_off (OFF)
                n_off = int(df_obs["region"].max())
                log.warning(
                    "%s: no attribute n_off_regions; using max(region) = %d", observed, n_off
                )
            if "region" in df_obs and n_off >= 1:
                cut = _choose_cut(df_test, df_obs, n_off, cfg)
                obs["cut"] = cut
                obs["onoff"] = onoff = onoff_counts(
                    df_obs["gammaness"], df_obs["region"], cut["cut"], n_off
                )
                # the events of the observation resampled (a fixed cut): truth-free
                onoff["li_ma_significance_unc"] = li_ma_bootstrap_unc(
                    onoff["n_on"], onoff["n_off"], len(df_obs), onoff["alpha"],
                    cfg["n_bootstrap"], seed,
                )  # fmt: skip
                if truth is not None:
                    on = (df_obs["region"] == 0) & (df_obs["gammaness"] >= cut["cut"])
                    obs["onoff"]["true_gammas_on"] = int((on & (df_obs["is_gamma"] == 1)).sum())
                    # the simulation-chosen cut on the observation: how many gammas it keeps
                    gam = df_obs["gammaness"][df_obs["is_gamma"] == 1]
                    obs["gamma_efficiency_at_cut"] = float((gam >= cut["cut"]).mean())
            if truth is not None:
                obs["roc_auc"], obs["roc_auc_unc"] = roc_auc_bootstrap(
                    df_obs["is_gamma"], df_obs["gammaness"], cfg["n_bootstrap"], seed
                )
        elif truth is not None:
            obs.update(_energy(df_obs, cfg))
        out["observed"] = obs
    result = to_json(out)
    path = Path(output)
    write_text_atomic(path, json.dumps(result, indent=2))
    log.info(
        "%s: %s",
        path,
        {
            k: v
            for k, v in result.get("test", {}).items()
            if k in ("roc_auc", "roc_auc_unc", "resolution", "bias")
        },
    )
    return result
