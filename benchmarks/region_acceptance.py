"""Equal acceptance of the theta^2 regions: many simulated hadrons through the real RegionLabeller.

The OFF regions' ``alpha = 1 / n_off`` is exact only if the background falls into the ON region
and into each OFF region equally often (isotropic hadrons, a camera whose acceptance does not
depend on the azimuth at the wobble offset, an unbiased disp). This benchmark simulates
``--n-hadrons`` protons (no source: the isotropic diffuse background of
:mod:`iactdl.simulate.showers`), extracts their image parameters, applies the quality cut of
``datasets.quality_cuts``, reconstructs their directions with a disp model trained on simulated
diffuse gammas (:func:`iactdl.models.disp.build_disp_model`, aict-tools' settings) and labels them
with :class:`iactdl.observed_regions.RegionLabeller` at the simulator's wobble positions. It
reports

- the counts in ON and in each OFF region and Pearson's chi^2 against equal counts (``n_off``
  degrees of freedom; OFF regions alone: ``n_off - 1``), also per wobble position;
- the reconstructed directions in an annulus at the wobble offset (width: the regions'
  diameter) in 12 bins of camera azimuth: the acceptance's azimuthal profile, with more events;
- point-like gammas (sample ``gamma``, from the wobble positions) through the same labeller: how
  many land in ON and in each OFF region (a gamma in an OFF region is a signal leak, Menon's
  ``rho_plus``).

Prints one JSON object as its last line.

    python benchmarks/region_acceptance.py [--n-hadrons 1000000] [--n-gammas 40000]

Measured with the defaults (seed 1; 22 min on 2 shared cores; disp trained on 8,862 diffuse
gammas): of 1M simulated protons 309,754 pass the quality cut; ON 1471, OFF 1414 / 1481 / 1427 /
1419 / 1455: chi^2 = 2.8 for 5 dof (p = 0.73), the OFF regions alone 2.2 for 4 (p = 0.70); each
wobble position alone p >= 0.33. The annulus in 12 azimuth bins: 1745 to 1962 a bin, chi^2 = 22.0
for 11 dof (p = 0.024), no pattern of the ON/OFF positions. So the regions' background acceptance
is equal to the 2.6 % a region that 1471 events resolve, and the default run's OFF counts
825 / 744 / 813 / 816 / 735 (chi^2 = 9.6 for 4 dof) are a fluctuation or the observation's gammas,
not a bias of the labeller. Gammas: of 16,851 point-like gammas 3078 land in ON and 105 / 58 / 59 /
59 / 105 in OFF 1..5: ``rho_plus = P(OFF | gamma, in a region) = 386 / 3464 = 0.11``, most in the
two OFF regions next to ON (0.6 deg away), the rest spread further (a wrong disp sign puts the
direction 2 |disp| from the source, on the far side of the image; the sign accuracy itself is not
measured here).
"""

from __future__ import annotations

import argparse
import json
import time

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before scikit-learn loads)

# isort: split
import numpy as np
from scipy import stats

from iactdl.camera import MM_TO_DEG
from iactdl.features.pipeline import image_features
from iactdl.features.split import DATASETS_DEFAULTS, quality_mask
from iactdl.models.disp import DISP_FEATURES, DISP_GEOMETRY_COLUMNS, build_disp_model
from iactdl.observed_regions import DIRECTIONS_DEFAULTS, RegionLabeller
from iactdl.simulate import simulate_chunks
from iactdl.simulate.settings import check_config

N_AZIMUTH_BINS = 12  # 30 deg: every ON and OFF position of 4 wobble positions is a bin centre


def _events(sample: str, n: int, seed: int, chunk_size: int):
    """Chunks of ``sample``'s image parameters (quality cut applied) with ``source_x/y``."""
    need = set(DISP_FEATURES) | set(DISP_GEOMETRY_COLUMNS)
    for cols in simulate_chunks(sample, n, {"chunk_size": chunk_size}, seed):
        f, _, _ = image_features(cols["image"], cols["peak_time"])
        out = {c: np.asarray(f[c]) for c in need if c in f}
        for c in ("source_x", "source_y", "true_source_x", "true_source_y"):
            out[c] = np.asarray(cols[c])
        keep = quality_mask(out | {"num_pixel_in_shower": f["num_pixel_in_shower"]},
                            DATASETS_DEFAULTS["quality_cuts"], sample)  # fmt: skip
        yield {c: v[keep] for c, v in out.items()}


