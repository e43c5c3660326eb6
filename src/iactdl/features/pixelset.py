"""Pixel sets: the cleaned pixels of each event as a padded set of rows, for Deep Sets and Set
Transformers (Zaheer et al. 2017; Lee et al. 2019).

Each event gives up to ``max_pixels`` rows ``(x_deg, y_deg, charge, peak_time)`` (deg, deg, p.e.,
ns) of its shower pixels, sorted by charge, brightest first, zero-padded, with a bool mask that is
True on real rows. Events with more shower pixels than ``max_pixels`` keep their brightest
``max_pixels``; the number of truncated events is returned so the caller can log it.
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.shower_pixels import ShowerPixels, shower_pixels_from_mask

__all__ = ["pixel_set", "pixel_set_pixels", "PIXEL_SET_FIELDS", "PIXEL_SET_SIZE"]

PIXEL_SET_FIELDS = ("x_deg", "y_deg", "charge", "peak_time")
PIXEL_SET_SIZE = 128  # rows per event (brightest pixels kept); config features.pixel_set_size


def pixel_set_pixels(
    sp: ShowerPixels, max_pixels: int, camera: CameraGeometry | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Padded pixel sets of sparse shower pixels.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    max_pixels : int
        Rows per event (the brightest pixels are kept).
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    rows : numpy.ndarray
        Float32 (n_events, max_pixels, 4): the fields of :data:`PIXEL_SET_FIELDS`.
    mask : numpy.ndarray
        Bool (n_events, max_pixels): which rows are pixels.
    n_truncated : int
        Events that had more than ``max_pixels`` shower pixels.
    """
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be >= 1, got {max_pixels}")
    camera = camera or fact_camera()
    n = sp.n_events
    rows = np.zeros((n, max_pixels, 4), dtype=np.float32)
    mask = np.zeros((n, max_pixels), dtype=bool)
    k = sp.event.size
    counts = sp.n_pixels
    if k == 0:
        return rows, mask, 0
    # one stable sort of the whole chunk by (event, -charge): rows stay grouped by event
    order = np.lexsort((-sp.charge, sp.event))
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    rank = np.arange(k) - starts[sp.event[order]]
    keep = rank < max_pixels
    src = order[keep]
    ev, rk = sp.event[src], rank[keep]
    pix = sp.pixel[src]
    rows[ev, rk, 0] = np.asarray(camera.x_deg)[pix]
    rows[ev, rk, 1] = np.asarray(camera.y_deg)[pix]
    rows[ev, rk, 2] = sp.charge[src]
    if sp.time is not None:
        rows[ev, rk, 3] = sp.time[src]
    mask[ev, rk] = True
    return rows, mask, int(np.count_nonzero(counts > max_pixels))


def pixel_set(
    image,
    peak_time=None,
    mask=None,
    *,
    max_pixels: int = PIXEL_SET_SIZE,
    camera: CameraGeometry | None = None,
):
    """Pixel sets of plain arrays: each event's brightest shower pixels as rows.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n, 1440).
    peak_time : numpy.ndarray, optional
        Peak times (ns), same shape.
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape); default: pixels with charge > 0.
    max_pixels : int
        Rows per event (the brightest pixels are kept).
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    rows : numpy.ndarray
        Float32 (n, max_pixels, 4): the fields of :data:`PIXEL_SET_FIELDS`.
    mask : numpy.ndarray
        Bool (n, max_pixels): which rows are pixels.
    n_truncated : int
        Events that had more than ``max_pixels`` shower pixels.
    """
    image = np.atleast_2d(np.asarray(image, dtype=np.float64))
    mask = image > 0 if mask is None else mask
    sp = shower_pixels_from_mask(image, mask, peak_time)
    return pixel_set_pixels(sp, max_pixels, camera)
