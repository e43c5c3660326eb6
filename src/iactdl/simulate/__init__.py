"""Toy air showers on the FACT camera: seeded, vectorised over events, written chunk by chunk.

Concepts, one module each:
:mod:`~iactdl.simulate.spectra` (primaries, impacts, directions, trigger),
:mod:`~iactdl.simulate.showers` (gamma ellipses, proton sub-showers, muon rings, timing),
:mod:`~iactdl.simulate.detector` (PSF, Poisson statistics, NSB, gains, dead pixels, peak times),
:mod:`~iactdl.simulate.observation` (ON/OFF regions of a wobble observation),
:mod:`~iactdl.simulate.settings` (the ``simulation`` config section) and
:mod:`~iactdl.simulate.run` (whole samples into event files).
"""

from iactdl.simulate.detector import Detector, detect, render_expected
from iactdl.simulate.observation import assign_regions, gamma_probability, region_positions
from iactdl.simulate.run import simulate_chunks, simulate_sample
from iactdl.simulate.settings import DEFAULTS, check_config
from iactdl.simulate.showers import Showers, gamma_showers, proton_showers

__all__ = [
    "DEFAULTS",
    "Detector",
    "Showers",
    "assign_regions",
    "check_config",
    "detect",
    "gamma_probability",
    "gamma_showers",
    "proton_showers",
    "region_positions",
    "render_expected",
    "simulate_chunks",
    "simulate_sample",
]
