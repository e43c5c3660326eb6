"""Training and prediction speed of the baselines of config.yaml, aict-tools' forest beside them.

Data: the default pipeline's ``results/datasets/train.h5`` and ``test.h5`` when they exist (run
``snakemake --cores all`` first), else the real FACT example files (``../shared/fact-data``: 2000
events of FACT's own features; the JSON says which). Prediction is timed through the predict
interface every rule uses (``BaselineModel.predict`` on a dict of columns: derived features
included) on ``--n-predict`` events (the test events, tiled). Wall and CPU seconds are both
reported: on a shared machine (load average in the JSON) the CPU seconds are the stabler.
Threads: ``n_jobs`` of the forests and the OpenMP threads of histogram boosting (threadpoolctl), as
in the rules.

The reference is aict-tools' example separator (random forest, 30 trees, max_depth 15, entropy)
on the same events. Prints one JSON object as its last line.

    python benchmarks/baselines.py [--threads 2] [--n-predict 200000] [--config config.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before scikit-learn loads)

# isort: split
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
FACT = ROOT.parent / "shared" / "fact-data"


def _data(features):
    """(train columns, test columns, description) from the pipeline's datasets or the FACT files."""
    from iactdl.io import read_columns

    train, test = ROOT / "results/datasets/train.h5", ROOT / "results/datasets/test.h5"
    if train.exists() and test.exists():
        return read_columns(train), read_columns(test), "results/datasets (default pipeline)"
    from iactdl.io.fact import read_fact

    parts = [
        read_fact(FACT / f"{s}.hdf5", features=features, truth=True) for s in ("gamma", "proton")
    ]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    cols["is_gamma"] = (cols["particle_id"] == 1).astype(np.int8)
    idx = np.random.default_rng(0).permutation(len(cols["is_gamma"]))
    cut = int(0.8 * len(idx))
    take = lambda rows: {k: v[np.sort(rows)] for k, v in cols.items()}  # noqa: E731
    return take(idx[:cut]), take(idx[cut:]), "FACT example files gamma.hdf5 + proton.hdf5"


def _tile(cols, n):
    reps = int(np.ceil(n / len(next(iter(cols.values())))))
    return {k: np.concatenate([v] * reps)[:n] for k, v in cols.items()}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-predict", type=int, default=200_000, help="events to predict")
    ap.add_argument("--config", default=str(ROOT / "config.yaml"))
    args = ap.parse_args(argv)

    from sklearn.ensemble import RandomForestClassifier
    from threadpoolctl import threadpool_limits

    from iactdl.io.fact import FACT_FEATURES
    from iactdl.models import build_baseline

    entries = {
        n: e
        for n, e in yaml.safe_load(Path(args.config).read_text())["models"].items()
        if e["kind"] == "baseline"
    }
    train, test, source = _data(FACT_FEATURES)
    big = _tile(test, args.n_predict)
    rows = {}
    with threadpool_limits(args.threads):
        for name, entry in entries.items():
            model = build_baseline(name, entry, seed=0, threads=args.threads)
            missing = [c for c in model.required_columns if c not in train]
            if missing:
                rows[name] = {"skipped": f"data lacks {missing}"}
                continue
            x = model.design_matrix(train)
            y = train["is_gamma"].astype(np.int64)
            if model.task == "energy":  # gammas, log10(E / TeV), as the rule fits
                g = train["is_gamma"].astype(bool)
                x, y = x[g], np.log10(train["true_energy"][g])
            t, c = time.perf_counter(), time.process_time()
            model.estimator.fit(x, y)
            fit_s, fit_cpu = time.perf_counter() - t, time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            model.predict(big)
            pred_s, pred_cpu = time.perf_counter() - t, time.process_time() - c
            rows[name] = {
                "task": model.task,
                "estimator": entry["estimator"],
                "n_train": int(len(y)),
                "fit_s": round(fit_s, 3),
                "fit_cpu_s": round(fit_cpu, 3),
                "train_samples_per_s": round(len(y) / fit_s, 1),
                "predict_s": round(pred_s, 3),
                "predict_cpu_s": round(pred_cpu, 3),
                "predictions_per_s": round(args.n_predict / pred_s, 1),
            }
            print(name, rows[name], file=sys.stderr)
        # the reference: aict-tools' example separator on the same events
        from fact_separation import AICT_FEATURES as aict  # the same 10 columns (+ area)

        design = lambda c: np.column_stack(  # noqa: E731
            [c[f] for f in aict] + [np.pi * c["width"] * c["length"]]
        )
        ref = RandomForestClassifier(
            30, criterion="entropy", max_depth=15, n_jobs=args.threads, random_state=0
        )
        t = time.perf_counter()
        ref.fit(design(train), train["is_gamma"])
        ref_fit = time.perf_counter() - t
        t = time.perf_counter()
        ref.predict_proba(design(big))
        ref_pred = time.perf_counter() - t
    # like for like: our random forest separator against aict-tools' forest
    ours = rows.get("random_forest", {})
    out = {
        "benchmark": "baselines",
        "data": source,
        "n_train": int(len(train["is_gamma"])),
        "n_predict": args.n_predict,
        "threads": args.threads,
        "models": rows,
        "reference": "aict-tools example RF (30 trees, max_depth 15, entropy), scikit-learn",
        "reference_fit_s": round(ref_fit, 3),
        "reference_predictions_per_s": round(args.n_predict / ref_pred, 1),
        "predictions_per_s": ours.get("predictions_per_s"),
        "ratio": (
            round(ours["predictions_per_s"] / (args.n_predict / ref_pred), 3)
            if "predictions_per_s" in ours
            else None
        ),
        "ratio_of": "random_forest predictions/s over the reference's",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
