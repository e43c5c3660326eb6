"""Toy air showers on the FACT camera: seeded, vectorised over events, written chunk by chunk.

Concepts, one module each:
:mod:`~iactdl.simulate.spectra` (primaries, impacts, directions, trigger),
:mod:`~iactdl.simulate.fluxes` (the Crab's and the cosmic rays' measured fluxes),
:mod:`~iactdl.simulate.throw` (what was thrown, and the effective area from it),
:mod:`~iactdl.simulate.showers` (gamma ellipses, hadron sub-showers, muon rings, timing),
:mod:`~iactdl.simulate.detector` (PSF, Poisson statistics, NSB, gains, dead pixels, peak times),
:mod:`~iactdl.simulate.observation` (a wobble observation: events from flux x area x time),
:mod:`~iactdl.simulate.settings` (the ``simulation`` config section) and
:mod:`~iactdl.simulate.run` (whole samples into event files).
"""

from iactdl.simulate.detector import Detector, detect, render_expected
from iactdl.simulate.observation import expected_counts
from iactdl.simulate.run import simulate_chunks, simulate_sample
from iactdl.simulate.settings import DEFAULTS, check_config
from iactdl.simulate.showers import Showers, gamma_showers, proton_showers
from iactdl.simulate.throw import Throw, effective_area, read_throws

__all__ = [
    "DEFAULTS",
    "Detector",
    "Showers",
    "Throw",
    "check_config",
    "detect",
    "effective_area",
    "expected_counts",
    "gamma_showers",
    "proton_showers",
    "read_throws",
    "render_expected",
    "simulate_chunks",
    "simulate_sample",
]
