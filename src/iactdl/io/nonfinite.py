"""NaN and inf in input columns, counted per file and column, chunk by chunk, for the stages'
logs: what each stage then does with them (drop the rows, stop, keep them as missing values) is
its policy, said in the same log line."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["NonfiniteTally"]


class NonfiniteTally:
    """NaN values, infinite values and rows with either, per column of one file."""

    def __init__(self) -> None:
        self.nan: Counter = Counter()
        self.inf: Counter = Counter()
        self.rows: Counter = Counter()
        self.columns: set[str] = set()

    def add(self, chunk: Mapping[str, np.ndarray], columns=None) -> None:
        """Count a chunk's float columns; 2-D columns per value and per row.

        Parameters
        ----------
        chunk : Mapping of str to numpy.ndarray
            The chunk's columns.
        columns : iterable of str, optional
            The columns to count; default: all (non-float ones count nothing).
        """
        for name in chunk if columns is None else columns:
            values = np.asarray(chunk[name])
            self.columns.add(name)
            if values.dtype.kind not in "fc" or values.size == 0:
                continue  # integers and bools are always finite
            finite = np.isfinite(values)
            if finite.all():
                continue  # the usual case: one pass
            nan = int(np.count_nonzero(np.isnan(values)))
            self.nan[name] += nan
            self.inf[name] += int(finite.size - np.count_nonzero(finite)) - nan
            self.rows[name] += int(np.count_nonzero(~finite.reshape(len(values), -1).all(axis=1)))

    def by_column(self) -> dict[str, dict[str, int]]:
        """The counts of the columns with any NaN or infinite value.

        Returns
        -------
        dict of str to dict
            ``{column: {"nan": values, "inf": values, "rows": rows}}``.
        """
        return {
            name: {"nan": self.nan[name], "inf": self.inf[name], "rows": self.rows[name]}
            for name in sorted(self.rows)
        }

    def describe(self, policy: Callable[[str], str]) -> str:
        """One line: per column its counts and what the stage did with them.

        Parameters
        ----------
        policy : callable
            ``policy(column) -> str``: what the stage did with the column's non-finite rows.

        Returns
        -------
        str
            The line (empty if no column has any).
        """
        parts = []
        for name, c in self.by_column().items():
            what = " and ".join(
                f"{c[k]} {label}" for k, label in (("nan", "NaN"), ("inf", "inf")) if c[k]
            )
            parts.append(f"'{name}' {what} in {c['rows']} rows ({policy(name)})")
        return "; ".join(parts)

    def log(
        self, log: logging.Logger, path, policy: Callable[[str], str], warn: bool = True
    ) -> None:
        """Log the counts of file ``path``.

        One line naming each column and the policy applied, or one info line that it has none.

        Parameters
        ----------
        log : logging.Logger
            Where to log.
        path : str or os.PathLike
            The file counted, named in the line.
        policy : callable
            ``policy(column) -> str``: what the stage did with the column's non-finite rows.
        warn : bool
            Log at warning level (rows were dropped or flagged), else at info level.
        """
        if self.rows:
            level = logging.WARNING if warn else logging.INFO
            log.log(level, "%s: NaN/inf per column: %s", path, self.describe(policy))
        else:
            log.info("%s: no NaN or inf in its %d columns", path, len(self.columns))
