"""Tail-cuts image cleaning on the FACT neighbour graph, vectorised over a chunk of events.

The two-threshold tail-cuts cleaning (Punch et al. 1991; the form of ctapipe's
``tailcuts_clean``): a pixel with charge >= ``picture_threshold`` (p.e.) is a picture pixel if it
has at least ``min_number_picture_neighbors`` picture neighbours; a pixel survives if it is

- above ``boundary_threshold`` and next to a picture pixel, or
- a picture pixel with a neighbour above the boundary threshold (or any picture pixel if
  ``keep_isolated_pixels``).

Optionally (FACT-Tools' time-neighbour cleaning, ctapipe's ``apply_time_delta_cleaning``) a
surviving pixel is then dropped unless at least ``time_min_neighbors`` of its surviving neighbours
have a peak time within ``time_limit`` ns of its own.

Implementation: one threshold pass over the images gives the candidates (charge >= boundary); every
further step looks only at the candidates and their six neighbours, through the camera's neighbour
table and flat boolean look-up arrays with a False sentinel for the camera edge. NaN charges never
pass a threshold. The result is identical to ctapipe's ``tailcuts_clean`` with the same neighbour
graph (tested in ``tests/test_ctapipe_agreement.py``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features._kernels import HAVE_NUMBA, clean_chunk
from iactdl.features.shower_pixels import ShowerPixels, scratch_buffer

__all__ = [
    "CLEANING_DEFAULTS",
    "tailcuts_clean",
    "tailcuts_clean_pixels",
    "padded_neighbours",
    "count_true",
    "any_true",
]

# FACT-Tools' standard cleaning levels (core 5.5 p.e., neighbour 3.0 p.e., at least 2 core
# neighbours): the defaults of the functions here and of config `features` (pipeline.DEFAULT_CONFIG)
CLEANING_DEFAULTS = {
    "picture_threshold": 5.5,
    "boundary_threshold": 3.0,
    "min_number_picture_neighbors": 2,
    "keep_isolated_pixels": False,
    "time_min_neighbors": 1,
}


_BYTE_SUM = np.uint64(0x0101010101010101)


@cache
def padded_neighbours(camera: CameraGeometry) -> np.ndarray:
    """Neighbour table (n_pixels, 8): CHIDs, and ``n_pixels`` (a sentinel column) where a pixel
    has no neighbour. Eight columns so that a gathered bool row is one uint64 word.

    Parameters
    ----------
    camera : CameraGeometry
        The camera; its ``neighbours`` table (n_pixels, up to 6), -1 where a pixel has fewer
        neighbours (the camera's edge).

    Returns
    -------
    numpy.ndarray
        int32, shape (n_pixels, 8): each pixel's neighbours' CHIDs, padded with ``n_pixels``
        (an index one past the last pixel, which callers map to False). Cached per camera.
    """
    nb = np.asarray(camera.neighbours, dtype=np.int64)
    out = np.full((nb.shape[0], 8), camera.n_pixels, dtype=np.int32)
    out[:, : nb.shape[1]] = np.where(nb >= 0, nb, camera.n_pixels)
    return out


def count_true(rows: np.ndarray) -> np.ndarray:
    """Number of True per row of a contiguous (k, 8) bool array (bytes summed in one word).

    Parameters
    ----------
    rows : numpy.ndarray
        Bool, shape (k, 8), C-contiguous.

    Returns
    -------
    numpy.ndarray
        Uint64 counts (k,), each in 0..8.
    """
    return (rows.view(np.uint64)[:, 0] * _BYTE_SUM) >> np.uint64(56)


def any_true(rows: np.ndarray) -> np.ndarray:
    """Any True per row of a contiguous (k, 8) bool array (its 8 bytes read as one word).

    Parameters
    ----------
    rows : numpy.ndarray
        Bool, shape (k, 8), C-contiguous.

    Returns
    -------
    numpy.ndarray
        Bool (k,).
    """
    return rows.view(np.uint64)[:, 0] != 0


def tailcuts_clean_pixels(
    image: np.ndarray,
    *,
    picture_threshold: float = CLEANING_DEFAULTS["picture_threshold"],
    boundary_threshold: float = CLEANING_DEFAULTS["boundary_threshold"],
    min_number_picture_neighbors: int = CLEANING_DEFAULTS["min_number_picture_neighbors"],
    keep_isolated_pixels: bool = CLEANING_DEFAULTS["keep_isolated_pixels"],
    peak_time: np.ndarray | None = None,
    time_limit: float | None = None,
    time_min_neighbors: int = CLEANING_DEFAULTS["time_min_neighbors"],
    camera: CameraGeometry | None = None,
    count_islands: bool = False,
    engine: str = "auto",
) -> ShowerPixels:
    """Tail-cuts cleaning of a chunk, returning the surviving pixels in sparse form.

    Parameters
    ----------
    image : numpy.ndarray
        Charges in p.e. (float32 or float64), shape (n_events, n_pixels); NaN pixels are never
        selected.
    picture_threshold, boundary_threshold : float
        Thresholds in p.e. (``picture_threshold >= boundary_threshold``).
    min_number_picture_neighbors : int
        A picture pixel needs at least this many picture neighbours (0: no requirement, ctapipe's
        default; FACT-Tools' standard and ours is 2).
    keep_isolated_pixels : bool
        Keep picture pixels without boundary neighbours.
    peak_time : numpy.ndarray, optional
        Peak times in ns, shape (n_events, n_pixels); needed for the time constraint and carried
        into the result.
    time_limit : float, optional
        Time constraint in ns (None: off).
    time_min_neighbors : int
        Surviving neighbours within ``time_limit`` a pixel needs to stay.
    camera : iactdl.camera.CameraGeometry, optional
        Default: :func:`iactdl.camera.fact_camera`.
    count_islands : bool
        Also count the islands (``num_islands``) on the neighbour graph cleaning builds anyway;
        stored as ``n_islands`` of the result.
    engine : {"auto", "numpy", "numba"}
        "numba": the fused compiled kernel of :mod:`iactdl.features._kernels` (identical
        results, a few times faster); "numpy": the vectorised numpy path; "auto": numba where it
        is importable.

    Returns
    -------
    iactdl.features.shower_pixels.ShowerPixels
        The surviving pixels, sorted by (event, pixel), with their charges (and times).
    """
    camera = camera or fact_camera()
    image = np.atleast_2d(np.asarray(image))
    if picture_threshold < boundary_threshold:
        raise ValueError(
            f"picture_threshold ({picture_threshold}) must be >= boundary_threshold "
            f"({boundary_threshold})"
        )
    n, n_pix = image.shape
    if n_pix != camera.n_pixels:
        raise ValueError(f"image has {n_pix} pixels per event, the camera {camera.n_pixels}")
    if engine not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba', got {engine!r}")
    if engine == "numba" or (engine == "auto" and HAVE_NUMBA):
        if not HAVE_NUMBA:
            raise ImportError("engine='numba' needs numba (pip install numba)")
        if peak_time is not None:
            peak_time = np.atleast_2d(np.asarray(peak_time))
            if peak_time.shape != image.shape:
                raise ValueError(
                    f"peak_time shape {peak_time.shape} differs from image {image.shape}"
                )
        if time_limit is not None and peak_time is None:
            raise ValueError("the time constraint (time_limit) needs peak_time")
        out_event = scratch_buffer("cleaning_out_event", n * n_pix, np.int64)
        out_pixel = scratch_buffer("cleaning_out_pixel", n * n_pix, np.int64)
        m, n_islands = clean_chunk(
            np.ascontiguousarray(image),
            np.ascontiguousarray(peak_time) if peak_time is not None else np.zeros((1, 1)),
            np.asarray(camera.neighbours, dtype=np.int64),
            float(picture_threshold),
            float(boundary_threshold),
            int(min_number_picture_neighbors),
            bool(keep_isolated_pixels),
            np.nan if time_limit is None else float(time_limit),
            int(time_min_neighbors),
            out_event,
            out_pixel,
        )
        event, pixel = out_event[:m].copy(), out_pixel[:m].copy()
        flat = event * n_pix + pixel
        return ShowerPixels(
            n,
            event,
            pixel,
            image.reshape(-1).take(flat).astype(np.float64),
            None if peak_time is None else peak_time.reshape(-1).take(flat).astype(np.float64),
            n_islands=n_islands if count_islands else None,
        )

    # Flat look-up arrays have one extra, always-False column per event (index n_pix): the
    # neighbour table points missing neighbours there, so no masking is needed in the gathers.
    stride = n_pix + 1
    size = n * stride

    # the only full pass: which pixels pass the boundary threshold (candidates)
    above_boundary = scratch_buffer("cleaning_above_boundary", size, bool).reshape(n, stride)
    np.greater_equal(image, boundary_threshold, out=above_boundary[:, :n_pix])
    above_boundary[:, n_pix] = False
    above_boundary = above_boundary.reshape(-1)
    # int32 flat indices (a chunk is < 1.4M events): half the memory traffic of the gathers
    if size >= 2**31:
        raise ValueError(f"chunk of {n} events too large for int32 indices; use smaller chunks")
    cand = np.flatnonzero(above_boundary).astype(np.int32)
    k = cand.size
    event, pixel = np.divmod(cand, np.int32(stride))
    image_index = cand - event  # index into the flat (n, n_pix) image
    charge = image.reshape(-1).take(image_index)
    is_picture = charge >= picture_threshold

    # Every neighbour that matters is itself a candidate, so from here on the graph lives in
    # candidate space: nb[i, j] is the candidate index of the j-th neighbour of candidate i, or
    # k (a sentinel) where that neighbour is below the boundary threshold or off the camera.
    nb_flat = padded_neighbours(camera).take(pixel, axis=0) + (event * np.int32(stride))[:, None]
    nb_is_cand = above_boundary.take(nb_flat)  # (k, 8)
    cand_index = scratch_buffer("cleaning_cand_index", size, np.int32)
    cand_index[cand] = np.arange(k, dtype=np.int32)
    # read only where nb_is_cand: the rest of the buffer is stale and never used
    nb = np.where(nb_is_cand, cand_index.take(nb_flat), np.int32(k))

    flags = np.zeros(k + 1, dtype=bool)  # per candidate, plus the always-False sentinel
    flags[:k] = is_picture
    if min_number_picture_neighbors > 0 and not keep_isolated_pixels:
        is_picture &= count_true(flags.take(nb)) >= min_number_picture_neighbors
        flags[:k] = is_picture
    has_picture_nb = any_true(flags.take(nb))
    if keep_isolated_pixels:
        keep = has_picture_nb | is_picture
    else:
        keep = has_picture_nb | (is_picture & any_true(nb_is_cand))

    time = None
    if peak_time is not None:
        peak_time = np.atleast_2d(np.asarray(peak_time))
        if peak_time.shape != image.shape:
            raise ValueError(f"peak_time shape {peak_time.shape} differs from image {image.shape}")
        time = peak_time.reshape(-1).take(image_index)

    if time_limit is not None:
        if peak_time is None:
            raise ValueError("the time constraint (time_limit) needs peak_time")
        flags[:k] = keep
        t_ext = np.append(time, np.inf)
        close = flags.take(nb) & (np.abs(t_ext.take(nb) - time[:, None]) < time_limit)
        keep &= close.sum(axis=1) >= time_min_neighbors

    n_islands = None
    if count_islands:
        flags[:k] = keep
        n_islands = _count_islands(n, event, keep, nb, flags)
    return ShowerPixels(
        n,
        event[keep].astype(np.int64),
        pixel[keep].astype(np.int64),
        charge[keep].astype(np.float64),
        None if time is None else time[keep].astype(np.float64),
        n_islands=n_islands,
    )


def _count_islands(n_events, event, keep, nb, keep_ext) -> np.ndarray:
    """Islands of the kept candidates, on the candidate graph (see :mod:`.islands`): rejected
    candidates get no edges, so they are single-node components that are simply not counted."""
    k = event.size
    if k == 0:
        return np.zeros(n_events, dtype=np.int64)
    linked = keep_ext.take(nb) & keep[:, None]
    indptr = np.zeros(k + 1, dtype=np.int32)
    np.cumsum(count_true(linked), out=indptr[1:])
    # int32 indices and float64 data: the types csgraph works in, so nothing is converted
    edges = nb[linked]
    graph = csr_matrix((np.ones(edges.size), edges, indptr), shape=(k, k))
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    comp_event = np.full(n_comp, -1, dtype=np.int64)
    comp_event[labels[keep]] = event[keep]
    return np.bincount(comp_event[comp_event >= 0], minlength=n_events)


def tailcuts_clean(
    image: np.ndarray,
    *,
    picture_threshold: float = CLEANING_DEFAULTS["picture_threshold"],
    boundary_threshold: float = CLEANING_DEFAULTS["boundary_threshold"],
    min_number_picture_neighbors: int = CLEANING_DEFAULTS["min_number_picture_neighbors"],
    keep_isolated_pixels: bool = CLEANING_DEFAULTS["keep_isolated_pixels"],
    peak_time: np.ndarray | None = None,
    time_limit: float | None = None,
    time_min_neighbors: int = CLEANING_DEFAULTS["time_min_neighbors"],
    camera: CameraGeometry | None = None,
) -> np.ndarray:
    """Tail-cuts cleaning mask of plain arrays, the counterpart of ctapipe's ``tailcuts_clean``.

    The dense form of :func:`tailcuts_clean_pixels`, whose text gives the algorithm.

    Parameters
    ----------
    image : numpy.ndarray
        Charges (p.e.), shape (1440,) or (n_events, 1440); NaN pixels are never selected.
    picture_threshold, boundary_threshold : float
        Thresholds in p.e. (``picture_threshold >= boundary_threshold``).
    min_number_picture_neighbors : int
        A picture pixel needs at least this many picture neighbours (0: no requirement, ctapipe's
        default; FACT-Tools' standard and ours is 2).
    keep_isolated_pixels : bool
        Keep picture pixels without boundary neighbours.
    peak_time : numpy.ndarray, optional
        Peak times in ns (same shape); needed for the time constraint.
    time_limit : float, optional
        Time constraint in ns (None: off).
    time_min_neighbors : int
        Surviving neighbours within ``time_limit`` a pixel needs to stay.
    camera : iactdl.camera.CameraGeometry, optional
        Default: :func:`iactdl.camera.fact_camera`.

    Returns
    -------
    numpy.ndarray
        The shower pixels, bool with the shape of ``image``.
    """
    arr = np.asarray(image)
    sp = tailcuts_clean_pixels(
        arr,
        picture_threshold=picture_threshold,
        boundary_threshold=boundary_threshold,
        min_number_picture_neighbors=min_number_picture_neighbors,
        keep_isolated_pixels=keep_isolated_pixels,
        peak_time=peak_time,
        time_limit=time_limit,
        time_min_neighbors=time_min_neighbors,
        camera=camera,
    )
    mask = np.zeros((sp.n_events, arr.shape[-1]), dtype=bool)
    mask[sp.event, sp.pixel] = True
    return mask.reshape(arr.shape)
