"""Direction reconstruction (disp) on FACT's own DL2: our disp baseline against aict-tools' one.

Data: ``shared/fact-data/gamma_diffuse.hdf5`` (1000 simulated diffuse gammas, FACT-Tools DL2 with
``source_position_x/y``, pointing and image parameters), read through ``iactdl.io.fact.read_fact``.

Reference: aict-tools' own CLI, ``aict_train_disp_regressor``, run with its example disp config
(``examples/config_source.yaml``, reproduced below: 2 x 30 trees, max_depth 20, sqrt features, 11
image parameters, 500 events sampled with seed 0, 5-fold CV). It draws its sample with
``df.sample(n_signal, random_state=RandomState(seed))`` and splits with ``KFold(5, shuffle=True,
random_state=seed)``; this script draws the same sample and folds, checks them against the CLI's
cross-validation output (the true energy of every row must match exactly and the true |disp| to
1 mm: aict-tools derives the source from az/zd, we read source_position_x/y) and fits ours on
the same training rows. aict-tools runs in its own environment (it pins astropy 4.2): pass its
``bin`` folder with ``--aict-bin`` (default: ``../venv-aict/bin`` next to the project, then PATH).

Rows (theta = distance reconstructed - true source, deg; 68 % containment = ``ONE_SIGMA_QUANTILE``
quantile, as pyirf):
- ``aict_tools_example``: aict-tools' CV predictions, source = cog + sign * |disp| along delta.
- ``ours_aict_example``: ``iactdl.models.disp`` with the same settings and features.
- ``ours_camera``: the same plus ``camera_centre_long`` (where the camera centre lies on the
  axis; a head-tail hint from the prior that sources are near the pointing).
- ``cog_only``: the source estimated at the image's cog (the trivial floor).
- ``fact_file_theta_deg``: the ``theta_deg`` (and sign of ``disp_prediction``) stored in the file
  by a FACT model whose training set is not documented (not these folds; its sign accuracy, 0.82,
  is far below the 0.999 of our forest predicting its own training events, so probably trained on
  many more, independent gammas); it shows what more training events buy, for orientation only.

``seconds``: aict-tools' is the CLI's wall time (start-up, reading, the CV and its final fit on
all events), ours the CV alone; the benchmark compares accuracy, not speed.

``--repeats R`` repeats with seeds 0..R-1 (each its own sample and folds, in both tools) and
reports paired per-fold differences to aict-tools. ``--all-events`` drops ``n_signal`` (all 1000).

    python benchmarks/fact_disp.py [--repeats 3] [--threads 2] [--all-events] [--aict-bin DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before scikit-learn loads)

# isort: split
import h5py
import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
FACT = ROOT.parent / "shared" / "fact-data"
DATA = FACT / "gamma_diffuse.hdf5"
CLI = "aict_train_disp_regressor"
# fact-project/aict-tools examples/config_source.yaml (v0.27.1 = v0.28.0; MIT), verbatim
AICT_EXAMPLE_DISP_CONFIG = """\
seed: 0
n_cross_validations : 5
true_energy_column: corsika_event_header_total_energy

coordinate_transformation: FACT
source_az_column: source_position_az
source_zd_column: source_position_zd
pointing_az_column: pointing_position_az
pointing_zd_column: pointing_position_zd

disp:
  disp_regressor : |
    ensemble.RandomForestRegressor(
        n_estimators=30,
        max_features='sqrt',
        n_jobs=-1,
        max_depth=20,
    )

  sign_classifier: |
    ensemble.RandomForestClassifier(
        n_estimators=30,
        max_features='sqrt',
        n_jobs=-1,
        max_depth=20,
    )

  n_signal : 500

  features:
    - concentration_cog
    - concentration_core
    - delta
    - leakage1
    - leakage2
    - length
    - skewness_long
    - kurtosis_long
    - num_islands
    - size
    - width
