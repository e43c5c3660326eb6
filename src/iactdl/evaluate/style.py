"""The one figure style of the paper: sizes for one or two columns, fonts readable in print,
colour-blind-safe colours, and helpers for measured uncertainties.

Every figure function of the package starts from :func:`subplots` (or calls :func:`apply` before
its own ``plt.subplots``), so all figures share fonts, line widths and the colour cycle, and come
out at the width of a journal column: the PDF drops into a paper at 100 % scale and its text
stays at 7-8 pt. Colours are the Okabe & Ito (2008) palette, distinguishable with the common forms
of colour blindness and in grey-scale print with the line styles of :data:`LINESTYLES`.
:func:`save_figure` writes the PDF for the paper and the PNG to look at, each atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; no display on cluster nodes
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import cycler  # noqa: E402

from iactdl.io import atomic_paths  # noqa: E402

__all__ = [
    "ONE_COLUMN",
    "TWO_COLUMN",
    "PALETTE",
    "LINESTYLES",
    "MARKERS",
    "RC",
    "apply",
    "figsize",
    "subplots",
    "subfigure_grid",
    "colour",
    "band",
    "save_figure",
]

# widths in inches of a one-column and a two-column (full page) figure in A&A / PRD / JINST
ONE_COLUMN = 3.5
TWO_COLUMN = 7.1

# Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, reddish purple,
# orange, sky blue, yellow, black. Black last: it is the colour of references (diagonals, y = 0).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
# redundant with colour, so curves stay apart in grey-scale print
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RC = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "axes.grid.which": "major",
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "legend.frameon": False,
    # the 8 colours solid, then dashed, then dotted: more than 8 curves (the ROC of every model)
    # stay apart instead of repeating colours
    "axes.prop_cycle": cycler(linestyle=["-", "--", ":"]) * cycler(color=PALETTE),
    "image.cmap": "viridis",  # perceptually uniform and colour-blind-safe
    "figure.dpi": 150,
    "savefig.dpi": 200,  # PNG: sharp on screen; PDF stays vector
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,  # TrueType: text in the PDF stays editable and searchable
}


def apply() -> None:
    """Set the paper's rcParams (idempotent)."""
    plt.rcParams.update(RC)


def figsize(columns: int = 1, aspect: float = 0.75, rows: int = 1) -> tuple[float, float]:
    """(width, height) in inches: one or two columns wide, ``aspect`` = height / width per row.

    Parameters
    ----------
    columns : {1, 2}
        One column (:data:`ONE_COLUMN`, 3.5 in) or the page (:data:`TWO_COLUMN`, 7.1 in) wide.
    aspect : float
        Height of one row over the width.
    rows : int
        Rows of panels.

    Returns
    -------
    width, height : float
        The figure size (inches): ``height = width * aspect * rows``.

    Raises
    ------
    ValueError
        ``columns`` is neither 1 nor 2.
    """
    if columns not in (1, 2):
        raise ValueError(f"columns must be 1 or 2, got {columns}")
    width = ONE_COLUMN if columns == 1 else TWO_COLUMN
    return width, width * aspect * rows


def subplots(
    nrows: int = 1, ncols: int = 1, columns: int = 1, aspect: float = 0.75, **kwargs
) -> tuple[plt.Figure, np.ndarray | plt.Axes]:
    """``plt.subplots`` in the paper's style at one or two columns' width (constrained layout).

    Parameters
    ----------
    nrows, ncols : int
        Rows and columns of panels.
    columns : {1, 2}
        Figure width: one journal column or the page (see :func:`figsize`).
    aspect : float
        Height of one row of panels over the figure width.
    **kwargs
        Further keywords of ``matplotlib.pyplot.subplots`` (``sharex``, ``squeeze``, ...;
        ``layout`` defaults to "constrained").

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    axes : matplotlib.axes.Axes or numpy.ndarray
        Its axes, as ``plt.subplots`` returns them.
    """
    apply()
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=figsize(columns, aspect, nrows), **kwargs)


def subfigure_grid(n: int, aspect: float = 0.6, one_column_aspect: float = 0.95):
    """A figure of ``n`` sub-figures, two a row at two columns' width (one sub-figure: one column
    wide, ``one_column_aspect``), each row ``aspect`` x the width high; the unused one hidden.

    A sub-figure holds its own axes and its own legend (``sub.legend(loc="outside ...")``), which
    constrained layout keeps beside its panel instead of on the curves.

    Parameters
    ----------
    n : int
        Number of sub-figures (at least 1 is made).
    aspect : float
        Height of a row over the figure width, with two sub-figures a row.
    one_column_aspect : float
        Height over width of a figure with a single sub-figure (one column wide).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure (constrained layout).
    subfigs : numpy.ndarray
        The ``n`` visible ``matplotlib.figure.SubFigure``, row by row, shape (n,).
    """
    apply()
    n = max(int(n), 1)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    width, _ = figsize(ncols)
    height = width * (one_column_aspect if ncols == 1 else aspect) * nrows
    fig = plt.figure(figsize=(width, height), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(nrows, ncols, squeeze=False)).ravel()
    for sub in subfigs[n:]:
        sub.set_visible(False)
    return fig, subfigs[:n]


def colour(i: int) -> str:
    """The ``i``-th colour of the palette (cyclic).

    Parameters
    ----------
    i : int
        Index of the curve; it wraps around the 8 colours of :data:`PALETTE`.

    Returns
    -------
    str
        The colour as a hex string (``"#0072B2"``).
    """
    return PALETTE[i % len(PALETTE)]


def band(
    ax,
    x: Sequence[float],
    values: np.ndarray,
    label: str | None = None,
    color: str | None = None,
    linestyle="-",
    marker: str | None = None,
) -> None:
    """Mean over repetitions (axis 0 of ``values``, e.g. seeds) and a band of +-1 std.

    With a single repetition only the line is drawn: no band pretends to measure a spread.
    NaN values are left out of the mean and the standard deviation (ddof 1).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    x : sequence of float
        Abscissa of the points, shape (n_points,).
    values : numpy.ndarray
        Shape (n_repetitions, n_points), or (n_points,) for a single repetition.
    label : str, optional
        Legend entry of the line.
    color : str, optional
        Colour of the line and the band (default: the axes' colour cycle for the line).
    linestyle : str or tuple
        Line style of the mean.
    marker : str, optional
        Marker of the mean's points.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    mean = np.nanmean(values, axis=0)
    ax.plot(x, mean, color=color, ls=linestyle, marker=marker, label=label)
    if values.shape[0] > 1:
        std = np.nanstd(values, axis=0, ddof=1)
        ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, lw=0)


def save_figure(fig, outputs: Sequence[str | os.PathLike], **savefig) -> None:
    """Save ``fig`` to every path (format from the suffix; ``savefig``: further keywords of
    ``Figure.savefig``, e.g. ``dpi``): all formats or none, then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; closed afterwards, also when saving fails.
    outputs : sequence of path
        Files to write, the format from each suffix (``.pdf``, ``.png``).
    **savefig
        Further keywords of ``matplotlib.figure.Figure.savefig``.
    """
    try:
        with atomic_paths(*outputs) as tmps:
            for tmp in tmps:
                fig.savefig(tmp, **savefig)
    finally:
        plt.close(fig)
