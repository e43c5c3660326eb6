"""Toy events with the columns of ``results/datasets/{split}.h5``, for tests and benchmarks of nets.

Not a shower simulation (that is :mod:`iactdl.simulate`): gammas are narrow ellipses, hadrons wider
ones, on the FACT camera, so that every net has something separable to learn in a few epochs. The
columns follow the dataset contract: feature columns (``size``, ``width``, ``length``, ``cog_x``,
``cog_y``, NaN where ``clean_ok`` is False), ``grid_image`` (n, 2, 46, 45), ``pixel_set`` (n, P, 4),
``pixel_set_mask``, ``is_gamma``, ``true_energy`` (TeV), ``event_id``.
"""

from __future__ import annotations

import numpy as np

from iactdl.camera import fact_camera
from iactdl.io import PARTICLE_ID

__all__ = ["TOY_FEATURES", "toy_events"]

TOY_FEATURES = ("size", "width", "length", "cog_x", "cog_y")


def toy_events(n: int, seed: int = 0, max_pixels: int = 64, threshold: float = 4.0) -> dict:
    """``n`` toy events (half gammas) as a dict of columns; vectorised over events.

    Each event is a 2-d Gaussian ellipse on FACT's pixels: energy log-uniform in 10^-0.5 to 10
    TeV, size ~300 p.e./TeV (log-normal spread 0.3), centre uniform in +-1 deg, width 0.08 deg
    (gammas) or 0.16 deg (hadrons), length 0.20 or 0.26 deg; Poisson charges plus 1 p.e. Gaussian
    noise, an arrival time gradient of 8 ns/deg along the axis, cleaned by a fixed threshold.

    Parameters
    ----------
    n : int
        Number of events; ``n // 2 + n % 2`` are gammas, in random order.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; default 0.
    max_pixels : int, optional
        Rows of ``pixel_set`` (P): the brightest cleaned pixels kept per event; default 64.
    threshold : float, optional
        Cleaning threshold on a pixel's charge, p.e.; default 4.

    Returns
    -------
    dict of str to numpy.ndarray
        Per event: ``event_id`` (int64), ``size`` (p.e.), ``width``, ``length`` (mm),
        ``cog_x``, ``cog_y`` (mm; these five NaN where fewer than 3 pixels survive cleaning),
        ``clean_ok`` (bool), ``grid_image`` (n, 2, 46, 45) float32 (cleaned charge, time),
        ``pixel_set`` (n, max_pixels, 4) float32 (x deg, y deg, charge p.e., time ns),
        ``pixel_set_mask`` (n, max_pixels) bool, ``is_gamma`` (int8), ``particle_id`` (int) and
        ``true_energy`` (TeV).
    """
    cam = fact_camera()
    rng = np.random.default_rng(seed)
    is_gamma = (np.arange(n) % 2 == 0)[rng.permutation(n)]
    energy = 10 ** rng.uniform(-0.5, 1.0, n)  # TeV
    size = energy * 300 * rng.lognormal(0, 0.3, n)  # p.e.
    cog = rng.uniform(-1.0, 1.0, (n, 2))  # deg
    psi = rng.uniform(0, np.pi, n)
    width = np.where(is_gamma, 0.08, 0.16) * rng.lognormal(0, 0.15, n)  # deg
    length = np.where(is_gamma, 0.2, 0.26) * rng.lognormal(0, 0.15, n)
    dx = cam.x_deg[None, :] - cog[:, :1]
    dy = cam.y_deg[None, :] - cog[:, 1:]
    along = dx * np.cos(psi)[:, None] + dy * np.sin(psi)[:, None]
    across = -dx * np.sin(psi)[:, None] + dy * np.cos(psi)[:, None]
    dens = np.exp(-0.5 * ((along / length[:, None]) ** 2 + (across / width[:, None]) ** 2))
    pix_area = 0.0107  # deg^2: hexagon of 9.5 mm pitch at 0.0117 deg/mm
    mean = size[:, None] * dens * pix_area / (2 * np.pi * width * length)[:, None]
    image = rng.poisson(mean).astype(np.float32) + rng.normal(0, 1.0, mean.shape).astype(np.float32)
    peak_time = (20 + 8 * along + rng.normal(0, 0.5, mean.shape)).astype(np.float32)
    cleaned = image > threshold
    image_c = np.where(cleaned, image, 0).astype(np.float32)
    time_c = np.where(cleaned, peak_time, 0).astype(np.float32)
    grid = np.stack([cam.to_grid(image_c), cam.to_grid(time_c)], axis=1)

    order = np.argsort(-image_c, axis=1, kind="stable")[:, :max_pixels]
    mask = np.take_along_axis(cleaned, order, axis=1)
    rows = np.stack(
        [
            cam.x_deg[order],
            cam.y_deg[order],
            np.take_along_axis(image_c, order, 1),
            np.take_along_axis(time_c, order, 1),
        ],
        axis=-1,
    ).astype(np.float32)
    rows[~mask] = 0.0

    w = image_c.astype(np.float64)
    s = w.sum(1)
    ok = cleaned.sum(1) >= 3
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * cam.x[None]).sum(1) / s
        my = (w * cam.y[None]).sum(1) / s
        cxx = (w * (cam.x[None] - mx[:, None]) ** 2).sum(1) / s
        cyy = (w * (cam.y[None] - my[:, None]) ** 2).sum(1) / s
        cxy = (w * (cam.x[None] - mx[:, None]) * (cam.y[None] - my[:, None])).sum(1) / s
        root = np.sqrt(((cxx - cyy) / 2) ** 2 + cxy**2)
        length_mm = np.sqrt(np.clip((cxx + cyy) / 2 + root, 0, None))
        width_mm = np.sqrt(np.clip((cxx + cyy) / 2 - root, 0, None))
    nan = np.full(n, np.nan)
    return {
        "event_id": np.arange(n, dtype=np.int64),
        "size": np.where(ok, s, nan),
        "width": np.where(ok, width_mm, nan),
        "length": np.where(ok, length_mm, nan),
        "cog_x": np.where(ok, mx, nan),
        "cog_y": np.where(ok, my, nan),
        "clean_ok": ok,
        "grid_image": grid.astype(np.float32),
        "pixel_set": rows,
        "pixel_set_mask": mask,
        "is_gamma": is_gamma.astype(np.int8),
        "particle_id": np.where(is_gamma, PARTICLE_ID["gamma"], PARTICLE_ID["proton"]).astype(int),
        "true_energy": energy,
    }
