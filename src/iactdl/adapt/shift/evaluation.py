"""The hidden truth beside the shift diagnostics' label-shift estimates (rule ``evaluate_shift``).

``shift_diagnostics`` estimates the gamma fraction of ``observed_train`` (overall, in ON, in OFF)
without truth; this puts the true fraction of the same events beside every estimate, with its error
(estimate - truth) and pull (error / bootstrap std). The observed truth file
(``data/simulated/observed_truth.h5``) is read here, in evaluation, never by the diagnostics.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from iactdl.io import (
    InputError,
    read_attrs,
    read_columns,
    read_observed_truth,
    to_json,
    write_text_atomic,
)
from iactdl.io.jsonfile import read_json

__all__ = ["evaluate_shift"]

log = logging.getLogger(__name__)

SUBSETS = ("all", "on", "off")


def evaluate_shift(
    diagnostics: str | os.PathLike,
    observed: str | os.PathLike,
    observed_truth: str | os.PathLike,
    output: str | os.PathLike,
) -> dict:
    """Write ``output`` (JSON): per subset the true gamma fraction and each estimate's error.

    An evaluation rule: the only reader of the hidden truth here.

    Parameters
    ----------
    diagnostics : str or os.PathLike
        ``results/shift/diagnostics.json``.
    observed : str or os.PathLike
        The observed file the diagnostics used (``event_id``, ``region``).
    observed_truth : str or os.PathLike
        The hidden truth (``event_id``, ``particle_id``), covering every observed event.
    output : str or os.PathLike
        The JSON file to write.

    Returns
    -------
    dict
        What ``output`` holds.

    Raises
    ------
    InputError
        Diagnostics without a ``label_shift`` section, or observed events missing from the
        truth.
    """
    diag = read_json(diagnostics)
    label_shift = diag.get("label_shift")
    if not label_shift:
        raise InputError(f"{diagnostics}: no 'label_shift' section")
    obs = read_columns(observed, ["event_id", "region"])
    truth = read_observed_truth(observed_truth, obs["event_id"], (), events_path=observed)
    is_gamma = truth["is_gamma"].astype(bool)
    n_off = int(diag.get("n_off_regions") or read_attrs(observed).get("n_off_regions", 0))
    region = obs["region"]
    masks = {
        "all": np.ones(region.size, dtype=bool),
        "on": region == 0,
        "off": (region >= 1) & (region <= n_off),
    }
    out: dict = {
        "diagnostics": str(diagnostics),
        "model": label_shift.get("model"),
        "source_gamma_fraction": label_shift["source"]["gamma_fraction"],
    }
    for name in SUBSETS:
        sel = masks[name]
        true = float(is_gamma[sel].mean()) if sel.any() else float("nan")
        entry: dict = {
            "n_events": int(sel.sum()),
            "n_gamma": int(is_gamma[sel].sum()),
            "true_gamma_fraction": true,
        }
        for method, est in label_shift.get(name, {}).items():
            if not isinstance(est, dict) or est.get("estimate") is None:
                continue
            err = est["estimate"] - true
            std = est.get("std")
            entry[method] = {
                "estimate": est["estimate"],
                "std": std,
                "error": err,
                "pull": err / std if std else None,
            }
        out[name] = entry
    result = to_json(out)
    path = Path(output)
    write_text_atomic(path, json.dumps(result, indent=2))
    log.info(
        "label shift against the truth: %s",
        {
            s: {
                "true": round(result[s]["true_gamma_fraction"] or 0, 4),
                **{m: round(v["estimate"], 4) for m, v in result[s].items() if isinstance(v, dict)},
            }
            for s in SUBSETS
        },
    )
    return result
