"""The significance analysis at FACT's fixed theta^2 cut and at one chosen with the gammaness cut.

    python benchmarks/theta2_cuts.py --dl3 /work/run-final/results/dl3 [--config config.yaml]
        [--theta2-cuts 0.01,0.02,...] [--fixed 0.025] [--models hist_gbt,mlp]

Per model (every folder of ``--dl3`` holding ``observed_val.h5`` and ``observed_test.h5``, the
DL3 files of rule ``dl3``): the rule ``theta2`` analysis
(:func:`iactdl.evaluate.theta2_analysis.analyse_theta2`) twice, at the fixed cut (``--fixed``,
default FACT's 0.025 deg^2: only the gammaness cut is chosen) and with the theta^2 cut chosen
jointly among the candidates (``--theta2-cuts``, default the config's ``directions.theta2_cuts``).
Both choose on observed_val's ON/OFF counts alone (no truth) and are scored on observed_test: N_on,
N_off, excess, Li & Ma, sigma per sqrt(hour). ``scan_test`` adds, per theta^2 candidate, the
observed_test significance at that candidate's gammaness cut from observed_val: what each candidate
would have given (reading it to choose would be choosing on the test split). The observed_test AUC
(scored against the hidden truth by rule ``evaluate``) is copied from
``results/metrics/{model}.json`` next to ``--dl3`` where it exists, for reference only: no truth
is read here.

Reads the DL3 files only (seconds per model). Prints one JSON object as its last line::

    {"benchmark": "theta2_cuts", "candidates": [...], "fixed": 0.025, "models": {model: {...}},
     "summary": {...}, "seconds": ...}
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("theta2_cut", "gammaness_cut", "n_on", "n_off", "excess", "li_ma_significance")


def _candidates(args) -> list[float]:
    if args.theta2_cuts:
        return [float(c) for c in args.theta2_cuts.split(",")]
    section = yaml.safe_load(args.config.read_text()).get("directions") or {}
    return section.get("theta2_cuts") or [section.get("theta2_cut", args.fixed)]


def _observed_auc(dl3_dir: Path, model: str) -> float | None:
    path = dl3_dir.parent / "metrics" / f"{model}.json"
    if not path.exists():
        return None
    return (json.loads(path.read_text()).get("observed") or {}).get("roc_auc")


def _row(analysis: dict) -> dict:
    c = analysis["counts"]
    return {
        **{k: c[k] for k in KEYS},
        "sigma_per_sqrt_hour": c["sigma_per_sqrt_hour"],
        "val_li_ma_significance": analysis["choice"]["li_ma_significance"],
    }


def _scan_row(row: dict, test) -> dict:
    """One theta^2 candidate: its cuts from observed_val and the observed_test significance."""
    from iactdl.evaluate.theta2 import theta2_counts

    s = None
    if row["gammaness_cut"] is not None and math.isfinite(row["gammaness_cut"]):
        ev = test.events
        s = theta2_counts(
            ev["gamma_prediction"], ev["theta_deg"], test.theta_off,
            gammaness_cut=row["gammaness_cut"], theta2_cut=row["theta2_cut"],
        )["li_ma_significance"]  # fmt: skip
    return {
        "theta2_cut": row["theta2_cut"],
        "gammaness_cut": row["gammaness_cut"],
        "val_li_ma_significance": row["li_ma_significance"],
        "test_li_ma_significance": s,
    }


def main(argv=None) -> dict:
    from iactdl.evaluate.theta2_analysis import analyse_theta2
    from iactdl.io.dl3 import read_dl3

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dl3", type=Path, default=ROOT / "results" / "dl3")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--theta2-cuts", help="comma-separated candidates, deg^2 (default: --config's)")
    ap.add_argument("--fixed", type=float, default=0.025, help="the fixed cut, deg^2")
    ap.add_argument("--wobble-offset-deg", type=float, default=0.6)
    ap.add_argument("--min-on", type=int, default=5)
    ap.add_argument("--models", help="comma-separated (default: every folder of --dl3)")
    args = ap.parse_args(argv)
    candidates = _candidates(args)
    folders = sorted(
        d for d in args.dl3.iterdir() if (d / "observed_val.h5").exists()
        and (d / "observed_test.h5").exists()
    )  # fmt: skip
    if args.models:
        folders = [d for d in folders if d.name in args.models.split(",")]
    t0 = time.perf_counter()
    models = {}
    with tempfile.TemporaryDirectory() as tmp:
        for d in folders:
            val, test = d / "observed_val.h5", d / "observed_test.h5"
            kw = {"model": d.name, "min_on": args.min_on}
            kw["wobble_offset_deg"] = args.wobble_offset_deg
            fixed = analyse_theta2(val, test, Path(tmp) / "f.json", [args.fixed], **kw)
            chosen = analyse_theta2(val, test, Path(tmp) / "c.json", candidates, **kw)
            events = read_dl3(test, columns=[])
            scan_test = [_scan_row(r, events) for r in chosen["choice"]["scan"]]
            models[d.name] = {
                "observed_test_auc": _observed_auc(args.dl3, d.name),
                "fixed": _row(fixed),
                "chosen": _row(chosen),
                "gain_sigma": chosen["counts"]["li_ma_significance"]
                - fixed["counts"]["li_ma_significance"],
                "scan_test": scan_test,
            }
            m = models[d.name]
            print(
                f"{d.name:24s} fixed {args.fixed:g}: g>{m['fixed']['gammaness_cut']:.3f} "
                f"S={m['fixed']['li_ma_significance']:5.2f} | chosen "
                f"{m['chosen']['theta2_cut']:g}: g>{m['chosen']['gammaness_cut']:.3f} "
                f"S={m['chosen']['li_ma_significance']:5.2f} ({m['gain_sigma']:+.2f})"
            )
    gains = [m["gain_sigma"] for m in models.values()]
    out = {
        "benchmark": "theta2_cuts",
        "dl3": str(args.dl3),
        "candidates": sorted(set(candidates)),
        "fixed": args.fixed,
        "models": models,
        "summary": {
            "n_models": len(models),
            "n_larger_theta2_cut": sum(
                m["chosen"]["theta2_cut"] > args.fixed for m in models.values()
            ),
            "n_higher_test_significance": sum(g > 0 for g in gains),
            "mean_gain_sigma": sum(gains) / len(gains) if gains else None,
            "chosen_theta2_cuts": {k: m["chosen"]["theta2_cut"] for k, m in models.items()},
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
