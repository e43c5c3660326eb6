"""The ``simulation`` config section: defaults and checks (the schema says the same, for Snakemake).

:func:`check_config` merges a (partial) section over :data:`DEFAULTS` and raises ``ValueError``
naming the key (``simulation.proton.muon_fraction``) and the valid range for a bad value, so the
library fails as clearly when called from a notebook as the workflow does through its schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

__all__ = [
    "DEFAULTS",
    "SHIFTS",
    "check_config",
    "detector_config",
    "shower_config",
    "thrown_energy_range",
]

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
    # observing conditions that act before the trigger (shower_config): 1 = as simulated
    "trigger_threshold_factor": 1.0,
    "atmospheric_transmission": 1.0,
    # the pointing's zenith angle, drawn per shower uniformly in [min, max] (deg); the shower
    # constants hold at iactdl.simulate.showers.REFERENCE_ZENITH_DEG, so the simulation is there
    "zenith_min_deg": 15.0,
    "zenith_max_deg": 15.0,
}

# The observation's physical shifts: switch name -> (the observed detector's keys it sets, its type
# in Kull and Flach's terms, "Patterns of dataset shift", 2014). Gamma/hadron separation is a
# Y -> X problem (the particle causes the image), so a camera effect that changes the images of
# each class at a fixed class mix is a change of p(x|y) with p(y) fixed: their *concept* shift
# (often loosely called covariate shift; p(y|x) changes too, so it is not a pure covariate shift).
# A change of what triggers selects on energy, so it changes p(x|y) and, once the observation's
# particle counts follow from fluxes and trigger efficiencies, p(y) too: concept and prior.
# A switch turned off gives the observed detector the simulated detector's value of its keys.
SHIFTS = {
    "night_sky": (("nsb_pe",), "concept (p(x|y): noise pixels, charges)"),
    "moon_trigger": (("trigger_threshold_factor",), "concept + prior (selects on energy)"),
    "gain_drift": (("gain",), "concept (p(x|y): charges scaled)"),
    "gain_spread": (("gain_spread",), "concept (p(x|y): per-pixel charges)"),
    "dead_pixels": (("dead_pixel_fraction",), "concept (p(x|y): holes in images)"),
    "mirrors": (("psf_sigma_mm",), "concept (p(x|y): wider images)"),
    "atmosphere": (("atmospheric_transmission",), "concept + prior (less light; energy)"),
    "trigger_timing": (
        ("time_jitter_ns", "trigger_walk_ns", "trigger_jitter_ns"),
        "concept (p(x|y): arrival times)",
    ),
    "zenith": (
        ("zenith_min_deg", "zenith_max_deg"),
        "concept + prior (smaller, fainter images; selects on energy)",
    ),
}

DEFAULTS = {
    "n_events": {"gamma": 20000, "gamma_diffuse": 10000, "proton": 30000},
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
        "width_scale": 1.0,
        "disp_scale": 1.0,
    },
    # helium nuclei: in the observation only (the training background is protons alone); a
    # nucleus of energy E showers like 4 nucleons of E/4 (superposition): less light per TeV,
    # smaller fluctuations, broader, more sub-showers, rarely one dominant pi0 cascade, and its
    # maximum ~50 g/cm^2 higher (X0 ln 4), so its image lies nearer its arrival direction
    "helium": {
        "e_min_tev": 0.2,
        "e_max_tev": 200.0,
        "max_impact_m": 400.0,
        "max_offset_deg": 4.5,
        "pe_per_tev": 45.0,
        "size_fluctuation": 0.5,
        "gamma_like_fraction": 0.3,
        "mean_subshowers": 2.5,
        "muon_fraction": 0.03,
        "width_scale": 1.15,
        "disp_scale": 0.92,
    },
    "detector": dict(_DETECTOR),
    "observed": {
        "hours": 17.7,
        # dN/dE = amplitude (E/TeV)^(index + curvature log10(E/TeV)), TeV^-1 cm^-2 s^-1 (sr^-1 for
        # the nuclei), valid from e_min_tev to e_max_tev (iactdl.simulate.fluxes)
        "spectra": {
            # Crab Nebula, MAGIC 2015 (Aleksic et al. 2015, JHEAp 5-6, 30), measured 0.05-30 TeV
            "gamma": {
                "amplitude": 3.23e-11,
                "index": -2.47,
                "curvature": -0.24,
                "e_min_tev": 0.05,
                "e_max_tev": 30.0,
            },
            # protons: CTA's IRF-document fit (pyirf IRFDOC_PROTON_SPECTRUM) to direct measurements
            "proton": {
                "amplitude": 9.8e-6,
                "index": -2.62,
                "curvature": 0.0,
                "e_min_tev": 0.01,
                "e_max_tev": 100.0,
            },
            # helium: Hoerandel 2003 (APh 19, 193, Table 1), poly-gonato fit to direct measurements
            "helium": {
                "amplitude": 5.71e-6,
                "index": -2.64,
                "curvature": 0.0,
                "e_min_tev": 0.01,
                "e_max_tev": 100.0,
            },
        },
        "detector": {
            **_DETECTOR,
            "nsb_pe": 3.0,
            "gain": 0.82,
            "gain_spread": 0.08,
            "psf_sigma_mm": 6.5,
            "dead_pixel_fraction": 0.0083,
            "time_jitter_ns": 0.8,
            # reproduces FACT's observed photon-stream run 20170119_229 (benchmarks/trigger_time.py)
            "trigger_walk_ns": 6.0,
            "trigger_jitter_ns": 1.7,
            "trigger_threshold_factor": 1.25,
            "atmospheric_transmission": 0.9,
            # the zenith range of the 218 runs of FACT's open Crab sample (17.7 h, Nov 2013;
            # ../shared/fact-data/crab_dl3_small.hdf5, runs/zenith)
            "zenith_min_deg": 6.4,
            "zenith_max_deg": 29.9,
        },
        "shifts": {name: True for name in SHIFTS},
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
    "*.nsb_pe": (0.0, 25.0),
    "*.electronics_noise_pe": (0.0, 10.0),
    "*.excess_noise": (0.0, 1.0),
    "*.gain": (0.5, 1.5),
    "*.gain_spread": (0.0, 0.3),
    "*.psf_sigma_mm": (0.0, 20.0),
    "*.dead_pixel_fraction": (0.0, 0.1),
    "*.time_jitter_ns": (0.0, 20.0),
    "*.trigger_walk_ns": (0.0, 10.0),
    "*.trigger_jitter_ns": (0.0, 10.0),
    "*.trigger_threshold_factor": (0.5, 3.0),
    "*.atmospheric_transmission": (0.3, 1.05),
    "*.zenith_min_deg": (0.0, 60.0),
    "*.zenith_max_deg": (0.0, 60.0),
    "observed.hours": (None, 10000.0),
    "*.width_scale": (0.1, 10.0),
    "*.disp_scale": (0.1, 10.0),
    "*.amplitude": (0.0, None),
    "*.index": (-5.0, 0.0),
    "*.curvature": (-2.0, 2.0),
}


# why a range is what it is, where the physics sets it (appended to the out-of-range message)
_PHYSICAL = {
    "nsb_pe": (
        "p.e. per pixel in the integration window: FACT observes from dark nights to full Moon "
        "(Knoetig et al. 2013, ICRC, arXiv:1307.6116), at up to ~30x the dark rate, 0.8 p.e. "
        "here; the factor 30 is our estimate, not a number from the paper"
    ),
    "gain": (
        "relative to the calibration: FACT's G-APD gain is held by a feedback on the bias "
        "voltage (temperature and current; Biland et al. 2014, JINST 9 P10012), so a drift of "
        "the calibrated charge beyond +-50% means a failed calibration, not an observation; "
        "the bound is our estimate"
    ),
    "gain_spread": (
        "per-pixel relative gain spread after flat-fielding (Biland et al. 2014, JINST 9 P10012); "
        "beyond 30% the camera would not be flat-fielded at all (our estimate)"
    ),
    "psf_sigma_mm": (
        "mm (9.5 mm pixels, 0.11 deg): FACT's refurbished mirrors focus within about a pixel "
        "(Anderhub et al. 2013, JINST 8 P06008); beyond 20 mm (two pixels) the mirrors would be "
        "misaligned, not aged (our estimate)"
    ),
    "dead_pixel_fraction": (
        "FACT-Tools' list of known bad pixels holds 12 of 1440 (0.8%; 3 dead, 3 noisy, 6 "
        "twins), plus 9 of a DRS board broken in 2014/15 (1.5% in all; FACT logbook's known "
        "problems); beyond 10% FACT would not take data (our estimate)"
    ),
    "trigger_threshold_factor": (
        "times simulation.trigger.threshold_pe: FACT raises its trigger threshold with the "
        "night-sky rate to keep the accidental rate down (Knoetig et al. 2013, arXiv:1307.6116; "
        "Anderhub et al. 2013, JINST 8 P06008); 3x is beyond full Moon (our estimate)"
    ),
    "atmospheric_transmission": (
        "the atmosphere's transmission of Cherenkov light relative to the simulated atmosphere: "
        "1.05 for a clearer night than simulated, 0.3 for thick Calima or clouds, below which "
        "FACT's data-quality selection on the trigger rate drops the data (our estimate)"
    ),
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
# the zenith's bounds share one reason: the throw, not the physics, would set what triggers beyond
_PHYSICAL["zenith_min_deg"] = _PHYSICAL["zenith_max_deg"] = (
    "deg: a shower's maximum lies 1/cos(zenith) farther away (flat atmosphere; Bretz 2019, "
    "arXiv:1902.03875, fits FACT's trigger rate against zenith with a curved one); at "
    "60 deg the light pool's shoulder (120 m at the reference 15 deg, iactdl.simulate.showers) "
    "reaches 232 m, near the gammas' 270 m scatter radius, so beyond it the throw, not the "
    "physics, would decide what triggers (our bound)"
)


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
        if isinstance(default[key], bool):
            if not isinstance(value, bool):
                raise ValueError(f"{where}: expected true or false, got {value!r}")
            continue
        if where == "simulation.observed.hours" and value is None:
            continue  # no observation
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

    Parameters
    ----------
    section : Mapping or None
        The (partial) ``simulation`` config section; ``None`` or empty: every default. Not
        modified.

    Returns
    -------
    dict
        A new, complete section: :data:`DEFAULTS` with ``section``'s values merged in, nested.

    Raises
    ------
    ValueError
        For an unknown key, a wrong type, an out-of-range value, ``e_min_tev >= e_max_tev``, a
        non-positive observation time or amplitude, or a spectrum that does not overlap the
        simulated energy range.
    """
    cfg = _merge(DEFAULTS, section or {}, "simulation")
    _check_values(cfg, DEFAULTS, "simulation")
    spectra = cfg["observed"]["spectra"]
    ranges = [(f"simulation.{p}", cfg[p]) for p in ("gamma", "proton", "helium")]
    ranges += [(f"simulation.observed.spectra.{p}", s) for p, s in spectra.items()]
    for where, node in ranges:
        if node["e_min_tev"] >= node["e_max_tev"]:
            raise ValueError(
                f"{where}: e_min_tev ({node['e_min_tev']}) must be below "
                f"e_max_tev ({node['e_max_tev']})"
            )
    for where, det in (
        ("detector", cfg["detector"]),
        ("observed.detector", cfg["observed"]["detector"]),
    ):
        if det["zenith_min_deg"] > det["zenith_max_deg"]:
            raise ValueError(
                f"simulation.{where}.zenith_min_deg ({det['zenith_min_deg']}) must not exceed "
                f"zenith_max_deg ({det['zenith_max_deg']}): the range of zenith angles (deg)"
            )
    hours = cfg["observed"]["hours"]
    if hours is not None and hours <= 0:
        raise ValueError(
            f"simulation.observed.hours: {hours!r}, expected > 0 (the observation time in hours; "
            "null: no observation)"
        )
    for p, spectrum in spectra.items():
        if spectrum["amplitude"] <= 0:
            raise ValueError(
                f"simulation.observed.spectra.{p}.amplitude: {spectrum['amplitude']!r}, "
                "expected > 0"
            )
        thrown_energy_range(cfg, p)
    return cfg


