"""What the report shows besides the figures: the list of the paper's figures
(results/paper/figures.md), one sentence each, and each table of the paper as an HTML page.

A figure's sentence is the first sentence of its report caption (``workflow/report/*.rst``, the
text ``snakemake --report`` shows under the figure), rendered as Snakemake renders captions: as a
Jinja2 template that may quote the config (``{{ snakemake.config["experiments"]... }}``).

``snakemake --report`` shows an HTML result inline and offers any other file (a CSV) only as a
download, so each table of the paper also becomes an HTML page (:func:`write_table_html`) that the
report shows with its caption; the page carries its CSV as a download link.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import jinja2

from iactdl.io import write_text_atomic

__all__ = ["render_caption", "first_sentence", "write_figure_index", "write_table_html"]


def render_caption(path: str | os.PathLike, config: Mapping, numbers=None) -> str:
    """The caption file rendered with ``snakemake.config`` = ``config`` and
    ``snakemake.params.numbers`` = ``numbers`` (a :class:`iactdl.evaluate.numbers.RunNumbers`;
    default: ``[[Name]]`` markers), whitespace collapsed.

    Parameters
    ----------
    path : path
        The caption file (``workflow/report/*.rst``), a Jinja2 template.
    config : mapping
        The workflow's config, as ``snakemake.config``.
    numbers : iactdl.evaluate.numbers.RunNumbers, optional
        What ``snakemake.params.numbers["Name"]`` gives (default: markers, filled in later by
        :func:`iactdl.evaluate.numbers.fill_markers`).

    Returns
    -------
    str
        The rendered caption on one line.
    """
    from iactdl.evaluate.numbers import RunNumbers

    params = SimpleNamespace(numbers=numbers if numbers is not None else RunNumbers(mode="marker"))
    template = jinja2.Template(Path(path).read_text())
    text = template.render(snakemake=SimpleNamespace(config=config, wildcards={}, params=params))
    return " ".join(text.split())


def first_sentence(text: str) -> str:
    """Up to and including the first full stop that ends a sentence (not 'e.g.' or '1.5').

    A full stop ends a sentence where white space or the end of the text follows it, unless it
    closes "e.g" or "i.e".

    Parameters
    ----------
    text : str
        A rendered caption.

    Returns
    -------
    str
        Its first sentence; the whole ``text`` where no full stop ends one.
    """
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)\.(\s|$)", text)
    return text[: m.start() + 1] if m else text


def write_figure_index(
    notes: Mapping[str, str],
    output: str | os.PathLike,
    figures_dir: str = "results/figures",
    numbers: Mapping[str, str] | None = None,
) -> None:
    """Markdown: one line per figure (its PDF path) with its sentence, the run's ``numbers`` in
    place of its ``[[Name]]`` markers; written atomically.

    Parameters
    ----------
    notes : mapping of str to str
        Figure stem -> its sentence (:func:`first_sentence` of its rendered caption), in the
        order the list shows them.
    output : path
        The Markdown file (``results/paper/figures.md``).
    figures_dir : str
        The folder the figures' paths are given in.
    numbers : mapping of str to str, optional
        The run's numbers by name, for the markers (:func:`iactdl.evaluate.numbers.fill_markers`).

    Raises
    ------
    KeyError
        A marker names a number not in ``numbers``.
    """
    from iactdl.evaluate.numbers import fill_markers

    notes = {k: fill_markers(v, numbers or {}) for k, v in notes.items()}
    lines = [
        "# Figures of the paper",
        "",
        f"Every figure as `{figures_dir}/<name>.pdf` (for the paper) and `.png` (to look at);",
        "`snakemake --report report.html` shows them with their full captions.",
        "",
    ]
    for stem, sentence in notes.items():
        lines.append(f"- **{stem}** (`{figures_dir}/{stem}.pdf`): {sentence}")
    write_text_atomic(output, "\n".join(lines) + "\n")


# Readable in the report's frame: rows striped, numbers right-aligned with digits of equal width,
# the header kept in view while a long table scrolls.
_TABLE_STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 8px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { background: #f2f2f2; position: sticky; top: 0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
p { color: #555; }
"""


def _format_cell(value, significant: int) -> str:
    """A table cell as text: floats to ``significant`` digits, missing values empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.{significant}g}"
    return str(value)


def write_table_html(
    csv: str | os.PathLike, output: str | os.PathLike, title: str, significant: int = 4
) -> None:
    """An HTML page of the table ``csv`` for the report: every row and column, floats to
    ``significant`` digits, and the CSV itself as a download link; written atomically.

    Parameters
    ----------
    csv : path
        The table (a paper table, ``results/paper/<name>.csv``).
    output : path
        The HTML page.
    title : str
        The page's heading (the table's name).
    significant : int
        Significant digits of floating-point cells (the CSV keeps every digit).

    Raises
    ------
    ValueError
        ``csv`` cannot be read as a CSV table (names the file).
    """
    import pandas as pd

    try:
        table = pd.read_csv(csv)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{csv}: expected a CSV table with a header row ({err})") from err
    raw = Path(csv).read_bytes()
    numeric = {c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, record, strict=True):
            cls = ' class="num"' if column in numeric else ""
            cells.append(f"<td{cls}>{html.escape(_format_cell(value, significant))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    name = html.escape(Path(csv).name)
    link = "data:text/csv;base64," + base64.b64encode(raw).decode("ascii")
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{_TABLE_STYLE}</style></head><body>",
            f"<p>{len(table)} rows; floats to {significant} significant digits; every digit in "
            f'<a href="{link}" download="{name}">{name}</a>.</p>',
            f"<table><thead><tr>{head}</tr></thead><tbody>",
            *rows,
            "</tbody></table></body></html>",
        ]
    )
    write_text_atomic(output, page + "\n")
