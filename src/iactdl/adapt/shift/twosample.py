"""Two-sample statistics per input: which column carries the shift between two samples.

For every column, on its finite values: the Kolmogorov-Smirnov statistic (the largest distance
between the two empirical CDFs, in [0, 1], scale-free, so columns rank against each other) with its
p-value, and the first Wasserstein (earth mover's) distance, in the column's unit and divided by the
source sample's standard deviation (``wasserstein_std``: how far, in source widths, the mass has to
move). Both from scipy.stats. With tens of thousands of events every p-value is tiny; the
statistics, not the p-values, say how large a shift is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["two_sample_statistics", "two_sample_table"]

log = logging.getLogger(__name__)


def two_sample_statistics(source, target) -> dict[str, float]:
    """KS statistic and p-value, Wasserstein distance (raw and in source std) of two 1-D samples.

    NaN and infinities are dropped (their fractions are reported); an empty side gives NaNs.

    Parameters
    ----------
    source, target : array_like
        The two samples.

    Returns
    -------
    dict of str to float
        ``ks``, ``ks_pvalue``, ``wasserstein``, ``wasserstein_std``, ``mean_source``,
        ``mean_target``, the sizes ``n_source``, ``n_target`` and the non-finite fractions
        ``nonfinite_source``, ``nonfinite_target``.
    """
    source = np.asarray(source, dtype=np.float64).ravel()
    target = np.asarray(target, dtype=np.float64).ravel()
    fs, ft = np.isfinite(source), np.isfinite(target)
    out = {
        "n_source": int(fs.sum()),
        "n_target": int(ft.sum()),
        "nonfinite_source": float(1.0 - fs.mean()) if source.size else float("nan"),
        "nonfinite_target": float(1.0 - ft.mean()) if target.size else float("nan"),
    }
    s, t = source[fs], target[ft]
    if s.size == 0 or t.size == 0:
        nan = float("nan")
        return {
            **out,
            "ks": nan,
            "ks_pvalue": nan,
            "wasserstein": nan,
            "wasserstein_std": nan,
            "mean_source": nan,
            "mean_target": nan,
        }
    ks = stats.ks_2samp(s, t)
    w = float(stats.wasserstein_distance(s, t))
    scale = float(s.std())
    return {
        **out,
        "ks": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "wasserstein": w,
        "wasserstein_std": w / scale if scale > 0 else (0.0 if w == 0 else float("inf")),
        "mean_source": float(s.mean()),
        "mean_target": float(t.mean()),
    }


def two_sample_table(
    source: Mapping[str, np.ndarray], target: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """One row per column both mappings have, ranked by the KS statistic, largest shift first.

    Parameters
    ----------
    source, target : Mapping of str to numpy.ndarray
        The two samples' values per column.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``rank`` (1: the largest KS statistic) and the statistics of
        :func:`two_sample_statistics`.

    Raises
    ------
    ValueError
        The mappings have no column in common.
    """
    names = [c for c in source if c in target]
    if not names:
        raise ValueError(
            f"two_sample_table: no common column (source {sorted(source)}, target {sorted(target)})"
        )
    rows = [{"input": c, **two_sample_statistics(source[c], target[c])} for c in names]
    table = pd.DataFrame(rows).sort_values("ks", ascending=False, na_position="last")
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)
