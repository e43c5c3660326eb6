"""The reference side: ctapipe 0.28 on our FACT camera, and toy images to compare on.

Used by ``tests/test_ctapipe_agreement.py`` and ``benchmarks/features.py``; ctapipe is imported
lazily (it is a test extra, not a dependency).

- :func:`ctapipe_geometry`: ctapipe's ``CameraGeometry`` built from our pixel table (ctapipe's own
  FACT geometry needs a download, and its CameraFrame is rotated against pyfact's): pixel centres
  in mm, hexagonal pixels of area sqrt(3)/2 * 9.5^2 mm^2, and OUR neighbour matrix, so both sides
  clean and count islands on the same graph.
- :func:`ctapipe_chain`: ctapipe's per-event chain (tailcuts_clean, hillas_parameters,
  leakage_parameters, concentration_parameters, number_of_islands, timing_parameters).
- :func:`toy_events`: vectorised toy images (skewed elliptical showers and multi-blob hadron-like
  images with Poisson light, Gaussian noise and a linear time gradient along the axis).
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.cleaning import CLEANING_DEFAULTS

__all__ = ["ctapipe_geometry", "ctapipe_chain", "toy_events"]


def ctapipe_geometry(camera: CameraGeometry | None = None):
    """ctapipe ``CameraGeometry`` of our FACT camera (our pixel order, frame and neighbours).

    Parameters
    ----------
    camera : iactdl.camera.CameraGeometry, optional
        The camera to convert; default: FACT's (:func:`iactdl.camera.fact_camera`).

    Returns
    -------
    ctapipe.instrument.CameraGeometry
        Named ``FACT-iactdl``: pixel centres (mm) and areas (mm^2) of ``camera``, hexagonal
        pixels rotated by 30 deg, and ``camera``'s neighbour matrix as a sparse bool array.
    """
    import astropy.units as u
    from ctapipe.instrument import CameraGeometry as CtaGeometry
    from ctapipe.instrument import PixelShape
    from scipy.sparse import csr_array

    camera = camera or fact_camera()
    nb = np.asarray(camera.neighbours)
    rows, slot = np.nonzero(nb >= 0)
    matrix = csr_array(
        (np.ones(rows.size, dtype=bool), (rows, nb[rows, slot])),
        shape=(camera.n_pixels, camera.n_pixels),
    )
    return CtaGeometry(
        name="FACT-iactdl",
        pix_id=np.arange(camera.n_pixels),
        pix_x=np.asarray(camera.x, dtype=np.float64) * u.mm,
        pix_y=np.asarray(camera.y, dtype=np.float64) * u.mm,
        pix_area=np.full(camera.n_pixels, camera.pixel_area_mm2) * u.mm**2,
        pix_type=PixelShape.HEXAGON,
        pix_rotation=30 * u.deg,
        neighbors=matrix,
    )


def ctapipe_chain(
    geom,
    image,
    peak_time,
    *,
    picture_threshold=CLEANING_DEFAULTS["picture_threshold"],
    boundary_threshold=CLEANING_DEFAULTS["boundary_threshold"],
    min_number_picture_neighbors=CLEANING_DEFAULTS["min_number_picture_neighbors"],
    min_pixels=3,
):
    """ctapipe's feature chain on one event; None if fewer than ``min_pixels`` survive cleaning.

    ctapipe's tail cuts (Punch et al. 1991, no time constraint), then its Hillas, leakage,
    concentration, island and timing parameters of the surviving pixels.

    Parameters
    ----------
    geom : ctapipe.instrument.CameraGeometry
        The camera, e.g. :func:`ctapipe_geometry`.
    image : numpy.ndarray, shape (n_pixels,)
        Charges of one event, p.e.
    peak_time : numpy.ndarray, shape (n_pixels,)
        Peak times of one event, ns.
    picture_threshold : float
        Picture threshold of the tail cuts, p.e. (default: ours, 5.5).
    boundary_threshold : float
        Boundary threshold of the tail cuts, p.e. (default: ours, 3.0).
    min_number_picture_neighbors : int
        Picture neighbours a picture pixel needs (default: ours, 2).
    min_pixels : int
        Fewer surviving pixels: None (default 3).

    Returns
    -------
    dict or None
        ``mask`` (bool, (n_pixels,)), the ctapipe containers ``hillas``, ``leakage``,
        ``concentration`` and ``timing``, and the int ``n_islands``; None if fewer than
        ``min_pixels`` pixels survive.
    """
    from ctapipe.image import (
        concentration_parameters,
        hillas_parameters,
        leakage_parameters,
        number_of_islands,
        tailcuts_clean,
        timing_parameters,
    )

    mask = tailcuts_clean(
        geom,
        image,
        picture_thresh=picture_threshold,
        boundary_thresh=boundary_threshold,
        min_number_picture_neighbors=min_number_picture_neighbors,
    )
    if mask.sum() < min_pixels:
        return None
    geom_sel, image_sel = geom[mask], image[mask]
    hillas = hillas_parameters(geom_sel, image_sel)
    return {
        "mask": mask,
        "hillas": hillas,
        "leakage": leakage_parameters(geom, image, mask),
        "concentration": concentration_parameters(geom_sel, image_sel, hillas),
        "n_islands": number_of_islands(geom, mask)[0],
        "timing": timing_parameters(geom, image, peak_time, hillas, mask),
    }


def toy_events(
    n: int,
    seed: int = 0,
    camera: CameraGeometry | None = None,
    time_noise_ns: float = 0.5,
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Toy images (n, 1440) p.e. and peak times (n, 1440) ns, vectorised.

    Two thirds gamma-like: one skewed Gaussian ellipse (length 8-30 mm, width 3-9 mm, random
    orientation, size log-normal around 200 p.e.); one third hadron-like: two or three blobs at
    random places. Poisson light, Gaussian noise (1 p.e.), times 20 ns + gradient * l + noise.

    Parameters
    ----------
    n : int
        Number of events.
    seed : int
        Seed of ``numpy.random.default_rng`` (default 0): the same seed, the same events.
    camera : iactdl.camera.CameraGeometry, optional
        The camera; default: FACT's.
    time_noise_ns : float
        Standard deviation of the Gaussian noise on the peak times, ns (default 0.5).
    dtype : numpy.dtype or type
        Element type of both results (default float32).

    Returns
    -------
    image : numpy.ndarray, shape (n, n_pixels)
        Charges, p.e. (negative values from the noise kept).
    peak_time : numpy.ndarray, shape (n, n_pixels)
        Peak times, ns; the gradient (ns/mm, normal with sigma 0.05) runs along the first blob's
        major axis.
    """
    camera = camera or fact_camera()
    rng = np.random.default_rng(seed)
    x = np.asarray(camera.x, dtype=np.float64)
    y = np.asarray(camera.y, dtype=np.float64)
    pix_area = camera.pixel_area_mm2
    image = np.zeros((n, camera.n_pixels))
    n_blobs = np.where(rng.random(n) < 2 / 3, 1, rng.integers(2, 4, n))
    cx0, cy0 = rng.uniform(-120, 120, n), rng.uniform(-120, 120, n)
    psi0 = rng.uniform(-np.pi / 2, np.pi / 2, n)
    for b in range(3):
        on = n_blobs > b
        cx = np.where(b == 0, cx0, rng.uniform(-150, 150, n))
        cy = np.where(b == 0, cy0, rng.uniform(-150, 150, n))
        psi = np.where(b == 0, psi0, rng.uniform(-np.pi / 2, np.pi / 2, n))
        length = rng.uniform(8, 30, n)
        width = rng.uniform(3, 9, n) * np.where(b == 0, 1.0, 1.5)
        size = rng.lognormal(np.log(200), 0.9, n) * np.where(b == 0, 1.0, 0.4)
        skew = rng.uniform(0.6, 1.4, n)  # length ratio head/tail: a skewed profile
        dx, dy = x - cx[:, None], y - cy[:, None]
        lon = dx * np.cos(psi)[:, None] + dy * np.sin(psi)[:, None]
        tra = -dx * np.sin(psi)[:, None] + dy * np.cos(psi)[:, None]
        sig_l = np.where(lon > 0, length[:, None] * skew[:, None], length[:, None])
        dens = np.exp(-0.5 * (lon / sig_l) ** 2 - 0.5 * (tra / width[:, None]) ** 2)
        dens /= np.pi * length[:, None] * (1 + skew[:, None]) * width[:, None] / pix_area
        image += np.where(on[:, None], size[:, None] * dens, 0.0)
    image = rng.poisson(image) + rng.normal(0.0, 1.0, image.shape)
    gradient = rng.normal(0.0, 0.05, n)  # ns/mm
    lon0 = (x - cx0[:, None]) * np.cos(psi0)[:, None] + (y - cy0[:, None]) * np.sin(psi0)[:, None]
    peak_time = 20.0 + gradient[:, None] * lon0 + rng.normal(0.0, time_noise_ns, image.shape)
    return image.astype(dtype), peak_time.astype(dtype)
