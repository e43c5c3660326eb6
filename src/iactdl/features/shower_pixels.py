"""Shower pixels of a chunk of events in sparse (event, pixel) form, and per-event reductions.

After cleaning, an event keeps a few tens of its 1440 pixels. Every feature is a reduction over
those pixels, so the feature stage works on the flat list of surviving pixels of a whole chunk
(:class:`ShowerPixels`: ``event``, ``pixel``, ``charge``, ``time``, sorted by event then CHID) and
reduces per event with ``np.bincount`` / ``ufunc.reduceat``. No (n_events, 1440) temporaries, no
per-event Python loop: the cost is O(number of shower pixels), not O(n_events * 1440).

Also here: the charge statistics of the shower pixels (FACT-Tools ``ArrayStatistics`` on the
``shower`` pixel set): ``photoncharge_shower_mean`` (p.e.), ``photoncharge_shower_variance``
(p.e.^2, sample variance with ddof=1 as Apache commons-math computes it) and
``photoncharge_shower_max`` (p.e.).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = [
    "ShowerPixels",
    "shower_pixels_from_mask",
    "per_event_sum",
    "per_event_max",
    "charge_statistics",
    "false_buffer",
    "scratch_buffer",
]

# Reused flat buffers of chunk size (n_events * 1440 + 1). Fresh multi-MB arrays come from mmap and
# every first touch of a page is a page fault (several microseconds on a VM), which would dominate
# the per-event cost; so the look-up arrays of cleaning and islands live here between chunks.
# False buffers are all-False between uses: a user sets k entries and resets exactly those.
_FALSE: dict[str, np.ndarray] = {}
_SCRATCH: dict[tuple[str, str], np.ndarray] = {}


def false_buffer(name: str, size: int) -> np.ndarray:
    """An all-False bool array of ``size`` (a view of a cached buffer); the caller must set back to
    False every entry it sets True before the next call with the same ``name``.

    Parameters
    ----------
    name : str
        Key of the cached buffer (one per user, e.g. the cleaning's look-up array).
    size : int
        Length wanted; the cached buffer grows to it and is kept for later calls.

    Returns
    -------
    numpy.ndarray of bool, shape (size,)
        The first ``size`` entries of the cached buffer, all False.
    """
    buf = _FALSE.get(name)
    if buf is None or buf.size < size:
        buf = np.zeros(size, dtype=bool)
        _FALSE[name] = buf
    return buf[:size]


def scratch_buffer(name: str, size: int, dtype) -> np.ndarray:
    """An uninitialised array of ``size`` (a view of a cached buffer): read only what you wrote.

    Parameters
    ----------
    name : str
        Key of the cached buffer, together with ``dtype``.
    size : int
        Length wanted; the cached buffer grows to it and is kept for later calls.
    dtype : numpy.dtype or type
        Element type of the buffer.

    Returns
    -------
    numpy.ndarray, shape (size,)
        The first ``size`` entries of the cached buffer, with whatever values the last user left.
    """
    key = (name, np.dtype(dtype).str)
    buf = _SCRATCH.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(size, dtype=dtype)
        _SCRATCH[key] = buf
    return buf[:size]


@dataclass(frozen=True, eq=False)
class ShowerPixels:
    """The cleaned pixels of ``n_events`` events, flat and sorted by (event, pixel).

    Each parameter is kept as the attribute of its name.

    Parameters
    ----------
    n_events : int
        Events in the chunk (events without pixels have no rows).
    event : int64 array (k,)
        Event index in the chunk, non-decreasing; ``k`` is the chunk's number of shower pixels.
    pixel : int64 array (k,)
        CHID of the pixel (0 to 1439), increasing within an event.
    charge : float64 array (k,)
        Charge, p.e.
    time : float64 array (k,) or None
        Peak time, ns; None where no times were given.
    n_islands : int64 array (n_events,) or None
        Islands per event, where cleaning counted them (``count_islands=True``).
    """

    n_events: int
    event: np.ndarray
    pixel: np.ndarray
    charge: np.ndarray
    time: np.ndarray | None = None
    n_islands: np.ndarray | None = None

    @cached_property
    def n_pixels(self) -> np.ndarray:
        """Number of shower pixels per event (``num_pixel_in_shower``)."""
        return np.bincount(self.event, minlength=self.n_events)

    @property
    def flat_index(self) -> np.ndarray:
        """Index into the flattened (n_events, n_camera_pixels) image of each shower pixel."""
        return self.event * 1440 + self.pixel

    def select(self, keep: np.ndarray) -> ShowerPixels:
        """Rows where ``keep`` is True (the order is kept; ``n_islands`` is carried as is).

        Parameters
        ----------
        keep : bool array (k,)
            Which shower pixels to keep.

        Returns
        -------
        ShowerPixels
            The kept pixels of the same ``n_events`` events.
        """
        return ShowerPixels(
            self.n_events,
            self.event[keep],
            self.pixel[keep],
            self.charge[keep],
            None if self.time is None else self.time[keep],
            self.n_islands,
        )

    def to_dense(
        self, values: np.ndarray | None = None, n_pixels: int = 1440, dtype=np.float32
    ) -> np.ndarray:
        """Per-pixel ``values`` (default: charge) scattered to (n_events, n_pixels), 0 elsewhere.

        Parameters
        ----------
        values : array (k,), optional
            One value per shower pixel; default: the charge (p.e.).
        n_pixels : int
            Pixels of the camera (default 1440, FACT).
        dtype : numpy.dtype or type
            Element type of the result (default float32).

        Returns
        -------
        numpy.ndarray, shape (n_events, n_pixels)
            The dense image: ``values`` at the shower pixels, 0 at the others.
        """
        out = np.zeros((self.n_events, n_pixels), dtype=dtype)
        out[self.event, self.pixel] = self.charge if values is None else values
        return out


def shower_pixels_from_mask(image, mask, peak_time=None) -> ShowerPixels:
    """Sparse shower pixels from dense arrays: ``image`` (n, 1440) or (1440,), bool ``mask``.

    Parameters
    ----------
    image : array (n_events, n_pixels) or (n_pixels,)
        Charges, p.e.
    mask : bool array of the shape of ``image``
        The shower pixels (e.g. :func:`iactdl.features.cleaning.tailcuts_clean`'s result).
    peak_time : array of the shape of ``image``, optional
        Peak times, ns; None: the result has no times.

    Returns
    -------
    ShowerPixels
        The masked pixels, sorted by (event, CHID), charges and times as float64.

    Raises
    ------
    ValueError
        If ``mask`` and ``image`` differ in shape.
    """
    image = np.atleast_2d(np.asarray(image))
    mask = np.atleast_2d(np.asarray(mask, dtype=bool))
    if mask.shape != image.shape:
        raise ValueError(f"mask shape {mask.shape} differs from image shape {image.shape}")
    flat = np.flatnonzero(mask)
    event, pixel = np.divmod(flat, image.shape[1])
    charge = image.reshape(-1)[flat].astype(np.float64)
    time = None
    if peak_time is not None:
        peak_time = np.atleast_2d(np.asarray(peak_time))
        time = peak_time.reshape(-1)[flat].astype(np.float64)
    return ShowerPixels(image.shape[0], event, pixel, charge, time)


def per_event_sum(sp: ShowerPixels, values: np.ndarray) -> np.ndarray:
    """Sum of per-pixel ``values`` per event (float64, 0 for events without pixels).

    Parameters
    ----------
    sp : ShowerPixels
        The shower pixels of the chunk.
    values : array (k,)
        One value per shower pixel, in the row order of ``sp``.

    Returns
    -------
    numpy.ndarray of float64, shape (n_events,)
        The per-event sums (``np.bincount`` with weights).
    """
    # astype: bincount of an empty chunk returns int64, whatever the weights
    return np.bincount(sp.event, weights=values, minlength=sp.n_events).astype(
        np.float64, copy=False
    )


def _segments(sp: ShowerPixels) -> tuple[np.ndarray, np.ndarray]:
    """Start offset of each non-empty event's run of rows, and those events."""
    if sp.event.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.diff(sp.event, prepend=-1))
    return starts, sp.event[starts]


def per_event_max(sp: ShowerPixels, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """Maximum of per-pixel ``values`` per event (``fill`` for events without pixels).

    Parameters
    ----------
    sp : ShowerPixels
        The shower pixels of the chunk.
    values : array (k,)
        One value per shower pixel, in the row order of ``sp``.
    fill : float
        The result of events without pixels (default NaN).

    Returns
    -------
    numpy.ndarray of float64, shape (n_events,)
        The per-event maxima (``np.maximum.reduceat`` over each event's run of rows).
    """
    out = np.full(sp.n_events, fill, dtype=np.float64)
    starts, events = _segments(sp)
    if starts.size:
        out[events] = np.maximum.reduceat(values, starts)
    return out


def per_event_two_largest(sp: ShowerPixels, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and second-largest per-pixel value per event (NaN / 0 where absent)."""
    first = per_event_max(sp, values)
    if sp.event.size == 0:
        return first, np.zeros(sp.n_events)
    # drop exactly one occurrence of each event's maximum, then take the maximum again
    is_max = np.flatnonzero(values == first.take(sp.event))
    first_of_event = is_max[np.diff(sp.event[is_max], prepend=-1) != 0]
    rest = values.copy()
    rest[first_of_event] = -np.inf
    second = per_event_max(sp, rest)
    second[~np.isfinite(second)] = 0.0  # single-pixel events: FACT starts its running max at 0
    return first, second


def charge_statistics(sp: ShowerPixels) -> dict[str, np.ndarray]:
    """``photoncharge_shower_{mean,variance,max}`` of the shower pixels (p.e., p.e.^2, p.e.).

    FACT-Tools ``ArrayStatistics`` on the ``shower`` pixel set: mean ``sum(q) / n``, sample
    variance ``sum((q - mean)^2) / (n - 1)`` (NaN below two pixels) and maximum of the charges.

    Parameters
    ----------
    sp : ShowerPixels
        The shower pixels of the chunk.

    Returns
    -------
    dict of str to numpy.ndarray of float64, shape (n_events,)
        ``photoncharge_shower_mean`` (p.e.), ``photoncharge_shower_variance`` (p.e.^2) and
        ``photoncharge_shower_max`` (p.e.); NaN for events without pixels.
    """
    n = sp.n_pixels.astype(np.float64)
    q = sp.charge
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = per_event_sum(sp, q) / n
        dq = q - mean.take(sp.event)
        variance = per_event_sum(sp, dq * dq) / (n - 1.0)
    variance[n < 2] = np.nan
    return {
        "photoncharge_shower_mean": mean,
        "photoncharge_shower_variance": variance,
        "photoncharge_shower_max": per_event_max(sp, q),
    }
