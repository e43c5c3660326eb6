"""The ``simulation`` config section: defaults and checks (the schema says the same, for Snakemake).

:func:`check_config` merges a (partial) section over :data:`DEFAULTS` and raises ``ValueError``
naming the key (``simulation.proton.muon_fraction``) and the valid range for a bad value, so the
library fails as clearly when called from a notebook as the workflow does through its schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

__all__ = ["DEFAULTS", "check_config", "detector_config"]

_DETECTOR = {
    "nsb_pe": 0.8,
    "electronics_noise_pe": 0.5,
    "excess_noise": 0.1,
    "gain": 1.0,
    "gain_spread": 0.05,
    "psf_sigma_mm": 3.5,
    "dead_pixel_fraction": 0.0,
    "time_jitter_ns": 0.0,
    # the trigger's placement of the readout window (iactdl.simulate.detector.trigger_time_offsets):
    # reproduces FACT's simulated photon-stream run 011014 (benchmarks/trigger_time.py)
    "trigger_walk_ns": 2.0,
    "trigger_jitter_ns": 0.0,
}

DEFAULTS = {
    "n_events": {"gamma": 20000, "gamma_diffuse": 10000, "proton": 30000, "observed": 1000000},
    "chunk_size": 1000,
    "compression": "none",
    "wobble_offset_deg": 0.6,
    "n_wobble_positions": 4,
    "diffuse_max_offset_deg": 3.0,
    "trigger": {"threshold_pe": 80.0, "width": 0.2},
    "gamma": {
        "e_min_tev": 0.2,
        "e_max_tev": 50.0,
        "spectral_index": -2.7,
        "max_impact_m": 270.0,
        "pe_per_tev": 200.0,
        "size_fluctuation": 0.3,
    },
    "proton": {
        "e_min_tev": 0.2,
        "e_max_tev": 200.0,
        "spectral_index": -2.7,
        "max_impact_m": 400.0,
        "max_offset_deg": 4.5,
        "pe_per_tev": 60.0,
        "size_fluctuation": 0.7,
        "gamma_like_fraction": 0.6,
        "mean_subshowers": 1.4,
        "muon_fraction": 0.03,
    },
    "detector": dict(_DETECTOR),
    "observed": {
        "n_off_regions": 5,
        "gamma_fraction_on": 0.1,
        # the observation time the simulated events stand for (h): the DL3 runs' ontime
        "hours": 1.0,
        "detector": {
            **_DETECTOR,
            "nsb_pe": 3.0,
            "gain": 0.82,
            "psf_sigma_mm": 6.5,
            "dead_pixel_fraction": 0.01,
            "time_jitter_ns": 0.8,
            # reproduces FACT's observed photon-stream run 20170119_229 (benchmarks/trigger_time.py)
            "trigger_walk_ns": 6.0,
            "trigger_jitter_ns": 1.7,
        },
    },
}

_CHOICES = {"compression": ("none", "lzf", "gzip")}

# key -> (minimum, maximum); a bound of None is open
_RANGES = {
    "n_events.*": (0, None),
    "chunk_size": (1, 100000),
    "wobble_offset_deg": (0.0, 2.0),
    "n_wobble_positions": (0, 360),
    "diffuse_max_offset_deg": (0.0, 10.0),
    "trigger.threshold_pe": (0.0, None),
    "trigger.width": (0.01, 5.0),
    "*.e_min_tev": (1e-3, None),
    "*.e_max_tev": (1e-3, None),
    "*.spectral_index": (-5.0, 0.0),
    "*.max_impact_m": (0.0, 2000.0),
    "*.max_offset_deg": (0.0, 10.0),
    "*.pe_per_tev": (0.0, None),
    "*.size_fluctuation": (0.0, 2.0),
    "*.gamma_like_fraction": (0.0, 1.0),
    "*.mean_subshowers": (0.0, 10.0),
    "*.muon_fraction": (0.0, 0.5),
    "*.nsb_pe": (0.0, 100.0),
    "*.electronics_noise_pe": (0.0, 10.0),
    "*.excess_noise": (0.0, 1.0),
    "*.gain": (0.01, 10.0),
    "*.gain_spread": (0.0, 1.0),
    "*.psf_sigma_mm": (0.0, 50.0),
    "*.dead_pixel_fraction": (0.0, 0.5),
    "*.time_jitter_ns": (0.0, 20.0),
    "*.trigger_walk_ns": (0.0, 10.0),
    "*.trigger_jitter_ns": (0.0, 10.0),
    "observed.n_off_regions": (1, 11),
    "observed.gamma_fraction_on": (0.0, 0.99),
    "observed.hours": (1e-6, 1e4),
}


# why a range is what it is, where the physics sets it (appended to the out-of-range message)
_PHYSICAL = {
    "trigger_walk_ns": (
        "ns: a leading-edge trigger's walk is bounded by the rise of the summed trigger-patch "
        "pulse, a few ns for FACT's G-APDs and shaping (Anderhub et al. 2013, JINST 8 P06008); "
        "FACT's photon-stream files need 2.0 ns (simulated) and 6.0 ns (observed), "
        "benchmarks/trigger_time.py"
    ),
    "trigger_jitter_ns": (
        "ns: per-event trigger jitter; beyond 10 ns (3 sigma = 30 ns) the shower would leave the "
        "readout's signal window (the simulator's 5-45 ns, FACT's photon-stream 15-65 ns); FACT's "
        "photon-stream files need 0 ns (simulated) and 1.7 ns (observed), "
        "benchmarks/trigger_time.py"
    ),
}


def _merge(default: Mapping, given: Mapping, path: str) -> dict:
    out = copy.deepcopy(dict(default))
    for key, value in dict(given).items():
        where = f"{path}.{key}"
        if key not in default:
            raise ValueError(f"{where}: unknown key (expected one of {sorted(default)})")
        if isinstance(default[key], Mapping):
            if not isinstance(value, Mapping):
                raise ValueError(f"{where}: expected a mapping, got {value!r}")
            out[key] = _merge(default[key], value, where)
        else:
            out[key] = value
    return out


def _range_for(dotted: str):
    parts = dotted.split(".")
    for pattern, bounds in _RANGES.items():
        p = pattern.split(".")
        if p[0] == "*" and parts[-1] == p[-1]:
            return bounds
        if p[-1] == "*" and parts[: len(p) - 1] == p[:-1]:
            return bounds
        if p == parts:
            return bounds
    return None


def _check_values(node: Mapping, default: Mapping, path: str) -> None:
    for key, value in node.items():
        where = f"{path}.{key}"
        if isinstance(value, Mapping):
            _check_values(value, default[key], where)
            continue
        if key in _CHOICES:
            if value not in _CHOICES[key]:
                raise ValueError(f"{where}: {value!r} is not one of {list(_CHOICES[key])}")
            continue
        want_int = isinstance(default[key], int) and not isinstance(default[key], bool)
        ok_type = isinstance(value, int) if want_int else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            kind = "an integer" if want_int else "a number"
            raise ValueError(f"{where}: expected {kind}, got {value!r}")
        bounds = _range_for(where.split(".", 1)[1])
        if bounds is not None:
            lo, hi = bounds
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                why = f" ({_PHYSICAL[key]})" if key in _PHYSICAL else ""
                raise ValueError(f"{where}: {value!r} is out of range [{lo}, {hi}]{why}")


def check_config(section: Mapping | None) -> dict:
    """The full ``simulation`` section: ``section`` over :data:`DEFAULTS`, checked.

    Raises ``ValueError`` naming the key for an unknown key, a wrong type or an out-of-range value.
    """
    cfg = _merge(DEFAULTS, section or {}, "simulation")
    _check_values(cfg, DEFAULTS, "simulation")
    for particle in ("gamma", "proton"):
        if cfg[particle]["e_min_tev"] >= cfg[particle]["e_max_tev"]:
            raise ValueError(
                f"simulation.{particle}: e_min_tev ({cfg[particle]['e_min_tev']}) must be below "
                f"e_max_tev ({cfg[particle]['e_max_tev']})"
            )
    return cfg


def detector_config(cfg: Mapping, observed: bool) -> dict:
    """The detector of the simulation, or the observed one (which differs from it)."""
    return dict(cfg["observed"]["detector"] if observed else cfg["detector"])
