"""The observation's physical shifts, each alone, as the shift diagnostics see them.

    python benchmarks/shifts.py                        # 20000 hadrons per sample, config magnitudes
    python benchmarks/shifts.py --n-events 4000 --strong

Per switch of ``simulation.observed.shifts`` (:data:`iactdl.simulate.settings.SHIFTS`): hadrons of
the observation with only that shift on (``--strong``: at a larger magnitude, still inside its
physical range) against hadrons with every shift off (the simulated detector; another seed), both
through the feature stage, then the statistics ``shift_diagnostics`` reports for the hadron class
(observed OFF events against simulated protons): per feature and per pixel channel the KS
statistic (ranked), the domain classifier's AUC on the whole feature table and per pixel channel.
``none`` (every shift off on both sides) is the noise floor. The hadrons are protons through the
observed detector (hadrons only, as the OFF regions hold). The last line printed is one JSON
object.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # one thread everywhere, before numpy loads its BLAS
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from iactdl.adapt.shift import domain_classifier, two_sample_table  # noqa: E402
from iactdl.adapt.shift.diagnostics import default_shift_features  # noqa: E402
from iactdl.adapt.shift.pixels import pixel_channel_summaries, pixel_channel_values  # noqa: E402
from iactdl.features import image_features  # noqa: E402
from iactdl.features.pixelset import pixel_set_pixels  # noqa: E402
from iactdl.simulate import simulate_chunks  # noqa: E402
from iactdl.simulate.settings import SHIFTS, check_config, detector_config  # noqa: E402

# larger magnitudes (inside the physical ranges of iactdl.simulate.settings) for the shifts whose
# configured magnitude a few thousand events cannot resolve
STRONG = {
    "moon_trigger": {"trigger_threshold_factor": 2.0},
    "gain_drift": {"gain": 0.6},
    "gain_spread": {"gain_spread": 0.3},
    "dead_pixels": {"dead_pixel_fraction": 0.1},
    "atmosphere": {"atmospheric_transmission": 0.6},
    # FACT's large-zenith observations (sources culminating low, or observed before culmination)
    "zenith": {"zenith_min_deg": 30.0, "zenith_max_deg": 60.0},
}
PIXEL_SET_SIZE = 64


def hadrons(shift: str | None, n: int, seed: int, detector: dict | None = None) -> dict:
    """Cleaned hadron events of the observation with only ``shift`` on (None: every shift off):
    feature columns, ``pixel_set``/``pixel_set_mask`` and the true energy (for the checks only).

    Protons through the observed detector (only ``shift`` switched on), ``n`` triggered events:
    the observation's hadrons without the flux-given counts and gammas of the sample
    ``observed`` (the OFF regions hold hadrons only)."""
    obs = {"shifts": {name: name == shift for name in SHIFTS}, "detector": dict(detector or {})}
    cfg = check_config({"chunk_size": 1000, "observed": obs})
    cfg["detector"] = detector_config(cfg, observed=True)
    parts = []
    for chunk in simulate_chunks("proton", n, cfg, seed):
        cols, pixels, _ = image_features(chunk["image"], chunk["peak_time"])
        ok = cols["clean_ok"]
        rows, mask, _ = pixel_set_pixels(pixels, PIXEL_SET_SIZE)
        part = {k: v[ok] for k, v in cols.items()}
        part["pixel_set"], part["pixel_set_mask"] = rows, mask  # rows of the clean_ok events
        part["true_energy"] = chunk["true_energy"][ok]
        parts.append(part)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _matrix(cols: dict, names) -> np.ndarray:
    x = np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in names])
    x[~np.isfinite(x)] = np.nan
    return x


def diagnose(source: dict, target: dict, *, classifiers: bool = True, seed: int = 0) -> dict:
    """The hadron-shift statistics of ``shift_diagnostics``: KS tables of the features and of the
    pixel channels (ranked, largest first) and, with ``classifiers``, the domain AUCs."""
    names = default_shift_features(source, target)
    features = two_sample_table({c: source[c] for c in names}, {c: target[c] for c in names})
    sv = pixel_channel_values(source["pixel_set"], source["pixel_set_mask"], 200000, seed)
    tv = pixel_channel_values(target["pixel_set"], target["pixel_set_mask"], 200000, seed + 1)
    pixels = two_sample_table(sv, tv)
    out = {"features": features, "pixels": pixels}
    if classifiers:
        kw = {"cv_folds": 3, "seed": seed}
        out["feature_auc"] = domain_classifier(
            _matrix(source, names), _matrix(target, names), **kw
        ).auc
        ss = pixel_channel_summaries(source["pixel_set"], source["pixel_set_mask"])
        ts = pixel_channel_summaries(target["pixel_set"], target["pixel_set_mask"])
        out["pixel_auc"] = {c: domain_classifier(ss[c], ts[c], **kw).auc for c in ss}
    return out


def _row(name: str, detector: dict, result: dict, base: dict, shifted: dict) -> dict:
    top = result["features"].head(4)
    pix = result["pixels"].head(3)
    return {
        "shift": name,
        "detector": detector,
        "n_events": [int(base["size"].size), int(shifted["size"].size)],
        "feature_auc": round(result["feature_auc"], 3),
        "top_features": {r.input: round(r.ks, 3) for r in top.itertuples()},
        "top_pixel_channels": {r.input: round(r.ks, 3) for r in pix.itertuples()},
        "pixel_auc": {k: round(v, 3) for k, v in result["pixel_auc"].items()},
        "median_energy_ratio": round(
            float(np.median(shifted["true_energy"]) / np.median(base["true_energy"])), 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-events", type=int, default=20000, help="simulated hadrons per sample")
    parser.add_argument("--strong", action="store_true", help="the STRONG magnitudes instead")
    args = parser.parse_args()
    t0 = time.perf_counter()
    base = hadrons(None, args.n_events, 1)
    rows = []
    for name in ("none", *SHIFTS):
        det = STRONG.get(name, {}) if args.strong else {}
        shifted = hadrons(None if name == "none" else name, args.n_events, 2, det)
        row = _row(name, det, diagnose(base, shifted), base, shifted)
        rows.append(row)
        print(
            f"{name:15s} AUC {row['feature_auc']:.3f} E ratio {row['median_energy_ratio']:.2f} "
            f"features {row['top_features']} pixels {row['top_pixel_channels']}",
            flush=True,
        )
    print(json.dumps({"rows": rows, "wall_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
