"""The paper's tables in LaTeX: one table style (booktabs rules) for every ``.tex`` table.

Every table module formats its own cells (units, uncertainties, '--' for a missing value) and
hands them to :func:`latex_table`, which frames them; the paper needs ``\\usepackage{booktabs}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["latex_table", "tex_escape"]


def tex_escape(text: str) -> str:
    """A model or column name as LaTeX text: underscores escaped.

    Parameters
    ----------
    text : str
        The name (any object: ``str()`` of it); only ``_`` is escaped, so other TeX specials
        must not occur in it.

    Returns
    -------
    str
        ``text`` with each ``_`` as ``\\_``.
    """
    return str(text).replace("_", r"\_")


def latex_table(spec: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A ``tabular`` with column ``spec`` (e.g. ``"llrr"``): the ``header`` cells, a rule, then one
    line per row (cells already LaTeX), framed by ``\\toprule`` and ``\\bottomrule``.

    Parameters
    ----------
    spec : str
        The ``tabular`` column specification, one letter per column.
    header : sequence of str
        The header cells (LaTeX).
    rows : iterable of sequence of str
        The body, one sequence of cells (LaTeX) per line.

    Returns
    -------
    str
        The ``tabular`` environment, ending with a newline; it needs ``\\usepackage{booktabs}``.
    """
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(cells) + r" \\" for cells in rows]
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)
