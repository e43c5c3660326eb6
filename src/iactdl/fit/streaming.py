"""Training sets streamed from disk: chunks of an HDF5 dataset through a prefetching reader.

A resident training set (:func:`iactdl.fit.train.load_split`) holds every event as float32
tensors: grid images are ~16.5 kB an event, so FACT's ~2M events with images would need over
30 GB. A :class:`StreamedSplit` holds a shuffle buffer instead: memory stays flat in the events.

Shuffling, per epoch and deterministic in the epoch's seed (the engine's ``rule_seed(seed, "epoch",
e)``, so a resumed run sees the same batches): the file's rows are cut into blocks of
``chunk_rows`` consecutive rows (a block is read as one contiguous slice: HDF5 decompresses whole
storage chunks, so random rows would cost a decompression each); the order of the blocks is a
permutation; ``buffer_chunks`` blocks at a time are pooled and their events permuted, and the
events left over after the last full batch of a pool join the next pool. An event's neighbours in
a batch thus come from ``buffer_chunks`` blocks drawn at random from the whole file, not from its
own block alone, which is what removes the files' order (simulation runs, gammas before protons)
from the gradient; the engine's resident path (one permutation of all events) is the limit of a
pool holding every block. The number of batches per epoch is the resident path's (``n //
batch_size``): the learning-rate schedule is the same.

Prefetching: a background thread reads and decodes the next pool while the net trains on the
current one (torch releases the GIL in its kernels), and the engine starts the next epoch's first
pool before it validates (:meth:`StreamedSplit.prepare`), so reading costs wall time where it
is slower than training or competes for the cores. At most two pools (and the carry) are in memory.

Validation: a streamed net's validation set is a :class:`StreamedSplit` too, read in file order
(:meth:`StreamedSplit.chunks`: every event once, no shuffle, nothing dropped) at every validation;
the engine gathers the outputs and targets alone, so memory stays flat in the validation events
as well, and the loss and AUC are the resident set's.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch

from iactdl.io import InputError, column_names, open_events, read_columns
from iactdl.io.hdf5 import GROUP
from iactdl.models.nets import net_inputs
from iactdl.models.nets.direction import direction_columns, direction_targets

__all__ = ["StreamedSplit", "split_tensors", "CHUNK_ROWS", "BUFFER_CHUNKS", "SCALING_EVENTS"]

# rows per block read at once, rounded up to whole HDF5 storage chunks of the widest column
# (EventWriter caps a chunk at 4 MB: 253 grid images), so no chunk is decompressed twice; small
# enough that the first pool of an epoch, which nothing overlaps, is read in about a second
CHUNK_ROWS = 1024
# blocks pooled and shuffled together: 8 x ~1024 = ~8k events (135 MB of float32 grid images)
BUFFER_CHUNKS = 8
# events (whole blocks drawn at random) the net's input scaling is fitted on: means and widths of
# charges and times, which 16k events pin to well under a percent
SCALING_EVENTS = 16384
# the targets split_tensors turns into the loss's (is_gamma, log10_energy, energy_weight)
_TARGETS = ("is_gamma", "true_energy")


def split_tensors(
    data: Mapping[str, np.ndarray], kind: str, features, task: str, path, direction=None
) -> dict[str, torch.Tensor]:
    """A net's inputs and targets (``is_gamma``, ``log10_energy``, ``energy_weight``) from a
    dataset's columns (those of :func:`iactdl.models.nets.input_columns`, ``is_gamma`` and
    ``true_energy``); the energy task keeps gammas only. With a ``direction`` head (``source``,
    ``disp``) also its targets and ``direction_weight``
    (:func:`iactdl.models.nets.direction.direction_targets`, from the columns of
    :func:`~iactdl.models.nets.direction.direction_columns`); the direction task keeps the
    labelled rows only. Raises :class:`InputError` naming ``path`` if no event is left.

    Parameters
    ----------
    data : Mapping of str to numpy.ndarray
        Columns of n_events rows: the net's input columns, ``is_gamma`` (0/1) and
        ``true_energy`` (TeV).
    kind : str
        The net's input kind: ``"features"``, ``"grid"`` or ``"set"``
        (:func:`iactdl.models.nets.net_inputs`).
    features : sequence of str
        The feature columns, in the net's order (``kind`` ``"features"``; else ignored).
    task : str
        ``"separation"`` (every event), ``"energy"`` (gammas only) or ``"direction"`` (the
        rows with a direction label only).
    path : str or os.PathLike
        The dataset file, named in the error.
    direction : str, optional
        The direction head, ``"source"`` or ``"disp"``; None (default) without one.

    Returns
    -------
    dict of str to torch.Tensor
        On the CPU, one row per event kept: the net's named inputs (float32), ``is_gamma``
        (float32 0/1), ``log10_energy`` (float32, log10 of the true energy in TeV; 0 where not
        valid), ``energy_weight`` (float32, 1 for gammas with a finite positive energy, else
        0) and, with a direction head, its targets and ``direction_weight``.

    Raises
    ------
    iactdl.io.InputError
        If no event is left, or an input column is missing or malformed.
    """
    is_gamma = np.asarray(data["is_gamma"]).astype(bool)
    targets = direction_targets(data, direction, path) if direction else {}
    keep = None
    if task == "energy":
        keep = is_gamma
    elif task == "direction":
        if not direction:
            raise ValueError("task 'direction' needs a direction head (source or disp)")
        keep = targets["direction_weight"] > 0
    if keep is not None:
        data = {k: v[keep] for k, v in data.items()}
        targets = {k: v[keep] for k, v in targets.items()}
        is_gamma = is_gamma[keep]
    if len(is_gamma) == 0:
        raise InputError(f"{path}: no events for task {task!r}")
    energy = np.asarray(data["true_energy"], dtype=np.float64)
    valid_e = is_gamma & np.isfinite(energy) & (energy > 0)
    out = net_inputs(data, kind, features)
    out["is_gamma"] = torch.from_numpy(is_gamma.astype(np.float32))
    out["log10_energy"] = torch.from_numpy(
        np.where(valid_e, np.log10(np.where(valid_e, energy, 1.0)), 0.0).astype(np.float32)
    )
    out["energy_weight"] = torch.from_numpy(valid_e.astype(np.float32))
    out.update({k: torch.from_numpy(v) for k, v in targets.items()})
    return out


class StreamedSplit:
    """The training events of ``path`` for a net of input ``kind``, read in shuffled pools.

    ``rows``: sorted rows of the file to use (``max_train_events``), default all. Only what the
    engine needs: ``n`` (events), :meth:`batches` (one epoch), :meth:`sample` (for the input
    scaling), :meth:`fingerprint` (the checkpoint's identity of the data) and, for a streamed
    validation set, :meth:`chunks` (every event once, in file order) and :meth:`take` (a few
    events resident).

    The targets are the file's ``is_gamma`` and ``true_energy`` unless ``targets`` gives them (the
    engine's ``labels`` hook, e.g. stage 6's ON/OFF labels with their ``keep``, or the oracle's
    hidden truth), held in memory one value per row, as are the per-event weights a stage's
    ``prepare`` hook sets (``split["sample_weight"] = w``, read back with ``split["is_gamma"]``):
    a few bytes an event, against ~16.5 kB an event of grid images. ``labelled=False`` streams the
    net's inputs alone (DANN's unlabelled ``observed_train``, :mod:`iactdl.adapt.dann`).

    Parameters
    ----------
    path : str or os.PathLike
        An HDF5 dataset (``results/datasets/{split}.h5``).
    columns : sequence of str
        The net's input columns (:func:`iactdl.models.nets.input_columns`); ``is_gamma`` and
        ``true_energy`` are added.
    kind : str
        The net's input kind: ``"features"``, ``"grid"`` or ``"set"``.
    features : sequence of str, optional
        The feature columns, in the net's order (kind ``"features"``); default none.
    task : str, optional
        ``"separation"`` (default; both classes needed) or ``"energy"`` (gammas only).
    rows : numpy.ndarray, optional
        Sorted row indices of the file to use; default every row.
    chunk_rows : int, optional
        Rows per block read as one slice, rounded up to whole HDF5 storage chunks of the widest
        column; default :data:`CHUNK_ROWS`.
    buffer_chunks : int, optional
        Blocks pooled and shuffled together; default :data:`BUFFER_CHUNKS`.
    direction : str, optional
        The net's direction head (``"source"`` or ``"disp"``), whose targets are read with the
        inputs (:func:`split_tensors`); default None, none.
    targets : mapping of str to numpy.ndarray, optional
        ``is_gamma`` and ``true_energy`` of the kept rows (and a boolean ``keep`` per row of the
        file) instead of the file's own columns: the engine's ``labels`` hook or the oracle's
        truth; default None, the file's.
    labelled : bool, optional
        False streams the inputs alone (no targets); default True.

    Raises
    ------
    ValueError
        If ``chunk_rows`` or ``buffer_chunks`` is < 1, ``targets`` of another length than the
        rows they label, or ``targets`` with ``labelled=False``.
    iactdl.io.InputError
        If a column is missing, no event is left for the task, or a separation set has one class
        only.
    """

    def __init__(
        self,
        path,
        columns: Sequence[str],
        kind: str,
        features=(),
        task: str = "separation",
        rows: np.ndarray | None = None,
        chunk_rows: int = CHUNK_ROWS,
        buffer_chunks: int = BUFFER_CHUNKS,
        direction: str | None = None,
        targets: Mapping[str, np.ndarray] | None = None,
        labelled: bool = True,
    ):
        if chunk_rows < 1 or buffer_chunks < 1:
            raise ValueError(f"chunk_rows {chunk_rows}, buffer_chunks {buffer_chunks}: need >= 1")
        if targets is not None and not labelled:
            raise ValueError("StreamedSplit: targets are for a labelled split")
        self.path, self.kind, self.task = path, kind, task
        self.features = list(features)
        self.direction = direction
        self.labelled = bool(labelled)
        # targets from the file's own columns unless given (a stage's labels, the oracle's truth)
        own = ["is_gamma", "true_energy"] if labelled and targets is None else []
        # `sample` limits the labels to the diffuse gammas where a file has it (ours, not FACT's)
        extra = direction_columns(direction, training=True) if direction and labelled else []
        extra = [c for c in extra if c != "sample" or c in column_names(path)]
        self.columns = list(dict.fromkeys([*columns, *own, *extra]))
        self.buffer_chunks = int(buffer_chunks)
        with open_events(path, required=self.columns) as f:
            total = f[GROUP][self.columns[0]].shape[0]
            storage = max((f[GROUP][c].chunks or (1,))[0] for c in self.columns)
        self.chunk_rows = -(-int(chunk_rows) // storage) * storage
        keep = np.zeros(total, dtype=bool)
        keep[np.arange(total) if rows is None else np.asarray(rows)] = True
        # per-event columns held in memory, one value per row of the file (a few bytes an
        # event: flat enough beside the images): given targets, weights set by a stage (__setitem__)
        self._held: dict[str, np.ndarray] = {}
        if targets is not None:
            keep &= self._hold_targets(targets, total)
        self._total = total
        if not labelled:  # the unlabelled events of a target domain (DANN's observed_train)
            self._finish(keep)
            return
        # the one column read whole (1 byte an event) unless held: the energy task keeps gammas,
        # separation needs both classes
        if "is_gamma" in self._held:
            is_gamma = self._held["is_gamma"].astype(bool)
        else:
            is_gamma = np.asarray(read_columns(path, ["is_gamma"])["is_gamma"]).astype(bool)
        self._is_gamma = is_gamma
        if task == "energy":
            keep &= is_gamma
        elif task == "direction":
            raise ValueError(
                f"{path}: the direction task trains on the diffuse gammas alone, a small set: "
                "train it resident (stream: false)"
            )
        elif task == "separation" and (is_gamma[keep].all() or not is_gamma[keep].any()):
            raise InputError(
                f"{path}: only one class in is_gamma; separation needs gammas and hadrons"
            )
        self._finish(keep)

    def _hold_targets(self, targets: Mapping[str, np.ndarray], total: int) -> np.ndarray:
        """Hold ``targets`` (``is_gamma``, ``true_energy``; with ``keep``, a boolean per row of the
        file, the values of the kept rows alone, as the engine's ``labels`` hook gives them) one
        value per row of the file; return the rows that have targets."""
        targets = dict(targets)
        keep = np.asarray(targets.pop("keep", np.ones(total, dtype=bool)), dtype=bool)
        if keep.shape != (total,):
            raise ValueError(f"{self.path}: targets' keep has {keep.shape}, the file {total} rows")
        for name in ("is_gamma", "true_energy"):
            values = np.asarray(targets[name])
            if values.shape != (int(keep.sum()),):
                raise ValueError(
                    f"{self.path}: target {name!r} has {values.shape[0]} values for "
                    f"{int(keep.sum())} rows"
                )
            full = np.zeros(total, dtype=np.float32 if name == "is_gamma" else np.float64)
            full[keep] = values
            self._held[name] = full
        return keep

    def _finish(self, keep: np.ndarray) -> None:
        total, path = self._total, self.path
        self._keep = keep
        starts = np.arange(0, total, self.chunk_rows)
        counts = np.add.reduceat(keep, starts) if total else np.zeros(0, int)
        self._blocks = [(int(s), min(int(s) + self.chunk_rows, total)) for s in starts]
        self._counts = counts.astype(np.int64)
        self.n = int(keep.sum())
        self._reader: _Prefetcher | None = None
        if self.n == 0:
            raise InputError(f"{path}: no events for task {self.task!r}")

    def __getitem__(self, name: str) -> torch.Tensor:
        """A per-event column held in memory (targets, weights set by a stage), one value per event
        of the split in the order of the file: what a stage's ``prepare`` hook reads (IW-DANN's
        class prior from ``is_gamma``). The nets' inputs are not held: a ``KeyError`` names them."""
        if name == "is_gamma" and self.labelled and name not in self._held:
            return torch.from_numpy(self._is_gamma[self._keep].astype(np.float32))
        if name not in self._held:
            raise KeyError(
                f"{name!r}: a streamed split holds only per-event targets and weights "
                f"({sorted({'is_gamma', *self._held})}); its inputs are read from {self.path}"
            )
        return torch.from_numpy(self._held[name][self._keep])

    def __setitem__(self, name: str, values) -> None:
        """Hold a per-event column (``sample_weight``, ``domain_weight``: a stage's ``prepare``
        hook) given one value per event of the split, in the order of the file; every batch
        carries it from then on."""
        values = np.asarray(values.numpy() if isinstance(values, torch.Tensor) else values)
        if values.shape != (self.n,):
            raise ValueError(
                f"{name!r}: {values.shape} values for the {self.n} events of {self.path}"
            )
        full = np.zeros(self._total, dtype=values.dtype)
        full[self._keep] = values
        self._held[name] = full

    def _read(self, blocks: Sequence[int]) -> dict[str, torch.Tensor]:
        """The tensors of ``blocks`` (indices into the block list), concatenated in that order."""
        parts = []
        for b in blocks:
            start, stop = self._blocks[b]
            keep = self._keep[start:stop]
            if not keep.any():
                continue
            cols = read_columns(self.path, self.columns, start, stop)
            cols.update({k: v[start:stop] for k, v in self._held.items()})
            if not keep.all():
                cols = {k: v[keep] for k, v in cols.items()}
            parts.append(self._tensors(cols))
        if not parts:
            return {}
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

    def _tensors(self, cols: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
        """The tensors of the kept rows' columns (the file's and the held ones)."""
        if not self.labelled:
            return net_inputs(cols, self.kind, self.features)
        part = split_tensors(cols, self.kind, self.features, self.task, self.path, self.direction)
        part.update(
            {k: torch.from_numpy(np.asarray(cols[k])) for k in self._held if k not in _TARGETS}
        )
        return part

    def chunks(self, device: torch.device | str = "cpu") -> Iterator[dict[str, torch.Tensor]]:
        """Every event of the split once, in the order of the file, ``buffer_chunks`` blocks at
        a time, read ahead by one pool: what the engine validates on (no shuffle, no batch
        dropped), so a validation set need not fit in memory either.

        Parameters
        ----------
        device : torch.device or str, optional
            Where the chunks are put; default ``"cpu"``.

        Yields
        ------
        dict of str to torch.Tensor
            As :func:`split_tensors` (with the held weights), one row per event of the pool.
        """
        used = np.flatnonzero(self._counts).tolist()
        step = self.buffer_chunks
        reader = _Prefetcher(self._read(used[i : i + step]) for i in range(0, len(used), step))
        try:
            for pool in reader:
                if pool:
                    yield {k: v.to(device, non_blocking=True) for k, v in pool.items()}
        finally:
            reader.close()

    def take(self, index) -> dict[str, torch.Tensor]:
        """Some events of the split, resident: a small sample (the domain probe's).

        Parameters
        ----------
        index : array_like of int
            Sorted positions among the split's ``n`` events (in the order of the file).

        Returns
        -------
        dict of str to torch.Tensor
            As :func:`split_tensors` (with the held weights), one row per position, on the CPU.
        """
        rows = np.flatnonzero(self._keep)[np.asarray(index, dtype=np.int64)]
        cols = read_columns(self.path, self.columns, index=rows)
        cols.update({k: v[rows] for k, v in self._held.items()})
        return self._tensors(cols)

    def sample(self, seed: int, n_events: int = SCALING_EVENTS) -> dict[str, torch.Tensor]:
        """Whole blocks drawn at random (seeded) until ``n_events`` events: what the input scaling
        is fitted on.

        Parameters
        ----------
        seed : int
            Seed of the draw of blocks (the fit's seed).
        n_events : int, optional
            Events wanted; whole blocks are drawn until they hold at least that many (or all
            blocks). Default :data:`SCALING_EVENTS`.

        Returns
        -------
        dict of str to torch.Tensor
            As :func:`split_tensors`, the blocks' events in file order (CPU).
        """
        order = np.random.default_rng(seed).permutation(np.flatnonzero(self._counts))
        need = np.searchsorted(np.cumsum(self._counts[order]), n_events) + 1
        return self._read(sorted(order[:need].tolist()))

    def fingerprint(self) -> list:
        """What the checkpoint's identity records of the data: the file's name, size and rows
        (not a content sum, which would read the whole file), the labels held and the direction
        head.

        Returns
        -------
        list
            ``["streamed", path, n, sha1 of the row mask and the held columns, chunk_rows,
            buffer_chunks, labelled]``, then the direction head where there is one.
        """
        digest = hashlib.sha1(np.packbits(self._keep).tobytes())
        for name in sorted(self._held):  # targets and weights held: a stage's labels
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self._held[name]).tobytes())
        out = [
            "streamed", str(self.path), self.n, digest.hexdigest(), self.chunk_rows,
            self.buffer_chunks, self.labelled,
        ]  # fmt: skip
        return [*out, self.direction] if self.direction else out

    def _pools(self, epoch_seed: int) -> Iterator[dict[str, torch.Tensor]]:
        # blocks with events to use (rows or the energy task may leave some empty), in an order
        # drawn from the epoch's seed
        used = np.flatnonzero(self._counts)
        order = used[torch.randperm(len(used), generator=_gen(epoch_seed, 0)).numpy()].tolist()
        for i in range(0, len(order), self.buffer_chunks):
            yield self._read(order[i : i + self.buffer_chunks])

    def prepare(self, epoch_seed: int) -> None:
        """Start reading the first pool of the epoch of ``epoch_seed`` now (the engine calls it
        before validating the epoch before), so no epoch waits for its first read.

        Parameters
        ----------
        epoch_seed : int
            The epoch's seed; a reader already started for it is kept, another one is closed.
        """
        if self._reader is None or self._reader.key != epoch_seed:
            self.close()
            self._reader = _Prefetcher(self._pools(epoch_seed), key=epoch_seed)

    def close(self) -> None:
        """Stop a reader started by :meth:`prepare` (a run that ends or fails)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def batches(
        self, epoch_seed: int, batch_size: int, device: torch.device | str = "cpu"
    ) -> Iterator[dict[str, torch.Tensor]]:
        """The ``n // batch_size`` training batches of one epoch, read ahead by one pool.

        Parameters
        ----------
        epoch_seed : int
            The epoch's seed: it decides the order of the blocks and each pool's permutation, so
            the batches are a function of it alone.
        batch_size : int
            Events per batch.
        device : torch.device or str, optional
            Where the batches are put; default ``"cpu"``.

        Yields
        ------
        dict of str to torch.Tensor
            A batch: the tensors of :func:`split_tensors`, ``batch_size`` events each, on
            ``device``.
        """
        self.prepare(epoch_seed)
        reader, self._reader = self._reader, None
        carry: dict[str, torch.Tensor] = {}
        made, wanted = 0, self.n // batch_size
        try:
            for p, pool in enumerate(reader):
                if not pool:
                    continue
                if carry:
                    pool = {k: torch.cat([carry[k], v]) for k, v in pool.items()}
                pool = {k: v.to(device, non_blocking=True) for k, v in pool.items()}
                m = len(next(iter(pool.values())))
                perm = torch.randperm(m, generator=_gen(epoch_seed, p + 1)).to(device)
                full = m // batch_size
                for b in range(min(full, wanted - made)):
                    idx = perm[b * batch_size : (b + 1) * batch_size]
                    yield {k: v[idx] for k, v in pool.items()}
                made += min(full, wanted - made)
                rest = perm[full * batch_size :]
                carry = {k: v[rest].cpu() for k, v in pool.items()}
        finally:
            reader.close()
        assert made == wanted, f"streamed {made} batches, expected {wanted}"


def _gen(epoch_seed: int, stream: int) -> torch.Generator:
    # one generator per (epoch, purpose): the block order and each pool's permutation
    return torch.Generator().manual_seed((int(epoch_seed) * 1_000_003 + stream) % 2**63)


class _Prefetcher:
    """Iterates ``items`` produced by a background thread, ``depth`` ahead; started at once. An
    error of the producer is raised in the consumer."""

    _done = object()

    def __init__(self, items: Iterator, key=None, depth: int = 1):
        self.key = key
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(items,), name="iactdl-prefetch", daemon=True
        )
        self._thread.start()

    def _work(self, items: Iterator) -> None:
        try:
            for item in items:
                if self._stop.is_set():
                    return
                self._q.put(item)
            self._q.put(self._done)
        except BaseException as err:  # handed to the consumer, raised there with its traceback
            self._q.put(err)

    def __iter__(self) -> Iterator:
        while True:
            item = self._q.get()
            if item is self._done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                self._q.get(timeout=0.1)
            except queue.Empty:
                pass
