"""Grid images: the hexagonal camera on its axial 2-D grid, for CNNs with hexagonal kernels.

Each pixel is one cell of the (46, 45) axial grid (:meth:`iactdl.camera.CameraGeometry.to_grid`),
so the layout is lossless (``from_grid(to_grid(x)) == x``) and no interpolation is involved; cells
that are not camera pixels hold 0. Two channels per event, float32:

- channel 0: cleaned charge (p.e.), 0 outside the cleaning mask;
- channel 1: peak time (ns) of the cleaned pixels, 0 outside the mask.

``camera.grid_mask`` marks the cells that are pixels (the third piece a model needs).
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.shower_pixels import ShowerPixels

__all__ = ["grid_image", "grid_image_pixels"]


def grid_image_pixels(
    sp: ShowerPixels, camera: CameraGeometry | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Grid images of sparse shower pixels (time 0 if absent).

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.
    out : numpy.ndarray, optional
        An array of the result's shape to fill (reused between chunks: no fresh pages to fault in).

    Returns
    -------
    numpy.ndarray
        Float32, shape (n_events, 2, rows, cols): charge and time.
    """
    camera = camera or fact_camera()
    rows, cols = camera.grid_shape
    if out is None:
        out = np.zeros((sp.n_events, 2, rows, cols), dtype=np.float32)
    else:
        out.fill(0.0)
    r, c = camera.grid_index
    out[sp.event, 0, r[sp.pixel], c[sp.pixel]] = sp.charge
    if sp.time is not None:
        out[sp.event, 1, r[sp.pixel], c[sp.pixel]] = sp.time
    return out


def grid_image(image, peak_time=None, mask=None, *, camera: CameraGeometry | None = None):
    """Grid images of plain arrays: charge and time on the camera's rectangular grid.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n, 1440).
    peak_time : numpy.ndarray, optional
        Peak times (ns), same shape; default: 0.
    mask : numpy.ndarray, optional
        The pixels kept (bool, same shape); default: all.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    numpy.ndarray
        Float32, shape (n, 2, rows, cols): charge and time.
    """
    camera = camera or fact_camera()
    image = np.atleast_2d(np.asarray(image, dtype=np.float32))
    mask = np.ones(image.shape, dtype=bool) if mask is None else np.atleast_2d(mask)
    times = np.zeros_like(image) if peak_time is None else np.atleast_2d(peak_time)
    charge = np.where(mask, image, 0.0).astype(np.float32)
    time = np.where(mask, times, 0.0).astype(np.float32)
    return np.stack([camera.to_grid(charge), camera.to_grid(time)], axis=1)
