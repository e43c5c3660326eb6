"""The pixel-level inputs of the set nets, channel by channel: what a shift diagnostic compares.

A pixel set (:mod:`iactdl.features.pixelset`) holds per event up to ``P`` shower pixels with the
channels ``x_deg, y_deg, charge, peak_time`` (:data:`~iactdl.features.pixelset.PIXEL_SET_FIELDS`)
and a mask. The grid image of the CNN carries the same cleaned pixels (charge and time), so these
channels cover every pixel-level input. Two more views, because a channel's shift can sit in the
event rather than the pixel:

- ``relative_time``: peak time minus the event's charge-weighted mean peak time (ns). A per-event
  trigger-time jitter shifts ``peak_time`` of a whole event but not this; a large shift in
  ``peak_time`` with a small one here says that an event-relative time input removes it;
- ``n_pixels``: shower pixels per event (the set's size), an event-level quantity.

:func:`pixel_channel_values` pools the values of the real rows (one sample of pixels per channel),
:func:`pixel_channel_summaries` gives per event the mean, std, min, median and max of each channel,
the inputs of a per-channel domain classifier. Both vectorised over events.
"""

from __future__ import annotations

import numpy as np

from iactdl.features.pixelset import PIXEL_SET_FIELDS

__all__ = [
    "PIXEL_CHANNELS",
    "EVENT_STATISTICS",
    "pixel_channels",
    "pixel_channel_values",
    "pixel_channel_summaries",
]

PIXEL_CHANNELS = (*PIXEL_SET_FIELDS, "relative_time")
EVENT_STATISTICS = ("mean", "std", "min", "median", "max")


def pixel_channels(pixel_set, mask) -> dict[str, np.ndarray]:
    """(n, P) float64 arrays per channel of :data:`PIXEL_CHANNELS`, NaN where ``mask`` is False.

    Parameters
    ----------
    pixel_set : array_like
        The events' pixel sets (n, P, fields of :data:`~iactdl.features.pixelset.PIXEL_SET_FIELDS`).
    mask : array_like
        Which rows of each pixel set are real pixels (n, P).

    Returns
    -------
    dict of str to numpy.ndarray
        Channel name to its values.

    Raises
    ------
    ValueError
        ``pixel_set`` not (n, P, fields) with an (n, P) ``mask``.
    """
    rows = np.asarray(pixel_set)
    mask = np.asarray(mask, dtype=bool)
    if rows.ndim != 3 or rows.shape[2] != len(PIXEL_SET_FIELDS) or mask.shape != rows.shape[:2]:
        raise ValueError(
            f"pixel_set must be (n, P, {len(PIXEL_SET_FIELDS)}) with a (n, P) mask, got "
            f"{rows.shape} and {mask.shape}"
        )
    out = {}
    for k, name in enumerate(PIXEL_SET_FIELDS):
        out[name] = np.where(mask, rows[:, :, k].astype(np.float64), np.nan)
    charge = np.where(mask, out["charge"], 0.0)
    total = charge.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.nansum(charge * np.nan_to_num(out["peak_time"]), axis=1, keepdims=True) / total
    out["relative_time"] = out["peak_time"] - t_mean
    return out


def pixel_channel_values(pixel_set, mask, max_values: int | None = None, seed: int = 0):
    """Pooled values of the real rows per channel, plus ``n_pixels`` per event.

    Parameters
    ----------
    pixel_set : array_like
        The events' pixel sets (n, P, fields of :data:`~iactdl.features.pixelset.PIXEL_SET_FIELDS`).
    mask : array_like
        Which rows of each pixel set are real pixels (n, P).
    max_values : int, optional
        At most this many pixels per channel (a seeded random subset, the same pixels for every
        channel), so the two-sample tests stay cheap on large samples.
    seed : int
        Seed of the subset.

    Returns
    -------
    dict of str to numpy.ndarray
        Per channel of :data:`PIXEL_CHANNELS` its pooled values; ``n_pixels`` per event.
    """
    channels = pixel_channels(pixel_set, mask)
    mask = np.asarray(mask, dtype=bool)
    flat = np.flatnonzero(mask.ravel())
    if max_values is not None and flat.size > max_values:
        flat = np.sort(np.random.default_rng(seed).choice(flat, max_values, replace=False))
    out = {name: values.ravel()[flat] for name, values in channels.items()}
    out["n_pixels"] = mask.sum(axis=1).astype(np.float64)
    return out


def pixel_channel_summaries(pixel_set, mask) -> dict[str, np.ndarray]:
    """Per channel, each event's mean, std, min, median and max over its shower pixels.

    Parameters
    ----------
    pixel_set : array_like
        The events' pixel sets (n, P, fields of :data:`~iactdl.features.pixelset.PIXEL_SET_FIELDS`).
    mask : array_like
        Which rows of each pixel set are real pixels (n, P).

    Returns
    -------
    dict of str to numpy.ndarray
        Per channel an (n, 5) array (NaN for an event without pixels); ``n_pixels`` as (n, 1).
    """
    channels = pixel_channels(pixel_set, mask)
    mask = np.asarray(mask, dtype=bool)
    empty = ~mask.any(axis=1)
    out = {}
    for name, v in channels.items():
        # rows without pixels are all-NaN: fill them for the reductions, then mark them NaN
        v = np.where(empty[:, None], 0.0, v)
        stats = np.column_stack(
            [
                np.nanmean(v, axis=1),
                np.nanstd(v, axis=1),
                np.nanmin(v, axis=1),
                np.nanmedian(v, axis=1),
                np.nanmax(v, axis=1),
            ]
        )
        stats[empty] = np.nan
        out[name] = stats
    out["n_pixels"] = mask.sum(axis=1).astype(np.float64)[:, None]
    return out
