"""The paper's tables in LaTeX: one table style (booktabs rules) for every ``.tex`` table.

Every table module formats its own cells (units, uncertainties, '--' for a missing value) and
hands them to :func:`latex_table`, which frames them; the paper needs ``\\usepackage{booktabs}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["latex_table", "tex_escape"]


def tex_escape(text: str) -> str:
    """A model or column name as LaTeX text: underscores escaped."""
    return str(text).replace("_", r"\_")


def latex_table(spec: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A ``tabular`` with column ``spec`` (e.g. ``"llrr"``): the ``header`` cells, a rule, then one
    line per row (cells already LaTeX), framed by ``\\toprule`` and ``\\bottomrule``."""
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(cells) + r" \\" for cells in rows]
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)
