"""Fluxes of the sky: a published Crab Nebula spectrum and the measured cosmic-ray nuclei.

One functional form, the log-parabola

.. math:: \\frac{dN}{dE} = A \\left(\\frac{E}{1\\,\\mathrm{TeV}}\\right)^{\\alpha + \\beta
   \\log_{10}(E / 1\\,\\mathrm{TeV})}

(a power law for :math:`\\beta = 0`), in TeV^-1 cm^-2 s^-1 for a point source and TeV^-1 cm^-2
s^-1 sr^-1 for a diffuse flux; energies in TeV (for nuclei: the total energy of the nucleus, what
sets the size of its air shower). The defaults (:data:`iactdl.simulate.settings.DEFAULTS`,
``simulation.observed.spectra``):

- **Crab Nebula**: MAGIC 2015 (Aleksic et al. 2015, JHEAp 5-6, 30, eq. 2): A = 3.23e-11, alpha =
  -2.47, beta = -0.24, measured from 0.05 to 30 TeV (pyirf's ``CRAB_MAGIC_JHEAP2015``).
- **Protons**: the fit of CTA's IRF document (pyirf ``IRFDOC_PROTON_SPECTRUM``): A = 9.8e-6, alpha
  = -2.62, a fit to balloon and satellite measurements (BESS, AMS, ATIC, CREAM) at TeV energies.
- **Helium**: Hoerandel 2003 (APh 19, 193, Table 1), the poly-gonato fit to the direct
  measurements: A = 5.71e-2 m^-2 = 5.71e-6 cm^-2, alpha = -2.64 per total energy of the nucleus.

The observation throws each particle with energies drawn from these spectra (inverse CDF on a
log-energy grid) and ``Poisson(T x area x solid angle x integral of the flux)`` showers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "dnde",
    "integral_flux",
    "spectrum_energies",
    "solid_angle_sr",
    "expected_thrown",
]

_GRID = 4096  # points of the log-energy grid: the integral is exact to ~1e-7 for these spectra


def dnde(spectrum: Mapping, energy_tev) -> np.ndarray:
    """Differential flux at ``energy_tev`` (TeV): ``amplitude (E/TeV)^(index + curvature lg E)``.

    Parameters
    ----------
    spectrum : Mapping
        ``amplitude`` (TeV^-1 cm^-2 s^-1, and sr^-1 if diffuse), ``index`` and ``curvature``
        of the log-parabola (see the module docstring).
    energy_tev : array_like
        Energies, TeV.

    Returns
    -------
    numpy.ndarray
        dN/dE at each energy, in the unit of ``amplitude``; shape of ``energy_tev``.
    """
    lg = np.log10(np.asarray(energy_tev, dtype=float))
    exponent = spectrum["index"] + spectrum["curvature"] * lg
    return spectrum["amplitude"] * 10.0 ** (exponent * lg)


def _grid(spectrum: Mapping, e_min: float, e_max: float) -> tuple[np.ndarray, np.ndarray]:
    """ln E grid and the cumulative integral of the flux on it (trapezoids in ln E: E dN/dE)."""
    ln_e = np.linspace(np.log(e_min), np.log(e_max), _GRID)
    f = dnde(spectrum, np.exp(ln_e)) * np.exp(ln_e)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(ln_e))])
    return ln_e, cum


def integral_flux(spectrum: Mapping, e_min: float, e_max: float) -> float:
    """The flux integrated from ``e_min`` to ``e_max`` (TeV): cm^-2 s^-1 (sr^-1 if diffuse).

    A power law (``curvature`` 0, ``index`` = g - 1 != -1) is integrated exactly, ``A (e_max^g -
    e_min^g) / g``; a log-parabola by trapezoids of ``E dN/dE`` on a 4096-point grid in ln E.

    Parameters
    ----------
    spectrum : Mapping
        ``amplitude`` (TeV^-1 cm^-2 s^-1, and sr^-1 if diffuse), ``index`` and ``curvature``
        of the log-parabola (see the module docstring).
    e_min, e_max : float
        Energy range, TeV.

    Returns
    -------
    float
        Integral flux, cm^-2 s^-1 (sr^-1 if diffuse).
    """
    if spectrum["curvature"] == 0.0 and spectrum["index"] != -1.0:  # a power law: exact
        g = spectrum["index"] + 1.0
        return float(spectrum["amplitude"] * (e_max**g - e_min**g) / g)
    return float(_grid(spectrum, e_min, e_max)[1][-1])


def spectrum_energies(
    rng: np.random.Generator, n: int, spectrum: Mapping, e_min: float, e_max: float
) -> np.ndarray:
    """``n`` energies (TeV, float32) distributed as ``spectrum`` between ``e_min`` and ``e_max``.

    Inverse CDF on a fine grid in ln E (piecewise linear between grid points, where the spectrum is
    a power law to better than 1e-5).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the uniforms (float32, one per energy).
    n : int
        Number of energies.
    spectrum : Mapping
        ``amplitude`` (TeV^-1 cm^-2 s^-1, and sr^-1 if diffuse), ``index`` and ``curvature``
        of the log-parabola (see the module docstring).
    e_min, e_max : float
        Energy range, TeV.

    Returns
    -------
    numpy.ndarray
        Energies, TeV, shape (n,), float32.
    """
    ln_e, cum = _grid(spectrum, e_min, e_max)
    u = rng.random(n, dtype=np.float32)  # float32: runs for every thrown shower
    return np.exp(np.interp(u, cum / cum[-1], ln_e)).astype(np.float32)


def solid_angle_sr(max_offset_deg: float) -> float:
    """Solid angle (sr) of a cone of half-opening ``max_offset_deg``: 2 pi (1 - cos theta).

    Parameters
    ----------
    max_offset_deg : float
        Half-opening angle theta of the cone, deg.

    Returns
    -------
    float
        Solid angle, sr.
    """
    return float(2 * np.pi * (1 - np.cos(np.deg2rad(max_offset_deg))))


def expected_thrown(
    spectrum: Mapping,
    hours: float,
    e_min: float,
    e_max: float,
    max_impact_m: float,
    viewcone_deg: float = 0.0,
) -> float:
    """Expected number of showers reaching the scatter disk in ``hours``.

    ``T x pi r^2 x integral of the flux``, and ``x solid angle`` for a diffuse flux
    (``viewcone_deg > 0``; a point source has ``viewcone_deg = 0``).

    Parameters
    ----------
    spectrum : Mapping
        ``amplitude`` (TeV^-1 cm^-2 s^-1, and sr^-1 if diffuse), ``index`` and ``curvature``
        of the log-parabola (see the module docstring).
    hours : float
        Observation time T, h.
    e_min, e_max : float
        Energy range, TeV.
    max_impact_m : float
        Radius r of the scatter disk, m.
    viewcone_deg : float, optional
        Half-opening of the cone of directions of a diffuse flux, deg; default 0 (a point
        source).

    Returns
    -------
    float
        Expected number of showers (the mean of the Poisson count thrown).
    """
    area_cm2 = np.pi * (max_impact_m * 100.0) ** 2
    omega = solid_angle_sr(viewcone_deg) if viewcone_deg > 0 else 1.0
    return float(hours * 3600.0 * area_cm2 * omega * integral_flux(spectrum, e_min, e_max))
