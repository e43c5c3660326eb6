"""Hillas parameters: charge-weighted moments of the cleaned image, in FACT DL2 names and units.

Hillas (1985, Proc. 19th ICRC 3, 445): the image of an air shower is summarised by the moments of
its light distribution. With weights ``q_i`` (p.e.) at pixel centres ``(x_i, y_i)`` (mm):

- ``size`` = sum q_i (p.e.); ``cog_x``, ``cog_y`` = weighted mean position (mm);
- the weighted covariance of (x, y); its eigenvalues give ``length`` (major) and ``width`` (minor),
  the standard deviations along the axes (mm);
- ``delta`` (rad, in (-pi/2, pi/2]): angle of the major axis to the camera x axis,
  ``atan(v_y / v_x)`` of the major eigenvector, as FACT-Tools ``HillasParameters.calculateDelta``;
- longitudinal/transverse coordinates ``l = dx cos(delta) + dy sin(delta)``,
  ``t = -dx sin(delta) + dy cos(delta)`` (FACT ``Utils.transformToEllipseCoordinates``);
  ``m3_long``, ``m3_trans`` (mm^3), ``m4_long``/``m4_trans`` (mm^4) the weighted central moments
  of l and t; ``skewness_long = m3_long / length^3``, ``kurtosis_long = m4_long / length^4``
  (the same for trans with width); dimensionless.

Two normalisations of the weighted moments (``moments=``):

- ``"fact"`` (default; FACT-Tools >= 1.0 ``Weighted2dStatistics``/``Weighted1dStatistics``, so the
  values match the real FACT DL2 files): the reliability-weights sample estimator,
  sum(q d^2) / V with ``V = W - sum(q^2) / W`` and ``W = size``.
- ``"population"`` (ctapipe ``hillas_parameters``: ``np.cov(..., aweights=q, ddof=0)``, Hillas'
  original): sum(q d^2) / W.

Hence ``length_fact = length_pop * sqrt(W / V)`` (the same for width),
``skewness_fact = skewness_pop * sqrt(V / W)`` and ``kurtosis_fact = kurtosis_pop * V / W``; the
difference is a few percent for images of ~10 pixels and vanishes for large images.

Conventions against ctapipe 0.28: with a ctapipe ``CameraGeometry`` built from our pixel table (the
pyfact camera frame), ctapipe's ``psi`` equals ``delta`` (both ``arctan(v_y/v_x)``), and its
``skewness``/``kurtosis`` equal our ``skewness_long``/``kurtosis_long`` in the population
normalisation (same sign: both project on (cos psi, sin psi)). ctapipe's own FACT geometry
(``CameraGeometry.from_name("FACT")``) is in its CameraFrame, rotated against pyfact's: there
``psi`` differs from ``delta`` by that rotation. ctapipe calls size ``intensity`` and cog ``x, y``.

The sign of ``skewness_long``/``m3_long`` refers to the direction (cos delta, sin delta), which
always points into the half-plane x > 0 (FACT and ctapipe alike): an image turned across
delta = +-pi/2 flips its sign while ``|skewness|`` stays. Orienting it towards the source
(head/tail) needs the source position and is left to the user, as in FACT DL2.

Line-shaped images (width <= 1e-9 length) have NaN ``skewness_trans``/``kurtosis_trans``.
Events with fewer than two shower pixels have NaN length/width/delta and higher moments (FACT:
the sample estimator is undefined); events without pixels are NaN throughout (size 0).
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.shower_pixels import ShowerPixels, per_event_sum, shower_pixels_from_mask

__all__ = ["hillas_parameters", "hillas_pixels", "HILLAS_COLUMNS", "LINE_WIDTH_RATIO"]

HILLAS_COLUMNS = (
    "size", "cog_x", "cog_y", "length", "width", "delta",
    "m3_long", "m3_trans", "m4_long", "m4_trans",
    "skewness_long", "skewness_trans", "kurtosis_long", "kurtosis_trans",
)  # fmt: skip

# width / length at or below which an image is a line (width 0 up to rounding): no transverse
# distribution, so no transverse moments (here) and no area to divide by (iactdl.features.derived)
LINE_WIDTH_RATIO = 1e-9


def hillas_pixels(
    sp: ShowerPixels, camera: CameraGeometry | None = None, moments: str = "fact"
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Hillas parameters of sparse shower pixels.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.
    moments : {"fact", "population"}
        FACT-Tools' sample moments or ctapipe's population ones (see the module's text).

    Returns
    -------
    params : dict of str to numpy.ndarray
        The columns of :data:`HILLAS_COLUMNS`, float64 (n_events,).
    longi, trans : numpy.ndarray
        Longitudinal and transverse coordinate (mm) of each shower pixel (k,), for the features
        that build on the ellipse (concentration_core, time gradients).

    Raises
    ------
    ValueError
        If ``moments`` is neither ``"fact"`` nor ``"population"``.
    """
    if moments not in ("fact", "population"):
        raise ValueError(f"moments must be 'fact' or 'population', got {moments!r}")
    camera = camera or fact_camera()
    ev, q = sp.event, sp.charge
    x = np.asarray(camera.x, dtype=np.float64).take(sp.pixel)
    y = np.asarray(camera.y, dtype=np.float64).take(sp.pixel)

    with np.errstate(invalid="ignore", divide="ignore"):
        size = per_event_sum(sp, q)
        cog_x = per_event_sum(sp, q * x) / size
        cog_y = per_event_sum(sp, q * y) / size
        # second pass on centred coordinates: no cancellation for images far from the centre
        dx = x - cog_x.take(ev)
        dy = y - cog_y.take(ev)
        qdx = q * dx
        qdy = q * dy
        if moments == "fact":
            norm = size - per_event_sum(sp, q * q) / size  # V = W - sum(q^2)/W
        else:
            norm = size
        sxx = per_event_sum(sp, qdx * dx) / norm
        syy = per_event_sum(sp, qdy * dy) / norm
        sxy = per_event_sum(sp, qdx * dy) / norm

        # closed-form eigen decomposition of the symmetric 2x2 covariance
        half_tr = 0.5 * (sxx + syy)
        root = np.hypot(0.5 * (sxx - syy), sxy)
        lam_major = half_tr + root
        lam_minor = np.maximum(half_tr - root, 0.0)
        length = np.sqrt(lam_major)
        width = np.sqrt(lam_minor)
        # major eigenvector (v_x, v_y) ~ (sxy, lam_major - sxx) or (lam_major - syy, sxy);
        # the half-angle form is the same line and stable for sxy -> 0
        delta = 0.5 * np.arctan2(2.0 * sxy, sxx - syy)
        delta = np.where(delta <= -0.5 * np.pi, delta + np.pi, delta)  # (-pi/2, pi/2]

        cos_d = np.cos(delta).take(ev)
        sin_d = np.sin(delta).take(ev)
        longi = dx * cos_d + dy * sin_d
        trans = -dx * sin_d + dy * cos_d
        l2 = longi * longi
        t2 = trans * trans
        m3_long = per_event_sum(sp, q * l2 * longi) / norm
        m3_trans = per_event_sum(sp, q * t2 * trans) / norm
        m4_long = per_event_sum(sp, q * l2 * l2) / norm
        m4_trans = per_event_sum(sp, q * t2 * t2) / norm
        params = {
            "size": size,
            "cog_x": cog_x,
            "cog_y": cog_y,
            "length": length,
            "width": width,
            "delta": delta,
            "m3_long": m3_long,
            "m3_trans": m3_trans,
            "m4_long": m4_long,
            "m4_trans": m4_trans,
            "skewness_long": m3_long / length**3,
            "skewness_trans": m3_trans / width**3,
            "kurtosis_long": m4_long / length**4,
            "kurtosis_trans": m4_trans / width**4,
        }
    # a line-shaped image (width 0, up to rounding) has no transverse distribution
    line = params["width"] <= LINE_WIDTH_RATIO * params["length"]
    for key in ("skewness_trans", "kurtosis_trans"):
        params[key][line] = np.nan
    n_pix = sp.n_pixels
    empty = n_pix == 0
    for key in ("cog_x", "cog_y"):
        params[key][empty] = np.nan
    params["size"] = np.where(empty, np.nan, size)
    if moments == "fact":
        undefined = n_pix < 2
        for key in HILLAS_COLUMNS[3:]:
            params[key][undefined] = np.nan
    else:
        params["delta"][empty] = np.nan
    return params, longi, trans


def hillas_parameters(
    image: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    moments: str = "fact",
    camera: CameraGeometry | None = None,
) -> dict[str, np.ndarray]:
    """Hillas parameters of plain arrays, the counterpart of ctapipe's ``hillas_parameters``.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n_events, 1440).
    mask : numpy.ndarray, optional
        Shower pixels (bool, same shape), e.g. from
        :func:`~iactdl.features.cleaning.tailcuts_clean`; default: every pixel with a positive
        charge.
    moments : {"fact", "population"}
        FACT-Tools' sample moments or ctapipe's population ones (see the module's text).
    camera : iactdl.camera.CameraGeometry, optional
        Pixel positions; default: FACT's camera.

    Returns
    -------
    dict of str to numpy.ndarray
        Float64 arrays (n_events,) with the columns of :data:`HILLAS_COLUMNS` (length 1 for a
        single image).

    Raises
    ------
    ValueError
        If ``moments`` is neither ``"fact"`` nor ``"population"``.
    """
    image = np.asarray(image, dtype=np.float64)
    if mask is None:
        mask = image > 0
    sp = shower_pixels_from_mask(image, mask)
    params, _, _ = hillas_pixels(sp, camera, moments)
    return params
