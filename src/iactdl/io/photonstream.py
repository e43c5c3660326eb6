"""Reader of FACT photon-stream events (``.phs.jsonl.gz``): single-photon arrival times -> images.

The photon stream (Mueller et al., "Single photon extraction for FACT's SiPMs allows for novel IACT
event representation", ICRC 2017, PoS(ICRC2017)801; fact-project/photon_stream, pass 4) stores each
event as one JSON line. ``PhotonArrivals_500ps`` is a list of 1440 lists, one per pixel in CHID
order (the reader of fact-project/photon_stream counts the pixel index up by one per list, and its
geometry sorts the pixel map by CHID), each holding the arrival time slices of the photons
extracted in that pixel. A slice is 0.5 ns of the 2 GHz DRS4 sampling, counted from the start of
the readout window (ROI); the extraction window covers slices 30..129, i.e. 15..65 ns.

Observations carry ``Night``, ``Run``, ``Event``, ``UnixTime_s_us``, ``Trigger`` (FACT's trigger
type: 4 physics, 1024 pedestal (random); others, such as 2, are calibration or external
triggers; run 20170119_229 of the shared files has 86, 10 and 4 events of types 4, 1024 and 2),
``Az_deg``, ``Zd_deg``; simulations ``Run``, ``Event``, ``Reuse``, ``Az_deg``, ``Zd_deg`` (truth
is in separate CORSIKA files, not read here).

We turn an event into our columns: ``image`` = number of photons per pixel (p.e.; the stream keeps
night-sky-background photons too, no cleaning is applied) and ``peak_time`` = median (or mean)
arrival time of the pixel's photons in ns since the start of the ROI; a pixel without photons gets
``empty_time`` (0 ns by default: outside the 15..65 ns window, so it cannot be mistaken for a time,
and finite, so the extract stage's NaN policy does not drop the event)."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import numpy as np

from iactdl.camera import N_PIXELS
from iactdl.io.fact import fact_event_id
from iactdl.io.hdf5 import EventWriter, InputError

__all__ = [
    "TIME_SLICE_NS",
    "iter_photonstream",
    "read_photonstream",
    "photons_to_image",
    "photonstream_to_events",
]

TIME_SLICE_NS = 0.5  # photon_stream magic constant TIME_SLICE_DURATION_S = 0.5e-9


def photons_to_image(
    counts: np.ndarray, slices: np.ndarray, reduce: str = "median", empty_time: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Images and peak times of a batch of events from their flattened photon lists.

    Parameters
    ----------
    counts : int array (n_events, n_pixels)
        Photons per pixel; the photons of pixel ``p`` of event ``e`` are consecutive in ``slices``,
        events and pixels in row-major order.
    slices : int array (counts.sum(),)
        Arrival time slices (0.5 ns).
    reduce : "median" or "mean"
        How a pixel's arrival times become its peak time.
    empty_time : float
        Peak time (ns) of pixels without photons.

    Returns
    -------
    image : float32 (n_events, n_pixels), p.e.
    peak_time : float32 (n_events, n_pixels), ns
    """
    counts = np.asarray(counts, dtype=np.int64)
    flat = counts.ravel()
    times = np.asarray(slices, dtype=np.float64) * TIME_SLICE_NS
    peak = np.full(flat.size, empty_time, dtype=np.float64)
    hit = flat > 0
    if times.size:
        group = np.repeat(np.arange(flat.size), flat)
        if reduce == "mean":
            peak[hit] = (
                np.bincount(group, weights=times, minlength=flat.size) / np.maximum(flat, 1)
            )[hit]
        elif reduce == "median":
            # sort the times within each pixel, then average the one or two middle elements
            order = np.lexsort((times, group))
            t = times[order]
            first = np.concatenate(([0], np.cumsum(flat)[:-1]))
            lo = first + (flat - 1) // 2
            hi = first + flat // 2
            peak[hit] = 0.5 * (t[lo[hit]] + t[hi[hit]])
        else:
            raise ValueError(f"reduce must be 'median' or 'mean', got {reduce!r}")
    return counts.astype(np.float32), peak.reshape(counts.shape).astype(np.float32)


def _open_lines(path: Path):
    if not path.exists():
        raise InputError(f"{path}: file not found")
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gz else open(path)


