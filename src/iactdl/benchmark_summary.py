"""The DAG's runtime table (rule ``benchmark_summary``): one CSV row per benchmark file of its jobs.

Snakemake's benchmark TSV has one row per repeat with columns ``s`` (wall-clock seconds),
``h:m:s``, ``max_rss`` (MB), ``max_vms``, ... ; the summary keeps the rule, its wildcards (parsed
from the rule's benchmark pattern), the mean seconds and the largest max RSS over repeats.
Standard library only, so that it runs in any environment.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from pathlib import Path

from iactdl.io.atomic import atomic_path

__all__ = ["pattern_regex", "summarise_benchmarks"]

log = logging.getLogger(__name__)

FIELDS = ["rule", "wildcards", "seconds", "max_rss_mb", "file"]


def pattern_regex(pattern: str) -> re.Pattern:
    """Regex with one named group per wildcard of a Snakemake path pattern (``{name}`` or
    ``{name,regex}``).

    Parameters
    ----------
    pattern : str
        A benchmark path pattern as written in a rule, e.g.
        ``results/benchmarks/train/{model}.tsv``.

    Returns
    -------
    re.Pattern
        The pattern with the literal parts escaped and each wildcard a named group (its own
        regex, else the shortest match ``.+?``), anchored at the end (use ``search``).
    """
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)(?:,([^{}]+))?\}", pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(f"(?P<{m[1]}>{m[2] or '.+?'})")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out) + "$")


def _read_tsv(path: Path) -> tuple[float, float]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or "s" not in rows[0] or "max_rss" not in rows[0]:
        raise ValueError(f"{path}: not a Snakemake benchmark file (need columns 's', 'max_rss')")
    seconds = sum(float(r["s"]) for r in rows) / len(rows)
    rss = [float(r["max_rss"]) for r in rows if r["max_rss"] not in ("", "NA", "-")]
    return seconds, max(rss, default=float("nan"))


def summarise_benchmarks(
    patterns: dict[str, str], root: str | os.PathLike, output: str | os.PathLike
) -> int:
    """Write the summary CSV of every benchmark file under ``root`` that matches a rule's pattern.

    Parameters
    ----------
    patterns : dict of str to str
        Rule name -> benchmark path pattern (as written in the rule).
    root : str or os.PathLike
        Folder holding the benchmark files (results/benchmarks), searched for ``*.tsv``.
    output : str or os.PathLike
        CSV to write (whole or not at all: :func:`iactdl.io.atomic.atomic_path`), columns
        ``rule``, ``wildcards``, ``seconds`` (mean over repeats, s), ``max_rss_mb`` (largest
        over repeats, MB), ``file``.

    Returns
    -------
    int
        Number of rows written. Files under ``root`` that match no pattern are logged and skipped.

    Raises
    ------
    ValueError
        A matching file without the columns ``s`` and ``max_rss``.
    """
    regexes = {rule: pattern_regex(p) for rule, p in patterns.items()}
    rows = []
    for path in sorted(Path(root).rglob("*.tsv")):
        posix = path.as_posix()
        for rule, rx in regexes.items():
            m = rx.search(posix)
            if m:
                seconds, rss = _read_tsv(path)
                wildcards = ",".join(f"{k}={v}" for k, v in m.groupdict().items())
                rows.append([rule, wildcards, f"{seconds:.3f}", f"{rss:.1f}", posix])
                break
        else:
            log.warning("%s matches no rule's benchmark pattern; skipped", posix)
    rows.sort()
    out = Path(output)
    with atomic_path(out) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    log.info("%d benchmark files summarised into %s", len(rows), out)
    return len(rows)
