"""Concentration: the fraction of an image's light in its brightest or central pixels.

Gamma images are compact, hadron images diffuse, so concentrations separate them and help the
energy estimate. FACT and ctapipe define them differently; both are here.

FACT-Tools definitions (the FACT DL2 columns; dimensionless, usually in [0, 1]):

- ``concentration_cog`` (``ConcentrationAtCenterOfGravity``, F. Temme): charge of the pixel below
  the cog plus its two neighbours nearest to the cog, divided by size. FACT sums the *uncleaned*
  photon charges of those three pixels (they need not be shower pixels), so we do too. NaN if the
  cog lies outside the camera (FACT writes -Double.MAX_VALUE there).
- ``concentration_core`` (``ConcentrationCore``): charge of the shower pixels inside the Hillas
  ellipse, with FACT's tolerance of 10 % of the pixel size: ``((|l| - 0.95 mm)/length)^2 +
  ((|t| - 0.95 mm)/width)^2 <= 1``, divided by size.
- ``concentration_one_pixel`` / ``concentration_two_pixel`` (``Concentration``): brightest / two
  brightest shower pixels over size.

ctapipe 0.28 ``concentration_parameters`` (on the cleaned image only):

- ``cog``: cleaned charge of the pixels whose centre is closer than one pixel width
  (flat-to-flat, 9.5 mm for FACT) to the cog, over size;
- ``core``: cleaned charge of the pixels with ``(l/length)^2 + (t/width)^2 <= 1`` (no tolerance;
  length/width in ctapipe's population normalisation), over size;
- ``pixel``: brightest pixel over size (= FACT's ``concentration_one_pixel``).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.hillas import hillas_pixels
from iactdl.features.shower_pixels import (
    ShowerPixels,
    per_event_sum,
    per_event_two_largest,
    shower_pixels_from_mask,
)

__all__ = [
    "concentration_fact",
    "concentration_pixels",
    "concentration_ctapipe",
    "concentration_ctapipe_pixels",
    "pixel_below",
    "CONCENTRATION_COLUMNS",
]

CONCENTRATION_COLUMNS = (
    "concentration_cog",
    "concentration_core",
    "concentration_one_pixel",
    "concentration_two_pixel",
)
CORE_TOLERANCE_MM = 0.95  # FACT-Tools: 0.1 * Constants.PIXEL_SIZE_MM


@cache
def _lattice(camera: CameraGeometry):
    """Affine map axial (q, r) -> (x, y) mm fitted on the pixel table (exact), its inverse, and the
    (q, r) -> CHID look-up grid."""
    design = np.column_stack([camera.q, camera.r, np.ones(camera.n_pixels)]).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, np.column_stack([camera.x, camera.y]), rcond=None)
    lin, offset = coef[:2], coef[2]  # (x, y) = (q, r) @ lin + offset
    inverse = np.linalg.inv(lin)
    q0, r0 = int(camera.q.min()), int(camera.r.min())
    lookup = np.full((int(camera.q.max()) - q0 + 3, int(camera.r.max()) - r0 + 3), -1, np.int64)
    lookup[camera.q - q0 + 1, camera.r - r0 + 1] = np.arange(camera.n_pixels)
    return inverse, offset, q0 - 1, r0 - 1, lookup


def pixel_below(x, y, camera: CameraGeometry | None = None) -> np.ndarray:
    """CHID of the pixel whose hexagon contains the point (x, y) mm; -1 outside the camera.

    The pixel centres form a triangular lattice: the nearest centre to a point is a corner of the
    lattice parallelogram that contains it, so four candidates per point suffice (vectorised).

    Parameters
    ----------
    x, y : array_like
        Points in the camera frame (mm).
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    numpy.ndarray
        The CHID per point (int64), -1 outside the camera.
    """
    camera = camera or fact_camera()
    inverse, offset, q0, r0, lookup = _lattice(camera)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x) & np.isfinite(y)
    xs, ys = np.where(finite, x, 0.0), np.where(finite, y, 0.0)
    frac = (np.stack([xs, ys], axis=-1) - offset) @ inverse
    base = np.floor(frac).astype(np.int64)
    best = np.full(x.shape, -1, dtype=np.int64)
    best_d = np.full(x.shape, np.inf)
    for dq, dr in ((0, 0), (1, 0), (0, 1), (1, 1)):
        qc = base[..., 0] + dq - q0
        rc = base[..., 1] + dr - r0
        inside = (qc >= 0) & (qc < lookup.shape[0]) & (rc >= 0) & (rc < lookup.shape[1])
        chid = np.where(
            inside,
            lookup[np.clip(qc, 0, lookup.shape[0] - 1), np.clip(rc, 0, lookup.shape[1] - 1)],
            -1,
        )
        safe = np.maximum(chid, 0)
        d = (camera.x[safe] - xs) ** 2 + (camera.y[safe] - ys) ** 2
        better = (chid >= 0) & (d < best_d)
        best = np.where(better, chid, best)
        best_d = np.where(better, d, best_d)
    # a point beyond the outermost ring has its nearest lattice corner off the camera: keep -1
    # only if that lattice point is not a pixel and it is farther than a pixel from every centre
    best = np.where(best_d <= (camera.pitch_mm / np.sqrt(3)) ** 2 + 1e-9, best, -1)
    return np.where(finite, best, -1)


def concentration_pixels(
    sp: ShowerPixels,
    image: np.ndarray,
    params: dict[str, np.ndarray],
    longi: np.ndarray,
    trans: np.ndarray,
    camera: CameraGeometry | None = None,
) -> dict[str, np.ndarray]:
    """FACT concentrations of sparse shower pixels.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    image : numpy.ndarray
        The full (n, 1440) charge array (p.e.): ``concentration_cog`` sums uncleaned charges,
        as FACT-Tools does.
    params : dict of str to numpy.ndarray
        Their Hillas parameters (:func:`~iactdl.features.hillas.hillas_pixels`).
    longi, trans : numpy.ndarray
        Each pixel's ellipse coordinates (mm), from the same call.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`CONCENTRATION_COLUMNS`, float64 per event.
    """
    camera = camera or fact_camera()
    image = np.atleast_2d(image)
    size = params["size"]
    ev = sp.event
    with np.errstate(invalid="ignore", divide="ignore"):
        # concentration_cog: pixel below the cog + its two neighbours nearest to the cog
        cog_x, cog_y = params["cog_x"], params["cog_y"]
        below = pixel_below(cog_x, cog_y, camera)
        ok = below >= 0
        rows = np.arange(sp.n_events)
        nb = np.asarray(camera.neighbours)[np.maximum(below, 0)]  # (n, 6)
        d2 = (camera.x[np.maximum(nb, 0)] - cog_x[:, None]) ** 2 + (
            camera.y[np.maximum(nb, 0)] - cog_y[:, None]
        ) ** 2
        d2 = np.where(nb >= 0, d2, np.inf)
        two = np.argsort(d2, axis=1, kind="stable")[:, :2]
        nearest = np.take_along_axis(nb, two, axis=1)
        have = np.take_along_axis(d2, two, axis=1) < np.inf
        charge = image[rows, np.maximum(below, 0)].astype(np.float64)
        for j in range(2):
            charge += np.where(have[:, j], image[rows, np.maximum(nearest[:, j], 0)], 0.0)
        conc_cog = np.where(ok, charge / size, np.nan)

        # concentration_core: shower pixels inside the ellipse, FACT's 10 % pixel tolerance
        length, width = params["length"].take(ev), params["width"].take(ev)
        dl = np.abs(longi) - CORE_TOLERANCE_MM
        dt = np.abs(trans) - CORE_TOLERANCE_MM
        inside = (dl / length) ** 2 + (dt / width) ** 2 <= 1.0
        conc_core = per_event_sum(sp, sp.charge * inside) / size
        conc_core[~np.isfinite(params["width"])] = np.nan

        first, second = per_event_two_largest(sp, sp.charge)
        return {
            "concentration_cog": conc_cog,
            "concentration_core": conc_core,
            "concentration_one_pixel": first / size,
            "concentration_two_pixel": (first + second) / size,
        }


def concentration_ctapipe_pixels(
    sp: ShowerPixels,
    params: dict[str, np.ndarray],
    longi: np.ndarray,
    trans: np.ndarray,
    camera: CameraGeometry | None = None,
) -> dict[str, np.ndarray]:
    """ctapipe's ``concentration_parameters`` (cog, core, pixel) of sparse shower pixels.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    params : dict of str to numpy.ndarray
        Their Hillas parameters, in the ``"population"`` normalisation for agreement with ctapipe.
    longi, trans : numpy.ndarray
        Each pixel's ellipse coordinates (mm, :func:`~iactdl.features.hillas.hillas_pixels`).
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        ``cog``, ``core`` and ``pixel``, float64 per event.
    """
    camera = camera or fact_camera()
    ev, q = sp.event, sp.charge
    size = params["size"]
    pixel_width = camera.pitch_mm  # ctapipe: 2 sqrt(area / (2 sqrt 3)) = flat-to-flat
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = camera.x.take(sp.pixel) - params["cog_x"].take(ev)
        dy = camera.y.take(sp.pixel) - params["cog_y"].take(ev)
        near = dx * dx + dy * dy < pixel_width**2
        length, width = params["length"].take(ev), params["width"].take(ev)
        core = (longi**2 / length**2) + (trans**2 / width**2) <= 1.0
        conc_core = per_event_sum(sp, q * core) / size
        conc_core[params["width"] == 0] = 0.0
        first, _ = per_event_two_largest(sp, q)
        return {
            "cog": per_event_sum(sp, q * near) / size,
            "core": conc_core,
            "pixel": first / size,
        }


def concentration_fact(
    image, mask=None, *, moments: str = "fact", camera: CameraGeometry | None = None
):
    """FACT concentrations (FACT-Tools' definitions, see the module's text) of plain arrays.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n_events, 1440).
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape); default: every pixel with a positive charge.
    moments : {"fact", "population"}
        The normalisation of the Hillas moments the ellipse comes from.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of :data:`CONCENTRATION_COLUMNS`, float64 per event.
    """
    image = np.atleast_2d(np.asarray(image, dtype=np.float64))
    mask = image > 0 if mask is None else mask
    sp = shower_pixels_from_mask(image, mask)
    params, longi, trans = hillas_pixels(sp, camera, moments)
    return concentration_pixels(sp, image, params, longi, trans, camera)


def concentration_ctapipe(image, mask=None, *, camera: CameraGeometry | None = None):
    """ctapipe-convention concentrations (cog, core, pixel) of plain arrays.

    The counterpart of ctapipe's ``concentration_parameters``, on the population moments.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n_events, 1440).
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape); default: every pixel with a positive charge.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        ``cog``, ``core`` and ``pixel``, float64 per event.
    """
    image = np.atleast_2d(np.asarray(image, dtype=np.float64))
    mask = image > 0 if mask is None else mask
    sp = shower_pixels_from_mask(image, mask)
    params, longi, trans = hillas_pixels(sp, camera, "population")
    return concentration_ctapipe_pixels(sp, params, longi, trans, camera)
