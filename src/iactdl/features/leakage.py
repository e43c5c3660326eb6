"""Leakage: the fraction of an image's light in the outermost pixel rings of the camera.

A shower that leaks out of the camera is truncated, so its size underestimates the energy and its
moments are biased (e.g. FACT's quality cut ``leakage1 < 0.6``).

- ``leakage1`` = sum of shower-pixel charge in the border ring (pixels with fewer than six
  neighbours) / size, ``leakage2`` = the same for the two outer rings (border pixels and their
  neighbours); dimensionless, in [0, 1]. FACT-Tools ``Leakage`` (charge fractions) and ctapipe's
  ``intensity_width_1``/``intensity_width_2``.
- ``leakage1_pixel``, ``leakage2_pixel``: the fraction of shower *pixels* in those rings (ctapipe's
  ``pixels_width_1``/``pixels_width_2``; FACT has no such column).

Events without shower pixels: NaN.
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.shower_pixels import ShowerPixels, per_event_sum, shower_pixels_from_mask

__all__ = ["leakage_parameters", "leakage_pixels", "LEAKAGE_COLUMNS"]

LEAKAGE_COLUMNS = ("leakage1", "leakage2", "leakage1_pixel", "leakage2_pixel")


def leakage_pixels(sp: ShowerPixels, camera: CameraGeometry | None = None) -> dict[str, np.ndarray]:
    """Leakage of sparse shower pixels (see the module docstring).

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`LEAKAGE_COLUMNS`, float64 per event.
    """
    camera = camera or fact_camera()
    border1 = camera.is_border.take(sp.pixel)
    border2 = camera.is_border2.take(sp.pixel)
    q = sp.charge
    n = sp.n_pixels.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        size = per_event_sum(sp, q)
        size = np.where(n > 0, size, np.nan)
        return {
            "leakage1": per_event_sum(sp, q * border1) / size,
            "leakage2": per_event_sum(sp, q * border2) / size,
            "leakage1_pixel": np.bincount(sp.event[border1], minlength=sp.n_events) / n,
            "leakage2_pixel": np.bincount(sp.event[border2], minlength=sp.n_events) / n,
        }


def leakage_parameters(
    image, mask=None, *, camera: CameraGeometry | None = None
) -> dict[str, np.ndarray]:
    """Leakage of plain arrays, the counterpart of ctapipe's ``leakage_parameters``.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n, 1440).
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape); default: every pixel with a positive charge.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`LEAKAGE_COLUMNS`, float64 per event.
    """
    image = np.asarray(image, dtype=np.float64)
    mask = image > 0 if mask is None else mask
    return leakage_pixels(shower_pixels_from_mask(image, mask), camera)