def chi2_equal(counts) -> dict:
    """Pearson's chi^2 of ``counts`` against equal expectations, its dof and p-value."""
    counts = np.asarray(counts, dtype=np.float64)
    mean = counts.mean()
    chi2 = float(((counts - mean) ** 2).sum() / mean) if mean > 0 else float("nan")
    dof = counts.size - 1
    return {"chi2": chi2, "dof": dof, "p_value": float(stats.chi2.sf(chi2, dof))}


def label_counts(labeller: RegionLabeller, chunks, wobble_phi) -> dict:
    """Region counts (overall and per wobble position) and the azimuth profile of the annulus."""
    n_off = labeller.n_off
    total = np.zeros(n_off + 2, dtype=np.int64)  # index 0: no region, 1 + k: region k
    per_wobble = {round(float(p)): np.zeros(n_off + 2, dtype=np.int64) for p in wobble_phi}
    azimuth = np.zeros(N_AZIMUTH_BINS, dtype=np.int64)
    n_events = 0
    offset_deg = wobble_offset = None
    half = np.sqrt(labeller.theta2_cut)
    for chunk in chunks:
        out = labeller(chunk)
        n_events += out["region"].size
        idx = out["region"] + 1
        total += np.bincount(idx, minlength=n_off + 2)
        phi = np.rad2deg(np.arctan2(chunk["source_y"], chunk["source_x"])) % 360
        for p, arr in per_wobble.items():
            sel = np.abs(phi - p) < 1
            arr += np.bincount(idx[sel], minlength=n_off + 2)
        wobble_offset = float(np.median(np.hypot(chunk["source_x"], chunk["source_y"])))
        offset_deg = wobble_offset * MM_TO_DEG
        r = np.hypot(out["source_x_pred"], out["source_y_pred"]) * MM_TO_DEG
        az = np.rad2deg(np.arctan2(out["source_y_pred"], out["source_x_pred"])) % 360
        ring = np.abs(r - offset_deg) < half
        # bins centred on the ON and OFF positions (multiples of 30 deg)
        b = np.floor(((az[ring] + 15) % 360) / (360 / N_AZIMUTH_BINS)).astype(int)
        azimuth += np.bincount(b, minlength=N_AZIMUTH_BINS)
    regions = total[1:]
    return {
        "n_events": n_events,
        "n_no_region": int(total[0]),
        "on": int(regions[0]),
        "off": regions[1:].tolist(),
        "chi2_on_and_off": chi2_equal(regions),
        "chi2_off": chi2_equal(regions[1:]),
        "per_wobble": {
            str(p): {"on": int(a[1]), "off": a[2:].tolist(), "chi2_on_and_off": chi2_equal(a[1:])}
            for p, a in per_wobble.items()
        },
        "annulus_azimuth_deg": (np.arange(N_AZIMUTH_BINS) * 360 / N_AZIMUTH_BINS).tolist(),
        "annulus_counts": azimuth.tolist(),
        "chi2_annulus": chi2_equal(azimuth),
        "wobble_offset_deg": offset_deg,
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-hadrons", type=int, default=1_000_000)
    p.add_argument("--n-gammas", type=int, default=40_000)
    p.add_argument("--n-disp-train", type=int, default=20_000)
    p.add_argument("--chunk-size", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    cfg = check_config({})
    n_wob = cfg["n_wobble_positions"]
    wobble_phi = np.arange(n_wob) * 360.0 / n_wob
    train = list(_events("gamma_diffuse", args.n_disp_train, args.seed, args.chunk_size))
    train = {c: np.concatenate([t[c] for t in train]) for c in train[0]}
    disp = build_disp_model(seed=args.seed, threads=1).fit(train, "gamma_diffuse")
    t_disp = time.perf_counter() - t0
    labeller = RegionLabeller(disp, DIRECTIONS_DEFAULTS["n_off"], DIRECTIONS_DEFAULTS["theta2_cut"])
    hadrons = label_counts(
        labeller, _events("proton", args.n_hadrons, args.seed + 1, args.chunk_size), wobble_phi
    )
    t_had = time.perf_counter() - t0 - t_disp
    gammas = label_counts(
        labeller, _events("gamma", args.n_gammas, args.seed + 2, args.chunk_size), wobble_phi
    )
    out = {
        "n_disp_train": int(train["size"].size),
        "theta2_cut": labeller.theta2_cut,
        "n_off": labeller.n_off,
        "n_wobble_positions": n_wob,
        "hadrons": hadrons,
        "gammas": gammas,
        "seconds": {"disp": t_disp, "hadrons": t_had, "total": time.perf_counter() - t0},
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
