"""Primary particles: energy spectra, impact distances, arrival directions and the trigger.

Everything here is per event (1-D arrays with a leading event axis) and cheap; the pixel work
happens in :mod:`iactdl.simulate.showers` and :mod:`iactdl.simulate.detector`.

- Energies follow a power law :math:`dN/dE \\propto E^{\\gamma}` (the Crab Nebula's index is about
  -2.6 at TeV energies, HEGRA, Aharonian et al. 2004, ApJ 614, 897; cosmic-ray protons about -2.7),
  drawn by inverting the cumulative distribution.
- Impacts are uniform in the area of a disk (CORSIKA's scatter radius), ``r = r_max sqrt(u)``.
- The trigger is a smooth threshold in the expected number of photo-electrons, a logistic in
  ``log(size)``, applied *before* any image is made, so rejected showers cost nothing but a few
  scalars (FACT's trigger threshold corresponds to roughly 60 p.e. in the image).
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import MM_TO_DEG

__all__ = [
    "power_law_energies",
    "impact_distances",
    "wobble_positions",
    "disk_positions",
    "trigger_probability",
]


def power_law_energies(
    rng: np.random.Generator, n: int, e_min: float, e_max: float, index: float
) -> np.ndarray:
    """Energies (TeV) from :math:`dN/dE \\propto E^{index}` between ``e_min`` and ``e_max``.

    Inverse-CDF sampling: with ``g = index + 1`` and ``u ~ U(0, 1)``, ``E = (e_min^g + u
    (e_max^g - e_min^g))^(1/g)``; ``index == -1`` is the logarithmic limit, ``E = e_min
    (e_max / e_min)^u``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the uniforms.
    n : int
        Number of energies.
    e_min, e_max : float
        Energy range, TeV.
    index : float
        Spectral index (negative, e.g. -2.7).

    Returns
    -------
    numpy.ndarray
        Energies, TeV, shape (n,), float32.
    """
    u = rng.random(n, dtype=np.float32)  # float32: runs for every candidate shower
    g = index + 1.0
    if abs(g) < 1e-12:
        return np.float32(e_min) * np.float32(e_max / e_min) ** u
    a, b = np.float32(e_min**g), np.float32(e_max**g)
    return (a + u * (b - a)) ** np.float32(1.0 / g)


def impact_distances(rng: np.random.Generator, n: int, r_max_m: float) -> np.ndarray:
    """Impact distances (m), uniform in the area of a disk of radius ``r_max_m``.

    ``r = r_max sqrt(u)``, ``u ~ U(0, 1)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the uniforms.
    n : int
        Number of impacts.
    r_max_m : float
        Scatter radius, m.

    Returns
    -------
    numpy.ndarray
        Impact distances, m, shape (n,), float32.
    """
    return np.float32(r_max_m) * np.sqrt(rng.random(n, dtype=np.float32))


def wobble_positions(
    rng: np.random.Generator, n: int, offset_deg: float, n_positions: int
) -> tuple[np.ndarray, np.ndarray]:
    """Source positions (mm) at ``offset_deg`` from the camera centre.

    ``n_positions > 0``: one of that many equally spaced wobble angles (starting at +x), as in a
    wobble observation; ``0``: a uniform angle, as the field rotation of an alt-az mount gives.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the angles.
    n : int
        Number of positions.
    offset_deg : float
        Distance from the camera centre, deg (converted with ``MM_TO_DEG``).
    n_positions : int
        Number of wobble positions; 0 for a uniform angle.

    Returns
    -------
    x, y : numpy.ndarray
        Source positions in the camera, mm, shape (n,).
    """
    if n_positions > 0:
        phi = 2 * np.pi * rng.integers(0, n_positions, n) / n_positions
    else:
        phi = 2 * np.pi * rng.random(n)
    r = offset_deg / MM_TO_DEG
    return r * np.cos(phi), r * np.sin(phi)


def disk_positions(
    rng: np.random.Generator, n: int, max_offset_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Directions (mm in the camera), uniform in solid angle within ``max_offset_deg`` of centre.

    Uniform in the disk ``r = r_max sqrt(u)`` (small-angle limit of uniform in solid angle).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of radii and angles.
    n : int
        Number of directions.
    max_offset_deg : float
        Radius of the disk, deg.

    Returns
    -------
    x, y : numpy.ndarray
        Positions in the camera, mm, shape (n,).
    """
    r = max_offset_deg / MM_TO_DEG * np.sqrt(rng.random(n))
    phi = 2 * np.pi * rng.random(n)
    return r * np.cos(phi), r * np.sin(phi)


def trigger_probability(size_pe: np.ndarray, threshold_pe: float, width: float) -> np.ndarray:
    """Probability that a shower of ``size_pe`` expected p.e. triggers: logistic in ``ln(size)``.

    ``width`` is the logistic scale in ``ln(size)`` (0.2: from 10% to 90% over a factor 2.4).

    ``P = 1 / (1 + exp(-(ln size - ln threshold) / width))``: 1/2 at the threshold.

    Parameters
    ----------
    size_pe : numpy.ndarray
        Expected photo-electrons per shower, p.e. (floored at 1e-9).
    threshold_pe : float
        Size of 50 % trigger probability, p.e.
    width : float
        Logistic scale in ln(size).

    Returns
    -------
    numpy.ndarray
        Trigger probability per shower, in (0, 1), shape of ``size_pe``.
    """
    z = (np.log(np.maximum(size_pe, 1e-9)) - np.float32(np.log(threshold_pe))) / np.float32(width)
    return 1.0 / (1.0 + np.exp(-z))