def thrown_energy_range(cfg: Mapping, primary: str) -> tuple[float, float]:
    """Energies (TeV) the observation throws of ``primary``: its simulated range within the
    measured range of its spectrum (a spectrum is never extrapolated).

    Parameters
    ----------
    cfg : Mapping
        A ``simulation`` section (:func:`check_config`).
    primary : str
        ``"gamma"``, ``"proton"`` or ``"helium"``.

    Returns
    -------
    lo, hi : float
        ``max`` of the lower and ``min`` of the upper bounds of ``simulation.{primary}`` and
        ``simulation.observed.spectra.{primary}``, TeV.

    Raises
    ------
    ValueError
        If the two ranges do not overlap.
    """
    sim, spec = cfg[primary], cfg["observed"]["spectra"][primary]
    lo, hi = max(sim["e_min_tev"], spec["e_min_tev"]), min(sim["e_max_tev"], spec["e_max_tev"])
    if lo >= hi:
        raise ValueError(
            f"simulation.observed.spectra.{primary}: its energy range [{spec['e_min_tev']}, "
            f"{spec['e_max_tev']}] TeV lies outside the simulated range of simulation.{primary} "
            f"[{sim['e_min_tev']}, {sim['e_max_tev']}] TeV"
        )
    return lo, hi