def iter_photonstream(
    path: str | os.PathLike,
    chunk_size: int = 1000,
    reduce: str = "median",
    empty_time: float = 0.0,
) -> Iterator[dict[str, np.ndarray]]:
    """Stream a photon-stream file (``.phs.jsonl`` or ``.phs.jsonl.gz``) in chunks of events.

    Each chunk is a dict of our columns: ``event_id`` (:func:`iactdl.io.fact.fact_event_id` of
    night/run/event; run/event for simulations), ``image``, ``peak_time`` (see the module doc), and
    ``night``, ``run_id``, ``event_num`` (int64; night 0 for simulations), ``az_deg``, ``zd_deg``
    (pointing, deg), ``n_saturated`` (number of saturated pixels), ``trigger_type`` (int64,
    FACT's ``Trigger``: 4 physics, 1024 pedestal, others calibration; 0 where the file has none, as
    simulations, whose events are all showers).

    Parameters
    ----------
    path : str or os.PathLike
        The photon-stream file.
    chunk_size : int
        Events per chunk.
    reduce : {"median", "mean"}
        How a pixel's photon arrival times become its ``peak_time``.
    empty_time : float
        ``peak_time`` of a pixel without photons (ns).

    Yields
    ------
    dict of str to numpy.ndarray
        The columns of one chunk of events.

    Raises
    ------
    InputError
        File missing, not gzip/text, a line that is not JSON or lacks ``PhotonArrivals_500ps`` with
        1440 pixels of integer slices: the message names the file and the line number (from 1).
    """
    path = Path(path)
    batch_counts, batch_slices, meta = [], [], []

    def flush():
        image, peak = photons_to_image(
            np.stack(batch_counts), np.concatenate(batch_slices), reduce, empty_time
        )
        m = np.array(meta, dtype=np.float64).reshape(-1, 7)
        night, run, event = (m[:, i].astype(np.int64) for i in range(3))
        chunk = {
            "event_id": fact_event_id(run, event, night),  # night 0: run * 1e7 + event
            "image": image,
            "peak_time": peak,
            "night": night,
            "run_id": run,
            "event_num": event,
            "az_deg": m[:, 3],
            "zd_deg": m[:, 4],
            "n_saturated": m[:, 5].astype(np.int64),
            "trigger_type": m[:, 6].astype(np.int64),
        }
        batch_counts.clear()
        batch_slices.clear()
        meta.clear()
        return chunk

    try:
        with _open_lines(path) as lines:
            for number, line in enumerate(lines, start=1):
                line = line.strip().rstrip(",")
                if not line:
                    continue
                counts, slices, info = _parse_event(line, path, number)
                batch_counts.append(counts)
                batch_slices.append(slices)
                meta.append(info)
                if len(batch_counts) == chunk_size:
                    yield flush()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable photon-stream JSON-lines file ({err})") from err
    if batch_counts:
        yield flush()


def _parse_event(line: str, path: Path, number: int):
    where = f"{path}: line {number}"
    try:
        event = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(event, dict) or "PhotonArrivals_500ps" not in event:
        raise InputError(f"{where}: expected a JSON object with key 'PhotonArrivals_500ps'")
    pixels = event["PhotonArrivals_500ps"]
    if not isinstance(pixels, list) or len(pixels) != N_PIXELS:
        n = len(pixels) if isinstance(pixels, list) else type(pixels).__name__
        raise InputError(f"{where}: 'PhotonArrivals_500ps' has {n} pixels, expected {N_PIXELS}")
    try:
        counts = np.fromiter(map(len, pixels), dtype=np.int64, count=N_PIXELS)
        slices = np.fromiter(chain.from_iterable(pixels), dtype=np.int64, count=int(counts.sum()))
    except (TypeError, ValueError) as err:
        raise InputError(
            f"{where}: 'PhotonArrivals_500ps' must be 1440 lists of integer time slices ({err})"
        ) from None
    try:
        info = (
            event.get("Night", 0),
            event["Run"],
            event["Event"],
            event.get("Az_deg", np.nan),
            event.get("Zd_deg", np.nan),
            len(event.get("SaturatedPixels", ())),
            event.get("Trigger", 0),
        )
    except KeyError as err:
        raise InputError(f"{where}: missing key {err} (event identification)") from None
    return counts, slices, info


def read_photonstream(
    path: str | os.PathLike, reduce: str = "median", empty_time: float = 0.0
) -> dict[str, np.ndarray]:
    """A whole photon-stream file as one dict of columns (see :func:`iter_photonstream`).

    Parameters
    ----------
    path : str or os.PathLike
        The photon-stream file.
    reduce : {"median", "mean"}
        How a pixel's photon arrival times become its ``peak_time``.
    empty_time : float
        ``peak_time`` of a pixel without photons (ns).

    Returns
    -------
    dict of str to numpy.ndarray
        Every column, one row per event.

    Raises
    ------
    InputError
        As :func:`iter_photonstream`.
    """
    chunks = list(iter_photonstream(path, 1 << 30, reduce, empty_time))
    if not chunks:
        raise InputError(f"{path}: no events (empty photon-stream file)")
    return chunks[0]


def photonstream_to_events(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    chunk_size: int = 1000,
    reduce: str = "median",
    empty_time: float = 0.0,
) -> int:
    """Convert a photon-stream file into an event file of ours (``events`` group; atomic).

    The columns are those of :func:`iter_photonstream`; no truth. Images keep the
    night-sky-background photons (not pedestal-subtracted), unlike the simulator's.

    Parameters
    ----------
    in_path : str or os.PathLike
        The photon-stream file.
    out_path : str or os.PathLike
        The event file to write.
    chunk_size : int
        Events per chunk.
    reduce : {"median", "mean"}
        How a pixel's photon arrival times become its ``peak_time``.
    empty_time : float
        ``peak_time`` of a pixel without photons (ns).

    Returns
    -------
    int
        The number of events written.
    """
    settings = {"reduce": reduce, "empty_time": empty_time, "chunk_size": chunk_size}
    attrs = {"input_file": Path(in_path).name}
    with EventWriter(out_path, config={"photonstream": settings}, attrs=attrs) as writer:
        for chunk in iter_photonstream(in_path, chunk_size, reduce, empty_time):
            writer.append(chunk)
        if writer.n_rows == 0:
            raise InputError(f"{in_path}: no events (empty photon-stream file)")
    return writer.n_rows
