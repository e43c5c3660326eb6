"""The disp method's geometry: the source position on the main axis of a shower image.

A gamma's image is an ellipse whose long (main) axis points back to the source position in the
camera. The disp method (Fomin et al. 1994; Lessard et al. 2001, Astropart. Phys. 15, 1, eq. 1-2)
estimates the source as the point on that axis at a distance ``disp`` from the image's centre of
gravity (cog), on the side given by the sign (the head-tail ambiguity)::

    x_src = cog_x + disp * cos(delta)
    y_src = cog_y + disp * sin(delta)

with ``disp = sign * |disp|``. ``delta`` is the angle of the main axis to the camera's x axis
(rad, FACT-Tools' Hillas ``delta`` in (-pi/2, pi/2]): a line, not a direction, so the sign says
whether the source lies along ``(cos delta, sin delta)`` (+1) or against it (-1).

Training targets follow aict-tools (``aict_tools.preprocessing.calc_true_disp``, FACT's open
analysis): ``sign = sign(cos(delta) dx + sin(delta) dy)`` with ``(dx, dy)`` = source - cog, and
``|disp|`` either the distance from the cog to the source (``project=False``, aict-tools' default)
or the length of its projection onto the main axis (``project=True``). For a source on the main
axis the two agree and :func:`reconstruct_source_position` of :func:`true_disp` gives the source
back exactly; off the axis the projected disp lands at the foot of the perpendicular (the closest
point of the axis), the unprojected one at the same distance as the source.

Units: positions and disp in mm in the camera frame (:mod:`iactdl.camera`; any length unit works
as long as all agree), angles in rad. Everything is vectorised over events (numpy broadcasting).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DISP_GEOMETRY_COLUMNS",
    "true_disp",
    "signed_disp",
    "reconstruct_source_position",
    "camera_centre_long",
]

# the image parameters the geometry reads (our names, FACT's too)
DISP_GEOMETRY_COLUMNS = ("cog_x", "cog_y", "delta")


def true_disp(source_x, source_y, cog_x, cog_y, delta, *, project: bool = False):
    """The disp method's training targets: ``|disp|`` and its sign, from the true source position.

    Parameters
    ----------
    source_x, source_y : array_like
        True source position in the camera frame, mm.
    cog_x, cog_y : array_like
        Centre of gravity of the image (Hillas), mm.
    delta : array_like
        Angle of the image's main axis to the x axis, rad.
    project : bool
        ``False`` (aict-tools' default): ``|disp|`` is the distance cog -> source.
        ``True``: the length of that vector's projection onto the main axis.

    Returns
    -------
    abs_disp : ndarray
        ``|disp|`` in mm (``>= 0``).
    sign : ndarray of int8
        +1 where the source lies along ``(cos delta, sin delta)`` from the cog, -1 against it.
        A source exactly perpendicular to the axis (projection 0) counts as +1, so the sign is a
        two-class label (aict-tools' ``np.sign`` would give a third class 0 there).

    Notes
    -----
    ``longitudinal = cos(delta) dx + sin(delta) dy``; ``sign = sign(longitudinal)``;
    ``|disp| = hypot(dx, dy)`` or ``|longitudinal|`` (Lessard et al. 2001, eq. 1;
    aict-tools ``calc_true_disp``).
    """
    dx = np.asarray(source_x, dtype=np.float64) - np.asarray(cog_x, dtype=np.float64)
    dy = np.asarray(source_y, dtype=np.float64) - np.asarray(cog_y, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    longitudinal = np.cos(delta) * dx + np.sin(delta) * dy
    sign = np.where(longitudinal < 0, -1, 1).astype(np.int8)
    abs_disp = np.abs(longitudinal) if project else np.hypot(dx, dy)
    return abs_disp, sign


def signed_disp(abs_disp, sign) -> np.ndarray:
    """``sign * |disp|`` (mm), the signed disp that :func:`reconstruct_source_position` takes.

    Parameters
    ----------
    abs_disp : array_like
        ``|disp|`` (mm).
    sign : array_like
        +1 or -1 per event.

    Returns
    -------
    numpy.ndarray
        Float64, mm per event.
    """
    return np.asarray(sign, dtype=np.float64) * np.asarray(abs_disp, dtype=np.float64)


def reconstruct_source_position(cog_x, cog_y, delta, disp):
    """Source position on the main axis: ``cog + disp * (cos delta, sin delta)``.

    Parameters
    ----------
    cog_x, cog_y : array_like
        Centre of gravity of the image, mm.
    delta : array_like
        Angle of the main axis to the x axis, rad.
    disp : array_like
        Signed disp (``sign * |disp|``), mm.

    Returns
    -------
    source_x, source_y : ndarray
        Reconstructed source position, mm (same frame as the cog).

    Notes
    -----
    Lessard et al. 2001, eq. 2; aict-tools ``aict_apply_disp_regressor`` writes the same
    ``x_prediction``, ``y_prediction``. NaN in any input gives NaN for that event.
    """
    disp = np.asarray(disp, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    x = np.asarray(cog_x, dtype=np.float64) + disp * np.cos(delta)
    y = np.asarray(cog_y, dtype=np.float64) + disp * np.sin(delta)
    return x, y


def camera_centre_long(cog_x, cog_y, delta) -> np.ndarray:
    """Where the camera centre lies along the main axis, seen from the cog: a head-tail hint, mm.

    ``-(cos(delta) cog_x + sin(delta) cog_y)``: the longitudinal coordinate of the camera centre
    (the pointing direction) relative to the cog, positive where the centre lies along
    ``(cos delta, sin delta)``. Sources sit near the centre (FACT: 0.6 deg wobble, diffuse gammas
    within 3 deg), so its sign predicts the disp sign where the image shape cannot (a symmetric,
    faint image). It uses no truth: observed events have it too. It encodes a prior (the source
    is near the pointing), so a model trained with it is biased toward the centre for sources
    far off axis; aict-tools' example config does not use it.

    Parameters
    ----------
    cog_x, cog_y : array_like
        The image's centre of gravity (mm).
    delta : array_like
        The main axis' angle (rad).

    Returns
    -------
    numpy.ndarray
        Float64, mm per event.
    """
    delta = np.asarray(delta, dtype=np.float64)
    return -(
        np.cos(delta) * np.asarray(cog_x, dtype=np.float64)
        + np.sin(delta) * np.asarray(cog_y, dtype=np.float64)
    )
