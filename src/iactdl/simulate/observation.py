"""A Crab-like wobble observation: one ON region and ``n_off`` OFF regions in the camera.

In wobble mode (Fomin et al. 1994, APh 2, 137) the source sits ``offset`` from the camera centre and
the OFF regions are the ON position rotated about the centre by multiples of ``360 deg /
(n_off + 1)``: every region sees the same acceptance, so the background in the ON region is
``alpha * N_off`` with ``alpha = 1 / n_off`` (Li & Ma 1983, ApJ 272, 317, eq. 17 uses it).

Here hadrons are assigned uniformly to the ``n_off + 1`` regions (their images do not depend on the
region, so ``alpha`` is exact in expectation), and gammas, from the source, only to the ON region,
as a fraction ``gamma_fraction_on`` of the ON events.
"""

from __future__ import annotations

import numpy as np

__all__ = ["region_positions", "gamma_probability", "assign_regions"]


def region_positions(
    on_x: np.ndarray, on_y: np.ndarray, region: np.ndarray, n_off: int
) -> tuple[np.ndarray, np.ndarray]:
    """Camera position (mm) of region ``region`` (0 = ON) for an ON source at ``(on_x, on_y)``."""
    angle = 2 * np.pi * np.asarray(region) / (n_off + 1)
    c, s = np.cos(angle), np.sin(angle)
    return c * on_x - s * on_y, s * on_x + c * on_y


def gamma_probability(gamma_fraction_on: float, n_off: int) -> float:
    """Probability that an observed event is a gamma, such that gammas are ``gamma_fraction_on``
    of the ON region's events when hadrons spread evenly over ``n_off + 1`` regions.

    With ``n_g`` gammas and ``n_h`` hadrons: ``n_g / (n_g + n_h / (n_off + 1)) = f`` gives
    ``n_g / (n_g + n_h) = f / ((1 - f)(n_off + 1) + f)``.
    """
    f = float(gamma_fraction_on)
    return f / ((1 - f) * (n_off + 1) + f)


def assign_regions(rng: np.random.Generator, is_gamma: np.ndarray, n_off: int) -> np.ndarray:
    """Region per event: 0 for gammas, uniform in ``0..n_off`` for hadrons."""
    region = rng.integers(0, n_off + 1, is_gamma.size)
    return np.where(is_gamma, 0, region).astype(np.int64)