def detector_config(cfg: Mapping, observed: bool) -> dict:
    """The detector of the simulation, or the observed one (which differs from it).

    The observed one takes the simulated detector's value of the keys of every shift switched off
    in ``observed.shifts`` (:data:`SHIFTS`), so each shift can be studied alone.

    Parameters
    ----------
    cfg : Mapping
        A checked ``simulation`` section.
    observed : bool
        ``False``: ``simulation.detector``; ``True``: ``simulation.observed.detector`` with the
        switched-off shifts reverted.

    Returns
    -------
    dict
        A new dict of the :class:`~iactdl.simulate.detector.Detector` fields.
    """
    if not observed:
        return dict(cfg["detector"])
    det = dict(cfg["observed"]["detector"])
    for name, on in cfg["observed"]["shifts"].items():
        if not on:
            det.update({k: cfg["detector"][k] for k in SHIFTS[name][0]})
    return det


def shower_config(cfg: Mapping, detector: Mapping) -> dict:
    """``cfg`` with the observing conditions of ``detector`` that act before the trigger applied.

    The trigger threshold times ``trigger_threshold_factor`` (moonlight: what triggers shifts to
    higher energies) and the light yield of gammas, protons and helium times
    ``atmospheric_transmission`` (fewer photons reach the mirror; through the trigger, too). Muon
    rings keep their light: the muons are local, their light crosses ~100 m of air, not ~10 km.
    The zenith range (``zenith_min_deg``, ``zenith_max_deg``) goes to each of those primaries: the
    showers draw a zenith angle each and are imaged from it
    (:func:`iactdl.simulate.showers.zenith_scaling`).

    Parameters
    ----------
    cfg : Mapping
        A checked ``simulation`` section; not modified.
    detector : Mapping
        The detector's fields (:func:`detector_config`): ``trigger_threshold_factor`` and
        ``atmospheric_transmission`` are read, and the zenith range.

    Returns
    -------
    dict
        A deep copy of ``cfg`` with ``trigger.threshold_pe`` and every primary's
        ``pe_per_tev`` scaled and the zenith range set.
    """
    out = copy.deepcopy(dict(cfg))
    out["trigger"]["threshold_pe"] *= detector["trigger_threshold_factor"]
    for particle in ("gamma", "proton", "helium"):
        out[particle]["pe_per_tev"] *= detector["atmospheric_transmission"]
        out[particle]["zenith_min_deg"] = float(detector["zenith_min_deg"])
        out[particle]["zenith_max_deg"] = float(detector["zenith_max_deg"])
    return out
