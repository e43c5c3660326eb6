"""The list of the paper's figures (results/paper/figures.md), one sentence each.

A figure's sentence is the first sentence of its report caption (``workflow/report/*.rst``, the
text ``snakemake --report`` shows under the figure), rendered as Snakemake renders captions: as a
Jinja2 template that may quote the config (``{{ snakemake.config["experiments"]... }}``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

import jinja2

from iactdl.io import write_text_atomic

__all__ = ["render_caption", "first_sentence", "write_figure_index"]


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