"""
ENERGY_BINS_TEV = (0.2, 0.5, 1.0, 2.0, 5.0, 40.0)
GEV_PER_TEV = 1000.0


def find_aict(arg: str | None) -> Path | None:
    """The aict-tools CLI: ``--aict-bin``, else ``../venv-aict/bin``, else PATH."""
    for cand in ([Path(arg) / CLI] if arg else []) + [ROOT.parent / "venv-aict" / "bin" / CLI]:
        if cand.exists():
            return cand
    found = shutil.which(CLI)
    return Path(found) if found else None


def aict_version(cli: Path) -> str:
    proc = subprocess.run(
        [str(cli.parent / "python"), "-c", "import aict_tools; print(aict_tools.__version__)"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "unknown"


def run_aict(cli: Path, seed: int, n_signal: int | None, workdir: Path) -> tuple[dict, float]:
    """Run the CLI with the example config (seed, n_signal set); its CV predictions and wall s."""
    cfg = yaml.safe_load(AICT_EXAMPLE_DISP_CONFIG)
    cfg["seed"] = seed
    if n_signal is None:
        del cfg["disp"]["n_signal"]
    else:
        cfg["disp"]["n_signal"] = n_signal
    conf = workdir / f"config_{seed}.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    out = workdir / f"cv_{seed}.hdf5"
    models = [workdir / f"disp_{seed}.pkl", workdir / f"sign_{seed}.pkl"]
    t = time.perf_counter()
    proc = subprocess.run(
        [str(cli), str(conf), str(DATA), str(out), *map(str, models)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{CLI} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    import hdf5plugin  # noqa: F401  (pyfact may compress with blosc)

    with h5py.File(out, "r") as f:
        g = f["data"]
        return {k: g[k][()] for k in g}, wall


def aict_sample_and_folds(n: int, n_signal: int | None, seed: int):
    """aict-tools' rows (file order indices, in its sample's order) and its 5 folds over them.

    ``train_disp_regressor`` seeds numpy's global generator with ``seed``, ``read_telescope_data``
    samples with a copy of it (``df.sample(n_signal, random_state=state)``), the CV splits the
    sampled frame with ``KFold(5, shuffle=True, random_state=seed)``.
    """
    if n_signal is None:
        rows = np.arange(n)
    else:
        state = np.random.RandomState(seed)
        rows = pd.RangeIndex(n).to_series().sample(n_signal, random_state=state).to_numpy()
    folds = list(KFold(5, shuffle=True, random_state=seed).split(rows))
    return rows, folds


def scores(theta_deg, sign_pred, sign_true, fold, energy):
    """Pooled and per-fold 68 % / 50 % containment and sign accuracy."""
    from iactdl.metrics import angular_resolution, containment

    per_fold = [containment(theta_deg[fold == k]) for k in range(fold.max() + 1)]
    out = {
        "containment_68_deg": containment(theta_deg),
        "containment_50_deg": containment(theta_deg, 0.5),
        "containment_68_fold_std": float(np.std(per_fold)),
        "fold_containment_68": per_fold,
        "angular_resolution_68_per_energy_bin_deg": angular_resolution(
            theta_deg, energy, ENERGY_BINS_TEV, min_events=20
        )["angular_resolution"].tolist(),
    }
    if sign_pred is not None:
        right = sign_pred == sign_true
        out["sign_accuracy"] = float(right.mean())
        out["fold_sign_accuracy"] = [float(right[fold == k].mean()) for k in range(fold.max() + 1)]
    return out


def one_repeat(cols, cli, seed, n_signal, threads, workdir):
    """Every row's scores on aict-tools' sample and folds of this seed."""
    from iactdl.features.disp import reconstruct_source_position, true_disp
    from iactdl.metrics import theta
    from iactdl.models.disp import (
        DISP_FEATURES,
        DISP_FEATURES_CAMERA,
        build_disp_model,
        cross_validate_disp,
    )

    n = len(cols["cog_x"])
    rows, folds = aict_sample_and_folds(n, n_signal, seed)
    sub = {k: v[rows] for k, v in cols.items()}  # aict-tools' sample, in its order
    energy = sub["true_energy"]
    src = (sub["true_source_x"], sub["true_source_y"])
    test_order = np.concatenate([test for _, test in folds])  # CV output order: fold by fold
    fold = np.empty(len(rows), dtype=np.int64)
    for k, (_, test) in enumerate(folds):
        fold[test] = k
    abs_true, sign_true = true_disp(*src, sub["cog_x"], sub["cog_y"], sub["delta"])
    results, seconds, check = {}, {}, {}

    if cli is not None:
        cv, seconds["aict_tools_example"] = run_aict(cli, seed, n_signal, workdir)
        # the same events in the same folds: energies exactly, |disp| to 1 mm, folds as ours
        e_aict = cv["corsika_event_header_total_energy"] / GEV_PER_TEV
        if not np.array_equal(e_aict, energy[test_order]) or not np.array_equal(
            cv["cv_fold"], fold[test_order]
        ):
            raise RuntimeError(
                f"seed {seed}: aict-tools' sample or folds differ from the reproduced ones "
                "(true energies or fold numbers of its CV rows do not match)"
            )
        check["max_abs_disp_diff_mm"] = float(np.max(np.abs(cv["disp"] - abs_true[test_order])))
        if check["max_abs_disp_diff_mm"] > 1.0:
            raise RuntimeError(f"seed {seed}: true |disp| differs by {check} from aict-tools'")
        check["sign_disagreements"] = int(np.sum(cv["sign"] != sign_true[test_order]))
        disp = np.empty(len(rows))
        sign_pred = np.empty(len(rows))
        disp[test_order] = cv["disp_prediction"] * cv["sign_prediction"]
        sign_pred[test_order] = cv["sign_prediction"]
        x, y = reconstruct_source_position(sub["cog_x"], sub["cog_y"], sub["delta"], disp)
        results["aict_tools_example"] = scores(
            theta(x, y, *src), sign_pred, sign_true, fold, energy
        )

    for name, features in (
        ("ours_aict_example", DISP_FEATURES),
        ("ours_camera", DISP_FEATURES_CAMERA),
    ):
        t = time.perf_counter()
        model = build_disp_model(features, seed=seed, threads=threads)
        r = cross_validate_disp(model, sub, splits=folds, threads=threads, source=str(DATA))
        seconds[name] = time.perf_counter() - t
        results[name] = scores(
            r["theta_deg"], np.sign(r["disp_pred"]), r["sign_true"], r["fold"], energy
        )
    results["cog_only"] = scores(theta(sub["cog_x"], sub["cog_y"], *src), None, None, fold, energy)
    file_sign = np.where(sub["disp_prediction"] < 0, -1, 1)
    results["fact_file_theta_deg"] = scores(sub["theta_deg"], file_sign, sign_true, fold, energy)
    return results, seconds, check, len(rows)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="seeds 0..R-1 (sample and folds)")
    ap.add_argument("--threads", type=int, default=2, help="cores for our forests")
    ap.add_argument("--all-events", action="store_true", help="all 1000 events, not n_signal 500")
    ap.add_argument("--aict-bin", help="folder holding aict-tools' CLI (default: ../venv-aict/bin)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats must be >= 1, got {args.repeats}")
    if not DATA.exists():
        print(json.dumps({"benchmark": "fact_disp", "skipped": f"{DATA} not found"}))
        return {}
    from iactdl.io.fact import read_fact
    from iactdl.models.disp import DISP_FEATURES

    cols = read_fact(
        DATA,
        features=(*DISP_FEATURES, "cog_x", "cog_y"),
        extra_columns=["theta_deg", "disp_prediction"],
        truth=True,
    )
    cli = find_aict(args.aict_bin)
    if cli is None:
        print(f"{CLI} not found: aict-tools' row is left out", file=sys.stderr)
    n_signal = None if args.all_events else 500
    per_repeat, seconds, checks = [], {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.repeats):
            res, sec, check, n = one_repeat(cols, cli, seed, n_signal, args.threads, Path(tmp))
            per_repeat.append(res)
            checks.append(check)
            for k, v in sec.items():
                seconds[k] = seconds.get(k, 0.0) + v
    table = {}
    ref = "aict_tools_example" if cli is not None else None
    for name, first in per_repeat[0].items():
        fold68 = np.concatenate([r[name]["fold_containment_68"] for r in per_repeat])
        row = {
            "containment_68_deg": round(first["containment_68_deg"], 4),
            "containment_68_fold_std": round(first["containment_68_fold_std"], 4),
            "containment_50_deg": round(first["containment_50_deg"], 4),
            "containment_68_deg_mean_over_repeats": round(
                float(np.mean([r[name]["containment_68_deg"] for r in per_repeat])), 4
            ),
            "angular_resolution_68_per_energy_bin_deg": [
                None if np.isnan(v) else round(v, 4)
                for v in first["angular_resolution_68_per_energy_bin_deg"]
            ],
        }
        if "sign_accuracy" in first:
            row["sign_accuracy"] = round(first["sign_accuracy"], 4)
            row["sign_accuracy_mean_over_repeats"] = round(
                float(np.mean([r[name]["sign_accuracy"] for r in per_repeat])), 4
            )
        if ref is not None and name != ref and name != "fact_file_theta_deg":
            d68 = fold68 - np.concatenate([r[ref]["fold_containment_68"] for r in per_repeat])
            row["paired_diff_containment_68_vs_aict"] = round(float(d68.mean()), 4)
            row["paired_diff_containment_68_std_err"] = round(
                float(d68.std(ddof=1) / np.sqrt(len(d68))), 4
            )
            if "sign_accuracy" in first:
                ds = np.concatenate(
                    [
                        np.subtract(r[name]["fold_sign_accuracy"], r[ref]["fold_sign_accuracy"])
                        for r in per_repeat
                    ]
                )
                row["paired_diff_sign_accuracy_vs_aict"] = round(float(ds.mean()), 4)
                row["paired_diff_sign_accuracy_std_err"] = round(
                    float(ds.std(ddof=1) / np.sqrt(len(ds))), 4
                )
        if name in seconds:
            row["seconds"] = round(seconds[name], 2)
        table[name] = row
        print(
            f"{name:20s} 68% {row['containment_68_deg']:.3f} deg "
            f"(+- {row['containment_68_fold_std']:.3f} over folds), "
            f"50% {row['containment_50_deg']:.3f} deg"
            + (f", sign {row['sign_accuracy']:.3f}" if "sign_accuracy" in row else ""),
            file=sys.stderr,
        )
    out = {
        "benchmark": "fact_disp",
        "n_events": n,
        "folds": 5,
        "repeats": args.repeats,
        "threads": args.threads,
        "energy_bins_tev": list(ENERGY_BINS_TEV),
        "models": table,
        "fold_check": checks,
        "reference": (
            f"aict-tools {aict_version(cli)} {CLI} with its example disp config "
            "(examples/config_source.yaml), same sample and folds"
            if cli is not None
            else f"aict-tools not found ({CLI}); ours only"
        ),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
