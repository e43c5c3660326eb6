"""The feature stage: events -> features file, streamed in chunks (rule ``build_features``).

:func:`image_features` is the whole per-chunk computation (cleaning, Hillas, leakage,
concentration, islands, timing, charge statistics, derived features and the ``clean_ok`` flag) on
plain arrays; :func:`build_features` streams an events file through it and writes
``results/features/{sample}.h5``: every 1-D column of the input (truth, source_x/y, region,
event_id pass through), the feature columns (:data:`iactdl.features.columns.FEATURE_UNITS`),
``grid_image`` (n, 2, 46, 45) and ``pixel_set`` (n, P, 4) + ``pixel_set_mask`` (n, P).

Input without an ``image`` column (FACT DL2 via ``extract``): the features are already there and
are passed through (same FACT names); only ``clean_ok`` and the derived features are added, and
no grid image or pixel set is written.

Bad input is flagged, not fatal: an event with a non-finite pixel, or fewer than ``min_pixels``
shower pixels after cleaning (all-zero images, pure noise), or a non-finite peak time in a shower
pixel gets ``clean_ok = False``, NaN float features, an empty grid image and pixel set; the counts
are logged per file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features._kernels import HAVE_NUMBA, MOMENT_COLUMNS, event_moments
from iactdl.features.cleaning import CLEANING_DEFAULTS, tailcuts_clean_pixels
from iactdl.features.concentration import concentration_pixels
from iactdl.features.derived import derived_features
from iactdl.features.grid import grid_image_pixels
from iactdl.features.hillas import HILLAS_COLUMNS, hillas_pixels
from iactdl.features.leakage import leakage_pixels
from iactdl.features.pedestal import pedestal_statistics
from iactdl.features.pixelset import PIXEL_SET_SIZE, pixel_set_pixels
from iactdl.features.shower_pixels import ShowerPixels, charge_statistics
from iactdl.features.timing import timing_pixels
from iactdl.io import EventWriter, InputError, data_attrs, n_events, open_events, read_columns
from iactdl.io.compact import IMAGE_DTYPES, store_as
from iactdl.io.nonfinite import NonfiniteTally
from iactdl.progress import Progress

__all__ = [
    "DEFAULT_CONFIG",
    "add_image_products",
    "build_features",
    "check_features_config",
    "image_features",
]

log = logging.getLogger(__name__)

# The defaults of config.yaml's `features` section; the cleaning's are the cleaning functions' own
# (FACT-Tools' standard levels), the pixel set's size pixel_set()'s.
DEFAULT_CONFIG = {
    "picture_threshold": CLEANING_DEFAULTS["picture_threshold"],
    "boundary_threshold": CLEANING_DEFAULTS["boundary_threshold"],
    "min_number_picture_neighbors": CLEANING_DEFAULTS["min_number_picture_neighbors"],
    "keep_isolated_pixels": CLEANING_DEFAULTS["keep_isolated_pixels"],
    "time_limit_ns": None,
    "time_min_neighbors": CLEANING_DEFAULTS["time_min_neighbors"],
    "min_pixels": 3,
    "moments": "fact",
    "pixel_set_size": PIXEL_SET_SIZE,
    "chunk_size": 4096,
    "image_dtype": "float32",  # or float16: half the bytes per image (iactdl.io.compact)
}


def check_features_config(config: Mapping | None) -> dict:
    """The full ``features`` section (``config`` over :data:`DEFAULT_CONFIG`), checked.

    Raises ``ValueError`` naming the key (``features.picture_threshold``) for an unknown key, a
    picture threshold below the boundary threshold, an unknown moment normalisation or a count
    below its minimum. Used by :func:`build_features` and by the workflow's validation step
    (:func:`iactdl.config.check_config`), so both refuse the same sections.

    Parameters
    ----------
    config : mapping or None
        The config's ``features`` section; None or missing keys: :data:`DEFAULT_CONFIG`.

    Returns
    -------
    dict
        The section with every key of :data:`DEFAULT_CONFIG`.

    Raises
    ------
    ValueError
        An unknown key or a value out of its range, named as ``features.<key>``.
    """
    cfg = dict(DEFAULT_CONFIG)
    cfg.update(dict(config or {}))
    unknown = set(cfg) - set(DEFAULT_CONFIG)
    if unknown:
        raise ValueError(
            f"features: unknown key(s) {sorted(unknown)}; valid keys: {sorted(DEFAULT_CONFIG)}"
        )
    if cfg["picture_threshold"] < cfg["boundary_threshold"]:
        raise ValueError(
            f"features.picture_threshold ({cfg['picture_threshold']} p.e.) must be >= "
            f"features.boundary_threshold ({cfg['boundary_threshold']} p.e.): a picture pixel is "
            "a boundary pixel too"
        )
    if cfg["moments"] not in ("fact", "population"):
        raise ValueError(
            f"features.moments: {cfg['moments']!r} is not one of ['fact', 'population']"
        )
    if cfg["image_dtype"] not in IMAGE_DTYPES:
        raise ValueError(
            f"features.image_dtype: {cfg['image_dtype']!r} is not one of {list(IMAGE_DTYPES)}"
        )
    for key, low in (("min_pixels", 1), ("pixel_set_size", 1), ("chunk_size", 1)):
        if not isinstance(cfg[key], int) or cfg[key] < low:
            raise ValueError(f"features.{key}: expected an integer >= {low}, got {cfg[key]!r}")
    return cfg


def image_features(
    image: np.ndarray,
    peak_time: np.ndarray,
    config: Mapping | None = None,
    *,
    camera: CameraGeometry | None = None,
    engine: str = "auto",
) -> tuple[dict[str, np.ndarray], ShowerPixels, dict[str, int]]:
    """Clean a chunk and compute every feature column.

    Parameters
    ----------
    image, peak_time : arrays (n_events, 1440)
        Charges (p.e.) and peak times (ns).
    config : mapping, optional
        The ``features`` config section (defaults: :data:`DEFAULT_CONFIG`).
    camera : iactdl.camera.CameraGeometry, optional
        The camera; default: FACT's (:func:`iactdl.camera.fact_camera`).
    engine : {"auto", "numpy", "numba"}
        "numba": the fused compiled kernels of :mod:`iactdl.features._kernels` (cleaning +
        islands, and the moments); "numpy": vectorised numpy only; "auto": numba where
        importable. Same results.

    Returns
    -------
    columns : dict of arrays (n_events,)
        Feature columns in FACT DL2 names plus ``clean_ok`` and the night-sky pedestal
        (:func:`iactdl.features.pedestal.pedestal_statistics`).
    pixels : ShowerPixels
        The shower pixels of the events with ``clean_ok`` (for grid images and pixel sets).
    counts : dict
        ``nonfinite`` images, ``no_pixels`` (cleaning left nothing), ``too_few_pixels``
        (1 .. min_pixels-1), ``nonfinite_time``.
    """
    cfg = check_features_config(config)
    camera = camera or fact_camera()
    image = np.atleast_2d(image)
    peak_time = np.atleast_2d(peak_time)
    n = image.shape[0]
    sp = tailcuts_clean_pixels(
        image,
        picture_threshold=cfg["picture_threshold"],
        boundary_threshold=cfg["boundary_threshold"],
        min_number_picture_neighbors=cfg["min_number_picture_neighbors"],
        keep_isolated_pixels=cfg["keep_isolated_pixels"],
        peak_time=peak_time,
        time_limit=cfg["time_limit_ns"],
        time_min_neighbors=cfg["time_min_neighbors"],
        camera=camera,
        count_islands=True,  # on the neighbour graph cleaning builds anyway
        engine=engine,
    )
    n_pix = sp.n_pixels
    # a row sum is non-finite iff a pixel is NaN/inf (or the sum overflows, > 1e38 p.e.): one BLAS
    # matrix-vector product is cheaper than isnan over the whole image
    finite_image = np.isfinite(image @ np.ones(image.shape[1], dtype=image.dtype))
    bad_time = np.bincount(sp.event[~np.isfinite(sp.time)], minlength=n) > 0
    clean_ok = finite_image & (n_pix >= cfg["min_pixels"]) & ~bad_time
    counts = {
        "nonfinite": int(np.count_nonzero(~finite_image)),
        "no_pixels": int(np.count_nonzero(finite_image & (n_pix == 0))),
        "too_few_pixels": int(
            np.count_nonzero(finite_image & (n_pix > 0) & (n_pix < cfg["min_pixels"]))
        ),
        "nonfinite_time": int(np.count_nonzero(finite_image & bad_time)),
    }
    num_islands = sp.n_islands
    if not clean_ok.all():
        sp = sp.select(clean_ok[sp.event])

    columns: dict[str, np.ndarray] = {
        "clean_ok": clean_ok,
        "num_pixel_in_shower": n_pix.astype(np.int64),
        "num_islands": np.where(clean_ok, num_islands, 0).astype(np.int64),
    }
    use_numba = engine == "numba" or (engine == "auto" and HAVE_NUMBA)
    if use_numba:  # the same formulas fused per event (tests: identical to the numpy path)
        matrix, longi, trans = event_moments(
            n, sp.event, sp.pixel, sp.charge, sp.time, *_camera_arrays(camera),
            cfg["moments"] == "fact",
        )  # fmt: skip
        moments = {c: np.ascontiguousarray(matrix[:, j]) for j, c in enumerate(MOMENT_COLUMNS)}
        params = {c: moments[c] for c in HILLAS_COLUMNS}
        columns.update(moments)
    else:
        params, longi, trans = hillas_pixels(sp, camera, cfg["moments"])
        columns.update(params)
        columns.update(leakage_pixels(sp, camera))
        columns.update(charge_statistics(sp))
        columns.update(timing_pixels(sp, longi, trans))
    columns.update(concentration_pixels(sp, image, params, longi, trans, camera))
    columns.update(derived_features(params))
    # the night-sky pedestal of the pixels the shower did not reach (iactdl.features.pedestal):
    # the datasets keep only the cleaned image, so this is the NSB's one trace in them
    columns.update(pedestal_statistics(image, peak_time, sp, columns, camera))
    for values in columns.values():
        if values.dtype.kind == "f":
            values[~clean_ok] = np.nan
    return columns, sp, counts


@cache
def _camera_arrays(camera: CameraGeometry):
    """Pixel x, y (mm, float64) and the border flags, as event_moments takes them."""
    return (
        np.ascontiguousarray(camera.x, dtype=np.float64),
        np.ascontiguousarray(camera.y, dtype=np.float64),
        np.ascontiguousarray(camera.is_border),
        np.ascontiguousarray(camera.is_border2),
    )


def _pass_through_names(path: Path) -> tuple[list[str], bool]:
    with open_events(path) as f:
        g = f["events"]
        one_d = sorted(k for k in g if g[k].ndim == 1)
        return one_d, "image" in g


def build_features(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    config: Mapping | None = None,
    chunk_size: int | None = None,
) -> dict[str, int]:
    """Stream ``in_path`` (an events file) into ``out_path`` (a features file); see the module
    docstring. Returns the counts of flagged events (also logged and stored as file attributes).

    Parameters
    ----------
    in_path : str or os.PathLike
        The events file: ``image`` and ``peak_time`` (n, 1440), or FACT DL2 features without
        images; never modified.
    out_path : str or os.PathLike
        The features file, written whole or not at all (:class:`iactdl.io.EventWriter`).
    config : mapping, optional
        The ``features`` config section, checked by :func:`check_features_config` and stored
        in the output.
    chunk_size : int, optional
        Events per chunk; default: the section's ``chunk_size``.

    Returns
    -------
    dict of str to int
        ``nonfinite``, ``no_pixels``, ``too_few_pixels``, ``nonfinite_time`` (events flagged
        ``clean_ok = False``, see :func:`image_features`), ``pixel_set_truncated`` and
        ``n_events``; stored as ``count_<key>`` attributes of the output.

    Raises
    ------
    iactdl.io.InputError
        Images of the wrong shape, feature columns already in the input, or neither images nor
        the FACT features ``size``, ``width``, ``length``.
    """
    cfg = check_features_config(config)
    chunk_size = int(chunk_size or cfg["chunk_size"])
    in_path, out_path = Path(in_path), Path(out_path)
    names, has_image = _pass_through_names(in_path)
    total = n_events(in_path)
    camera = fact_camera()
    counts = {
        "nonfinite": 0,
        "no_pixels": 0,
        "too_few_pixels": 0,
        "nonfinite_time": 0,
        "pixel_set_truncated": 0,
        "n_events": total,
    }
    if has_image:
        open_events(in_path, required=["image", "peak_time"]).close()
    log.info(
        "build_features %s -> %s: %d events, %s",
        in_path,
        out_path,
        total,
        "images" if has_image else "features passed through (no image column)",
    )
    grid_buffer = None  # reused between chunks (EventWriter.append copies)
    attrs = {k: v for k, v in data_attrs(in_path).items() if not k.startswith("input_")}
    attrs["source_file"] = str(in_path)
    progress = Progress(total, log, what=f"build_features {out_path.name}", verb="built")
    tally = NonfiniteTally()
    with EventWriter(out_path, config=cfg, attrs=attrs) as writer:
        for start in range(0, total, chunk_size):
            stop = min(start + chunk_size, total)
            chunk = read_columns(in_path, names, start, stop)
            tally.add(chunk)  # the images' NaN/inf are counted per event below (nonfinite)
            if has_image:
                images = read_columns(in_path, ["image", "peak_time"], start, stop)
                c, grid_buffer = add_image_products(
                    chunk,
                    images["image"],
                    images["peak_time"],
                    cfg,
                    camera=camera,
                    grid_buffer=grid_buffer,
                    path=in_path,
                )
                del images
                for key, value in c.items():
                    counts[key] += value
            else:
                _pass_through(chunk, in_path)
            writer.append(chunk)
            progress.update(stop)
        for key, value in counts.items():
            writer.set_attr(f"count_{key}", int(value))
    passed = ("size", "width", "length")
    tally.log(
        log,
        in_path,
        lambda c: (
            "clean_ok False for those events"
            if not has_image and c in passed
            else "kept as missing values"
        ),
        warn=not has_image and any(tally.rows[c] for c in passed),
    )
    if has_image:
        log.info(
            "build_features %s: clean_ok False for %d non-finite images, %d with no pixels after "
            "cleaning, %d with fewer than %d pixels, %d with non-finite shower times; "
            "%d pixel sets truncated to %d pixels (brightest kept)",
            out_path.name,
            counts["nonfinite"],
            counts["no_pixels"],
            counts["too_few_pixels"],
            cfg["min_pixels"],
            counts["nonfinite_time"],
            counts["pixel_set_truncated"],
            cfg["pixel_set_size"],
        )
    return counts


def add_image_products(
    chunk: dict[str, np.ndarray],
    image: np.ndarray,
    peak_time: np.ndarray,
    config: Mapping,
    *,
    camera: CameraGeometry,
    grid_buffer: np.ndarray | None = None,
    path=None,
) -> tuple[dict[str, int], np.ndarray]:
    """Add the feature columns, ``grid_image``, ``pixel_set`` and ``pixel_set_mask`` of a chunk of
    images to ``chunk`` (its 1-D columns, in place).

    ``grid_buffer`` is reused between chunks when large enough (:class:`iactdl.io.EventWriter`
    copies what it is given), so pass back the one returned. Returns the flag counts of
    :func:`image_features` plus ``pixel_set_truncated``, and the buffer.

    Parameters
    ----------
    chunk : dict of str to numpy.ndarray
        The chunk's 1-D columns, (n_events,) each; the new columns are added to it.
    image : numpy.ndarray, shape (n_events, n_pixels)
        Charges, p.e.
    peak_time : numpy.ndarray, shape (n_events, n_pixels)
        Peak times, ns.
    config : mapping
        The checked ``features`` section (:func:`check_features_config`).
    camera : iactdl.camera.CameraGeometry
        The camera of the images.
    grid_buffer : numpy.ndarray of float32, shape (>= n_events, 2, rows, cols), optional
        The buffer the last call returned; None: a new one.
    path : str or os.PathLike, optional
        The input file, named in errors.

    Returns
    -------
    counts : dict of str to int
        The counts of :func:`image_features` plus ``pixel_set_truncated`` (events whose pixel
        set kept only its ``pixel_set_size`` brightest pixels).
    grid_buffer : numpy.ndarray of float32
        The grid buffer to pass to the next call.

    Raises
    ------
    iactdl.io.InputError
        ``image`` not (n, n_pixels), or ``chunk`` already holding a feature column.
    """
    if image.ndim != 2 or image.shape[1] != camera.n_pixels:
        raise InputError(
            f"{path}: column 'image' has shape {image.shape}, expected (n, {camera.n_pixels})"
        )
    columns, sp, counts = image_features(image, peak_time, config, camera=camera)
    overlap = sorted(set(columns) & set(chunk))
    if overlap:
        raise InputError(f"{path}: input already has feature column(s) {overlap}")
    chunk.update(columns)
    if grid_buffer is None or len(grid_buffer) < sp.n_events:
        grid_buffer = np.zeros((sp.n_events, 2, *camera.grid_shape), np.float32)
    grid = grid_image_pixels(sp, camera, grid_buffer[: sp.n_events])
    rows, mask, n_trunc = pixel_set_pixels(sp, config["pixel_set_size"], camera)
    dtype = config.get("image_dtype", DEFAULT_CONFIG["image_dtype"])
    chunk["grid_image"] = store_as(grid, dtype, "grid_image", path)
    chunk["pixel_set"] = store_as(rows, dtype, "pixel_set", path)
    chunk["pixel_set_mask"] = mask
    return {**counts, "pixel_set_truncated": n_trunc}, grid_buffer


def _pass_through(chunk: dict[str, np.ndarray], path: Path) -> None:
    """FACT DL2 input: keep its features, add ``clean_ok`` and the derived features."""
    needed = ("size", "width", "length")
    missing = [c for c in needed if c not in chunk]
    if missing:
        raise InputError(
            f"{path}: no 'image' column and no feature column(s) {missing} to pass through "
            f"(expected either images or FACT DL2 features)"
        )
    ok = np.ones(len(chunk["size"]), dtype=bool)
    for c in needed:
        ok &= np.isfinite(chunk[c])
    chunk["clean_ok"] = ok
    if "cog_x" in chunk and "cog_y" in chunk:
        for key, value in derived_features(chunk).items():
            chunk.setdefault(key, value)
