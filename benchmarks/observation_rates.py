"""Trigger rates of the simulated observation: triggered events per second of each primary.

    python benchmarks/observation_rates.py                # config.yaml's simulation, 0.5 h
    python benchmarks/observation_rates.py --hours 2 --config tests/config/tiny.yaml

Throws the showers of ``--hours`` of observation (:mod:`iactdl.simulate.observation`: flux x scatter
area x solid angle x time, energies from the measured spectra) and keeps those the trigger of the
observed detector keeps (its shifts that act before the trigger: moonlight threshold, atmosphere,
zenith angle), scalars only (no images), so hours of observation take seconds. Prints the expected
and drawn thrown counts, the triggered rate (Hz) per primary with its Poisson error, the gamma
fraction of the triggered events, the hours that give the config's observation its triggered events,
and the CPU time per thrown shower. FACT's trigger rate on a dark night is ~60-80 Hz (cosmic rays;
the figure the project's issue 20 quotes, not checked here against a publication). The last line
printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import yaml

from iactdl.simulate import check_config, expected_counts
from iactdl.simulate.observation import PRIMARIES
from iactdl.simulate.settings import detector_config, shower_config, thrown_energy_range
from iactdl.simulate.showers import gamma_geometry, hadron_geometry, throw_triggered
from iactdl.simulate.spectra import wobble_positions

REPO = Path(__file__).resolve().parents[1]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "config.yaml"))
    parser.add_argument("--hours", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    simulation = yaml.safe_load(Path(args.config).read_text()).get("simulation") or {}
    out = rates(simulation, args.hours, args.seed)
    for p, v in out["primaries"].items():
        print(
            f"{p:7s} thrown {v['thrown']:>11d} (expected {v['expected_thrown']:.4g})  triggered "
            f"{v['triggered']:>8d}  rate {v['rate_hz']:.4g} +- {v['rate_err_hz']:.2g} Hz"
        )
    configured = check_config(simulation)["observed"]["hours"]
    print(f"total {out['total_rate_hz']:.4g} Hz, gamma fraction {out['gamma_fraction']:.3g}")
    if configured:
        out["configured_hours"] = configured
        out["configured_triggered"] = out["total_rate_hz"] * configured * 3600
        print(f"{configured} h (the config's) -> ~{out['configured_triggered']:.4g} triggered")
    print(f"{out['cpu_s_per_million_thrown']:.3g} CPU s per million thrown showers")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
