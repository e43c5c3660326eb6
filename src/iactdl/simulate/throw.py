"""What was thrown: the record of a simulated sample's showers, and the effective area from it.

Like CORSIKA's run headers and pyirf's ``SimulatedEventsInfo``: the number of showers thrown
(triggered or not), their energy range and spectrum, the scatter radius of the impacts and the
viewcone of the arrival directions. Every simulated file carries one record per primary as the JSON
attribute ``throws`` (``{"gamma": {...}, "proton": {...}}``), so an effective area can be computed
from the file alone:

.. math:: A_\\mathrm{eff}(E_i) = \\pi r_\\mathrm{max}^2 \\,
   \\frac{N_\\mathrm{selected}(E_i)}{N_\\mathrm{thrown}(E_i)},

with the thrown showers of bin :math:`E_i` the total times the bin's share of the thrown spectrum.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from iactdl.simulate.fluxes import integral_flux

__all__ = ["Throw", "effective_area", "throws_attr", "read_throws"]


@dataclass(frozen=True)
class Throw:
    """The showers thrown for one primary of one sample.

    Parameters
    ----------
    n_thrown : int
        Showers thrown, triggered or not.
    e_min_tev, e_max_tev : float
        Energy range of the thrown spectrum, TeV.
    spectral_index : float
        Index of the thrown spectrum at 1 TeV.
    curvature : float
        Its log-parabola curvature (0: a power law; :func:`~iactdl.simulate.fluxes.dnde`).
    max_impact_m : float
        Scatter radius of the impacts, m.
    viewcone_deg : float
        Half-opening of the cone of arrival directions, deg; 0: from one direction (a point
        source).
    """

    n_thrown: int
    e_min_tev: float
    e_max_tev: float
    spectral_index: float  # of the thrown spectrum at 1 TeV ...
    curvature: float  # ... and its log-parabola curvature (0: a power law)
    max_impact_m: float  # scatter radius
    viewcone_deg: float  # 0: from one direction (a point source)

    @property
    def area_m2(self) -> float:
        """Area of the scatter disk, ``pi max_impact_m^2``.

        Returns
        -------
        float
            Area, m^2.
        """
        return float(np.pi * self.max_impact_m**2)

    def thrown_per_bin(self, bins_tev: np.ndarray) -> np.ndarray:
        """Expected thrown showers per energy bin: ``n_thrown`` x the bin's share of the
        spectrum.

        Parameters
        ----------
        bins_tev : numpy.ndarray
            Bin edges of true energy, TeV, shape (n_bins + 1,), ascending; the parts outside
            the thrown range get nothing.

        Returns
        -------
        numpy.ndarray
            Expected thrown showers per bin, shape (n_bins,), float64.
        """
        spec = {"amplitude": 1.0, "index": self.spectral_index, "curvature": self.curvature}
        lo = np.clip(bins_tev[:-1], self.e_min_tev, self.e_max_tev)
        hi = np.clip(bins_tev[1:], self.e_min_tev, self.e_max_tev)
        total = integral_flux(spec, self.e_min_tev, self.e_max_tev)
        share = [
            integral_flux(spec, a, b) / total if b > a else 0.0 for a, b in zip(lo, hi, strict=True)
        ]
        return self.n_thrown * np.asarray(share)


def effective_area(throw: Throw, true_energy_tev, bins_tev) -> np.ndarray:
    """Effective area (m^2) per bin of true energy of the selected events ``true_energy_tev``.

    Thrown area x selected fraction per bin; bins where nothing was thrown are NaN:
    ``A_eff(E_i) = pi r_max^2 N_selected(E_i) / N_thrown(E_i)`` (the module docstring; pyirf's
    ``effective_area_per_energy``). For a diffuse throw it is the area alone (not times the
    viewcone's solid angle).

    Parameters
    ----------
    throw : Throw
        What was thrown for the events' primary.
    true_energy_tev : array_like
        True energies of the selected events, TeV.
    bins_tev : array_like
        Bin edges of true energy, TeV, shape (n_bins + 1,).

    Returns
    -------
    numpy.ndarray
        Effective area per bin, m^2, shape (n_bins,).
    """
    bins = np.asarray(bins_tev, dtype=float)
    selected = np.histogram(np.asarray(true_energy_tev, dtype=float), bins)[0]
    thrown = throw.thrown_per_bin(bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(thrown > 0, throw.area_m2 * selected / thrown, np.nan)


def throws_attr(throws: Mapping[str, Throw]) -> str:
    """The file attribute ``throws``: one record per primary, JSON.

    Parameters
    ----------
    throws : Mapping of str to Throw
        Primary name (``"gamma"``, ``"proton"``, ...) to its record.

    Returns
    -------
    str
        JSON object of the records' fields, keys sorted.
    """
    return json.dumps({k: asdict(v) for k, v in throws.items()}, sort_keys=True)


def read_throws(attr: str) -> dict[str, Throw]:
    """The records of a file's ``throws`` attribute.

    Parameters
    ----------
    attr : str
        The JSON of :func:`throws_attr`.

    Returns
    -------
    dict of str to Throw
        Primary name to its record.
    """
    return {k: Throw(**v) for k, v in json.loads(attr).items()}
