"""How far a long job is, as plain log lines with totals (rule logs are files, not terminals).

A rule's log is a file (:func:`iactdl.rule_log.rule_logging`): a progress bar's carriage returns
pile up in it as one unreadable line, and a line per chunk without the total does not say how far
the job is. :class:`Progress` logs lines such as::

    observed: streamed 200000 / 1000000 events (20 %), 35 s, about 140 s left

at every tenth of the total (``every_fraction``), at least every ``every_s`` seconds while work
is done, and always when the total is reached, through the module's ``logging`` logger (so they
land in the rule's log with the rest).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["Progress"]


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


class Progress:
    """Log ``done / total`` of a job now and then; call :meth:`update` after each piece of work.

    Parameters
    ----------
    total : int
        The amount of work (events, batches); 0 logs once, at the first update.
    logger : logging.Logger
        Where the lines go (the calling module's logger).
    what : str
        The job, the lines' prefix (``observed``, a file name); empty: no prefix.
    verb, unit : str
        The words around the counts: ``{verb} {done} / {total} {unit}`` (default ``done`` ...
        ``events``).
    every_fraction : float or None
        Log when another such fraction of the total is done (default 0.1; None: by time only).
    every_s : float
        Log at least this often while updates come, s (default 60).
    clock : callable
        Returns the time in s (default ``time.monotonic``); a test passes its own.
    """

    def __init__(
        self,
        total: int,
        logger: logging.Logger,
        what: str = "",
        verb: str = "done",
        unit: str = "events",
        every_fraction: float | None = 0.1,
        every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(0, int(total))
        self.logger = logger
        self.prefix = f"{what}: " if what else ""
        self.verb, self.unit = verb, unit
        self.every_fraction, self.every_s = every_fraction, float(every_s)
        self.clock = clock
        self.start = self.last = clock()
        self.next_step = 1
        self.finished = False

    def line(self, done: int, extra: str = "") -> str:
        """The progress line for ``done`` (without logging it).

        Parameters
        ----------
        done : int
            Work done so far, in the unit of ``total``.
        extra : str
            Appended after ``"; "`` (empty: nothing).

        Returns
        -------
        str
            ``"{what}: {verb} {done} / {total} {unit} ({percent} %), {elapsed} s"``, plus the time
            left, ``elapsed * (total - done) / done``, while ``0 < done < total``.
        """
        elapsed = self.clock() - self.start
        pct = 100.0 * done / self.total if self.total else 100.0
        text = f"{self.prefix}{self.verb} {done} / {self.total} {self.unit} ({pct:.0f} %), "
        text += _seconds(elapsed)
        if 0 < done < self.total:
            text += f", about {_seconds(elapsed * (self.total - done) / done)} left"
        return text + (f"; {extra}" if extra else "")

    def update(self, done: int, extra: str = "") -> bool:
        """Record that ``done`` of the total are done; log a line if one is due. ``extra`` (e.g.
        counts so far) is appended to the line. Returns whether a line was logged.

        A line is due at every ``every_fraction`` of the total, after ``every_s`` without one,
        and the first time ``done`` reaches the total.

        Parameters
        ----------
        done : int
            Work done so far (cumulative), in the unit of ``total``.
        extra : str
            Appended to the line (empty: nothing).

        Returns
        -------
        bool
            True if a line was logged (at INFO level).
        """
        now = self.clock()
        due = done >= self.total and not self.finished
        if self.every_fraction and self.total:
            step = int(done / (self.total * self.every_fraction))
            if step >= self.next_step:
                self.next_step = step + 1
                due = True
        if now - self.last >= self.every_s:
            due = True
        if not due:
            return False
        self.finished = self.finished or done >= self.total
        self.last = now
        self.logger.info("%s", self.line(done, extra))
        return True
