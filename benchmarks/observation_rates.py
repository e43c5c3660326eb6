"""Rates of the simulated observation: triggered events per second, the gamma effective area, the
Crab's rate and energy threshold, after the trigger and after the analysis' cuts, against FACT's.

    python benchmarks/observation_rates.py                # config.yaml's simulation, 0.5 h
    python benchmarks/observation_rates.py --hours 2 --config tests/config/tiny.yaml
    python benchmarks/observation_rates.py --hours 0 --gammas 400000      # the effective area only
    python benchmarks/observation_rates.py --hours 0 --results /work/run-all5/results
    python benchmarks/observation_rates.py --hours 0 --quality-hours 0.1 --simulated-detector

Throws the showers of ``--hours`` of observation (:mod:`iactdl.simulate.observation`: flux x scatter
area x solid angle x time, energies from the measured spectra) and keeps those the trigger of the
observed detector keeps (its shifts that act before the trigger: moonlight threshold, atmosphere,
zenith angle), scalars only (no images), so hours of observation take seconds. Prints the expected
and drawn thrown counts, the triggered rate (Hz) per primary with its Poisson error, the gamma
fraction of the triggered events, the hours that give the config's observation its triggered events,
and the CPU time per thrown shower. FACT's trigger rate on a dark night is ~60-80 Hz (cosmic rays;
the figure the project's issue 20 quotes, not checked here against a publication).

The gamma effective area at trigger level (``--gammas N``: N gammas thrown from the Crab's spectrum
over the scatter disk, the observed detector, or the simulated one with ``--simulated-detector``),
after extract's and the quality cuts (``--quality-hours H``: H hours of the Crab alone at 100 times
its flux, streamed as rule ``stream_observed`` streams the observation; the same detector choice)
and, with ``--results DIR`` (a finished run's ``results/``), after each of the analysis' cuts:
extract's and the quality cuts (the observed splits), the gammaness cut and the theta^2 cut the
model chose on ``observed_val`` (``dl3/{model}/theta2.json``), on ``observed_test``. The run's true
particle and energy come from the observation's truth file, as evaluation reads them
(:func:`iactdl.io.truth.read_observed_truth`): this is a measurement of the simulator, no model is
trained or selected on it. Each area is folded with the Crab's spectrum into its rate per hour per
bin of true energy and in all, and its threshold (the peak of the differential rate dR/dE), beside
FACT's own point-like effective area after its cuts (:data:`FACT_EFFECTIVE_AREA`). The last line
printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from iactdl.io.dl3 import read_dl3
from iactdl.io.event_columns import PARTICLE_ID
from iactdl.io.hdf5 import read_columns
from iactdl.io.truth import read_observed_truth
from iactdl.simulate import check_config, expected_counts
from iactdl.simulate.fluxes import integral_flux
from iactdl.simulate.observation import PRIMARIES, observation_throws
from iactdl.simulate.settings import detector_config, shower_config, thrown_energy_range
from iactdl.simulate.showers import gamma_geometry, hadron_geometry, throw_triggered
from iactdl.simulate.spectra import wobble_positions
from iactdl.simulate.throw import effective_area, read_throws

REPO = Path(__file__).resolve().parents[1]

# FACT's point-like gamma effective area after its analysis cuts (gammaness > 0.8, theta < 0.1732
# deg, i.e. theta^2 < 0.03 deg^2), at 0.5625-1.125 deg from the camera centre (its 0.6 deg wobble),
# m^2 per bin of true energy (TeV): the FACT open-data IRF (fact-project/irf, 2018-10-18) shipped
# with the joint Crab analysis, open-gamma-ray-astro/joint-crab, data/fact/fact_irf.fits, HDU
# EFFECTIVE AREA (Nigro et al. 2019, A&A 625, A10). Folded with the MAGIC 2015 Crab (our spectrum)
# it gives 35.8 Crab gammas per hour; FACT measured 418.2 excess events in 10.13 h (41.3 per hour,
# background 272.8: 26.9 per hour) with these cuts above 0.4 TeV of estimated energy (joint-crab,
# results/summary/data.md).
# fmt: off
FACT_EFFECTIVE_AREA = {
    "energy_edges_tev": [
        0.2171, 0.2697, 0.335, 0.4162, 0.517, 0.6423, 0.7979, 0.9912, 1.2314, 1.5298, 1.9004,
        2.3609, 2.9329, 3.6435, 4.5263, 5.623, 6.9854, 8.678, 10.7806, 13.3927, 16.6376,
        20.6688, 25.6768, 31.8981, 39.6269, 49.2282,
    ],
    "area_m2": [
        5, 30, 181, 865, 2987, 7490, 14355, 22379, 30186, 36721, 41265, 45375, 50069, 55712,
        58085, 56554, 57797, 58924, 58666, 56523, 52300, 48423, 42732, 32675, 25861,
    ],
    "cuts": {"gammaness_cut": 0.8, "theta2_cut": 0.03},
    "measured_excess_per_hour": 418.2 / 10.13,
    "measured_background_per_hour": 272.8 / 10.13,
}
# fmt: on


def rates(simulation: dict, hours: float, seed: int = 1) -> dict:
    """Triggered events per second of each primary over ``hours`` of the observation."""
    cfg = check_config(
        {**simulation, "observed": {**simulation.get("observed", {}), "hours": hours}}
    )
    # the observed detector's conditions before the trigger: moonlight threshold, atmosphere,
    # zenith angles (as iactdl.simulate.run simulates the sample observed)
    cfg = shower_config(cfg, detector_config(cfg, observed=True))
    rng = np.random.default_rng(seed)
    wob = (cfg["wobble_offset_deg"], cfg["n_wobble_positions"])
    geometry = {
        "gamma": gamma_geometry(rng, lambda m: wobble_positions(rng, m, *wob)),
        "proton": hadron_geometry(rng, cfg["proton"]),
        "helium": hadron_geometry(rng, cfg["helium"]),
    }
    mu = expected_counts(cfg)
    seconds = hours * 3600.0
    out: dict = {"hours": hours, "primaries": {}}
    start = time.process_time()
    thrown_total = 0
    for p in PRIMARIES:
        n = int(rng.poisson(mu[p]))
        lo, hi = thrown_energy_range(cfg, p)
        kept = 0
        for m in np.diff(np.linspace(0, n, max(1, -(-n // 2_000_000)) + 1).astype(int)):
            t = throw_triggered(
                rng,
                int(m),
                cfg[p],
                cfg["trigger"],
                geometry[p],
                cfg["observed"]["spectra"][p],
                lo,
                hi,
            )
            kept += t["e"].size
        thrown_total += n
        out["primaries"][p] = {
            "expected_thrown": mu[p],
            "thrown": n,
            "triggered": kept,
            "rate_hz": kept / seconds,
            "rate_err_hz": np.sqrt(kept) / seconds,
        }
    total = sum(v["triggered"] for v in out["primaries"].values())
    out["total_rate_hz"] = total / seconds
    out["gamma_fraction"] = out["primaries"]["gamma"]["triggered"] / max(total, 1)
    out["cpu_s_per_million_thrown"] = (time.process_time() - start) / thrown_total * 1e6
    return out


def crab_rate(area_m2, bins_tev, spectrum: Mapping) -> dict:
    """Gammas per hour from ``spectrum`` through ``area_m2`` per bin of true energy.

    Per bin the flux integrated over the bin (:func:`~iactdl.simulate.fluxes.integral_flux`)
    times the area; the threshold is the geometric centre of the bin of the largest differential
    rate dR/dE (the usual definition for an IACT's energy threshold), so it is known to a bin.

    Parameters
    ----------
    area_m2 : array_like
        Effective area per bin, m^2, shape (n_bins,); NaN (nothing thrown) counts as 0.
    bins_tev : array_like
        Bin edges of true energy, TeV, shape (n_bins + 1,), ascending.
    spectrum : Mapping
        ``amplitude`` (TeV^-1 cm^-2 s^-1), ``index``, ``curvature``
        (:func:`~iactdl.simulate.fluxes.dnde`).

    Returns
    -------
    dict
        ``per_bin`` (gammas per hour per bin, list), ``per_hour`` (their sum) and
        ``threshold_tev``.
    """
    bins = np.asarray(bins_tev, dtype=float)
    area = np.nan_to_num(np.asarray(area_m2, dtype=float))
    if area.shape != (bins.size - 1,):
        raise ValueError(f"area_m2: expected {bins.size - 1} bins, got shape {area.shape}")
    flux = np.array(
        [integral_flux(spectrum, a, b) for a, b in zip(bins[:-1], bins[1:], strict=True)]
    )
    per_bin = flux * area * 1e4 * 3600.0  # cm^-2 s^-1 x m^2 -> per hour
    centre = np.sqrt(bins[:-1] * bins[1:])
    return {
        "per_bin": per_bin.tolist(),
        "per_hour": float(per_bin.sum()),
        "threshold_tev": float(centre[np.argmax(per_bin / np.diff(bins))]),
    }


def trigger_effective_area(
    simulation: Mapping, n_gammas: int, bins_tev, seed: int = 1, observed: bool = True
) -> np.ndarray:
    """The gamma effective area (m^2) at trigger level per bin of true energy.

    Throws ``n_gammas`` gammas from the observation's Crab spectrum over the scatter disk, from
    the wobble positions, through the trigger of the observed detector (its threshold factor,
    atmospheric transmission and zenith range: :func:`~iactdl.simulate.settings.shower_config`)
    or, with ``observed=False``, of the simulated one; scalars only.

    Parameters
    ----------
    simulation : Mapping
        The (partial) ``simulation`` config section.
    n_gammas : int
        Gammas thrown (> 0).
    bins_tev : array_like
        Bin edges of true energy, TeV.
    seed : int, optional
        Seed of the throw.
    observed : bool, optional
        The observed detector (default) or the simulated one.

    Returns
    -------
    numpy.ndarray
        Effective area per bin, m^2; NaN where nothing was thrown.
    """
    if n_gammas <= 0:
        raise ValueError(f"n_gammas: expected > 0 gammas to throw, got {n_gammas}")
    cfg = check_config(simulation)
    cfg = shower_config(cfg, detector_config(cfg, observed=observed))
    rng = np.random.default_rng(seed)
    wob = (cfg["wobble_offset_deg"], cfg["n_wobble_positions"])
    geometry = gamma_geometry(rng, lambda m: wobble_positions(rng, m, *wob))
    lo, hi = thrown_energy_range(cfg, "gamma")
    spectrum = cfg["observed"]["spectra"]["gamma"]
    kept = throw_triggered(rng, n_gammas, cfg["gamma"], cfg["trigger"], geometry, spectrum, lo, hi)
    throw = observation_throws(cfg, dict.fromkeys(PRIMARIES, n_gammas))["gamma"]
    return effective_area(throw, kept["e"], bins_tev)


def _file_attrs(path: Path) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        return dict(f.attrs)


def run_effective_areas(results: str | Path, model: str, bins_tev) -> dict:
    """The gamma effective area after each of the analysis' cuts, from a finished run's files.

    Reads ``simulated/observed_truth.h5`` (every triggered event and the throw record), the
    observed splits ``datasets/observed_{train,val,test}.h5`` (extract's and the quality cuts) and
    ``dl3/{model}/observed_test.h5`` with the cuts of ``dl3/{model}/theta2.json`` (chosen on
    ``observed_val`` without truth). The truth is read as evaluation reads it: nothing here is
    trained or chosen.

    Parameters
    ----------
    results : str or Path
        The run's ``results`` directory.
    model : str
        The model whose DL3 and cuts to use (e.g. ``random_forest``).
    bins_tev : array_like
        Bin edges of true energy, TeV.

    Returns
    -------
    dict
        ``areas`` (stage -> m^2 per bin: ``trigger``, ``quality`` over the whole observation;
        ``quality_test``, ``gammaness``, ``theta2`` on the test split), ``cuts``, ``test_hours``,
        and the test split's ``n_on``, ``n_off``, ``alpha``, ``true_gammas_on`` with their rates
        per hour (``excess_per_hour``, ``background_per_hour`` = alpha N_off / h,
        ``true_gammas_on_per_hour``).
    """
    results = Path(results)
    truth_path = results / "simulated" / "observed_truth.h5"
    attrs = _file_attrs(truth_path)
    if "throws" not in attrs or "ontime_s" not in attrs:
        raise ValueError(
            f"{truth_path}: expected the attributes 'throws' and 'ontime_s' of an observation"
        )
    throw = read_throws(attrs["throws"])["gamma"]
    truth = read_columns(truth_path, ["particle_id", "true_energy"])
    gamma = truth["particle_id"] == PARTICLE_ID["gamma"]
    areas = {"trigger": effective_area(throw, truth["true_energy"][gamma], bins_tev)}

    def true_gammas(ids, path):
        t = read_observed_truth(truth_path, ids, ("true_energy",), path)
        return t["is_gamma"] == 1, t["true_energy"]

    splits = [results / "datasets" / f"observed_{s}.h5" for s in ("train", "val", "test")]
    energies = []
    for path in splits:
        is_gamma, energy = true_gammas(read_columns(path, ["event_id"])["event_id"], path)
        energies.append(energy[is_gamma])
    areas["quality"] = effective_area(throw, np.concatenate(energies), bins_tev)

    dl3_path = results / "dl3" / model / "observed_test.h5"
    choice = json.loads((results / "dl3" / model / "theta2.json").read_text())["choice"]
    dl3 = read_dl3(dl3_path, columns=["event_id"])
    seconds = float(dl3.ontime_s.sum())
    # the test split holds its share of the observation time, so of the thrown gammas
    test_throw = replace(throw, n_thrown=throw.n_thrown * seconds / float(attrs["ontime_s"]))
    is_gamma, energy = true_gammas(dl3.events["event_id"], dl3_path)
    gh = dl3.events["gamma_prediction"] > choice["gammaness_cut"]
    on = gh & (dl3.events["theta_deg"] ** 2 < choice["theta2_cut"])
    off = gh & (dl3.theta_off**2 < choice["theta2_cut"])
    areas["quality_test"] = effective_area(test_throw, energy[is_gamma], bins_tev)
    areas["gammaness"] = effective_area(test_throw, energy[is_gamma & gh], bins_tev)
    areas["theta2"] = effective_area(test_throw, energy[is_gamma & on], bins_tev)
    hours = seconds / 3600.0
    n_on, n_off, alpha = int(on.sum()), int(off.sum()), 1.0 / dl3.n_off
    return {
        "areas": {k: v.tolist() for k, v in areas.items()},
        "cuts": {k: choice[k] for k in ("gammaness_cut", "theta2_cut")},
        "test_hours": hours,
        "n_on": n_on,
        "n_off": n_off,
        "alpha": alpha,
        "true_gammas_on": int((is_gamma & on).sum()),
        "excess_per_hour": (n_on - alpha * n_off) / hours,
        "background_per_hour": alpha * n_off / hours,
        "true_gammas_on_per_hour": int((is_gamma & on).sum()) / hours,
    }


def quality_effective_area(
    config: Mapping, hours: float, bins_tev, seed: int = 1, observed: bool = True
) -> dict:
    """The gamma effective area (m^2) after extract's and the quality cuts, streamed.

    Runs :func:`iactdl.observed_stream.stream_observed` (simulate, extract's cuts, features,
    quality cuts: what rule ``stream_observed`` does) on ``hours`` of an observation of the Crab
    alone at 100 times its flux (the nuclei at a negligible flux), into a temporary directory,
    with the config's ``extract``, ``features`` and ``datasets``; ``observed=False`` switches
    every shift off (the simulated detector). The area does not depend on the flux: only the
    statistics do.

    Parameters
    ----------
    config : Mapping
        The whole config (sections ``simulation``, ``extract``, ``features``, ``datasets``).
    hours : float
        Observation time, h (0.1 h: ~17k gammas thrown, ~2k triggered).
    bins_tev : array_like
        Bin edges of true energy, TeV.
    seed : int, optional
        The simulation's seed.
    observed : bool, optional
        The observed detector (default) or the simulated one.

    Returns
    -------
    dict
        ``trigger`` and ``quality``: effective area per bin, m^2.
    """
    import copy
    import tempfile

    from iactdl.observed_stream import stream_observed

    sim = copy.deepcopy(dict(config.get("simulation") or {}))
    observed_section = sim.setdefault("observed", {})
    spectra = check_config(sim)["observed"]["spectra"]
    spectra["gamma"]["amplitude"] *= 100.0
    for nucleus in ("proton", "helium"):
        spectra[nucleus]["amplitude"] *= 1e-9
    observed_section.update({"hours": hours, "spectra": spectra})
    if not observed:
        observed_section["shifts"] = dict.fromkeys(check_config(sim)["observed"]["shifts"], False)
    with tempfile.TemporaryDirectory() as tmp:
        outputs = {k: Path(tmp) / f"{k}.h5" for k in ("train", "train_images", "val", "test")}
        truth_path = Path(tmp) / "truth.h5"
        stream_observed(
            sim,
            seed,
            outputs,
            truth_path,
            extract=config.get("extract"),
            features=config.get("features"),
            datasets=config.get("datasets"),
        )
        throw = read_throws(_file_attrs(truth_path)["throws"])["gamma"]
        truth = read_columns(truth_path, ["event_id", "particle_id", "true_energy"])
        kept = [
            read_columns(outputs[k], ["event_id"])["event_id"] for k in ("train", "val", "test")
        ]
    gamma = truth["particle_id"] == PARTICLE_ID["gamma"]
    selected = gamma & np.isin(truth["event_id"], np.concatenate(kept))
    return {
        "trigger": effective_area(throw, truth["true_energy"][gamma], bins_tev),
        "quality": effective_area(throw, truth["true_energy"][selected], bins_tev),
    }


def _print_areas(bins, areas: Mapping[str, np.ndarray], spectrum: Mapping) -> dict:
    """One row per bin of true energy, a column per stage, FACT's last; then rates per hour."""
    fact = np.asarray(FACT_EFFECTIVE_AREA["area_m2"], dtype=float)
    names = [*areas, "FACT"]
    cols = [np.asarray(a, dtype=float) for a in areas.values()] + [fact]
    print("effective area (m^2) per bin of true energy (TeV); last column: ours / FACT after cuts")
    print(f"{'E_true':>13s} " + " ".join(f"{n:>12s}" for n in names) + "   ratio")
    last = cols[-2]
    for i in range(bins.size - 1):
        row = " ".join(f"{c[i]:12.0f}" for c in cols)
        print(f"{bins[i]:6.3f}-{bins[i + 1]:6.3f} {row}   {last[i] / fact[i]:5.2f}")
    out = {}
    for name, a in zip(names, cols, strict=True):
        r = crab_rate(a, bins, spectrum)
        out[name] = r
        print(
            f"{name:>12s}: Crab {r['per_hour']:7.1f} gammas/h, threshold (peak dR/dE) "
            f"{r['threshold_tev']:.2f} TeV"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--hours", type=float, default=0.5, help="0: no triggered rates")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gammas", type=int, default=0, help="gammas thrown for the trigger-level area (0: none)"
    )
    parser.add_argument(
        "--simulated-detector",
        action="store_true",
        help="the trigger-level area of the simulated detector, not the observed one",
    )
    parser.add_argument(
        "--quality-hours",
        type=float,
        default=0.0,
        help="hours of a Crab-only observation (flux x100) streamed through extract's and the "
        "quality cuts (0: none)",
    )
    parser.add_argument("--results", help="a finished run's results/: the areas after the cuts")
    parser.add_argument("--model", default="random_forest", help="whose DL3 and cuts (--results)")
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text()) or {}
    simulation = config.get("simulation") or {}
    out: dict = {}
    if args.hours > 0:
        out = rates(simulation, args.hours, args.seed)
        for p, v in out["primaries"].items():
            print(
                f"{p:7s} thrown {v['thrown']:>11d} (expected {v['expected_thrown']:.4g})  "
                f"triggered {v['triggered']:>8d}  rate {v['rate_hz']:.4g} +- "
                f"{v['rate_err_hz']:.2g} Hz"
            )
        configured = check_config(simulation)["observed"]["hours"]
        print(f"total {out['total_rate_hz']:.4g} Hz, gamma fraction {out['gamma_fraction']:.3g}")
        if configured:
            out["configured_hours"] = configured
            out["configured_triggered"] = out["total_rate_hz"] * configured * 3600
            print(f"{configured} h (the config's) -> ~{out['configured_triggered']:.4g} triggered")
        print(f"{out['cpu_s_per_million_thrown']:.3g} CPU s per million thrown showers")
    bins = np.asarray(FACT_EFFECTIVE_AREA["energy_edges_tev"])
    areas: dict = {}
    if args.gammas > 0:
        which = "simulated" if args.simulated_detector else "observed"
        areas[f"trig_{which}"] = trigger_effective_area(
            simulation, args.gammas, bins, args.seed, observed=not args.simulated_detector
        )
    if args.quality_hours > 0:
        which = "simulated" if args.simulated_detector else "observed"
        streamed = quality_effective_area(
            config, args.quality_hours, bins, args.seed, observed=not args.simulated_detector
        )
        areas.update({f"{k}_{which}": v for k, v in streamed.items()})
    if args.results:
        run = run_effective_areas(args.results, args.model, bins)
        areas.update({f"run_{k}": v for k, v in run["areas"].items()})
        out["run"] = run
        print(
            f"{args.results} ({args.model}, gammaness > {run['cuts']['gammaness_cut']:.3f}, "
            f"theta^2 < {run['cuts']['theta2_cut']} deg^2; observed_test, {run['test_hours']:.2f} "
            f"h): N_on {run['n_on']}, N_off {run['n_off']}, excess "
            f"{run['excess_per_hour']:.1f}/h, background alpha N_off "
            f"{run['background_per_hour']:.1f}/h, true gammas in ON "
            f"{run['true_gammas_on_per_hour']:.1f}/h (FACT: excess "
            f"{FACT_EFFECTIVE_AREA['measured_excess_per_hour']:.1f}/h, background "
            f"{FACT_EFFECTIVE_AREA['measured_background_per_hour']:.1f}/h)"
        )
    if areas:
        spectrum = check_config(simulation)["observed"]["spectra"]["gamma"]
        out["crab"] = _print_areas(bins, areas, spectrum)
        out["areas_m2"] = {k: np.asarray(v).tolist() for k, v in areas.items()}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
