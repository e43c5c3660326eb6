"""The paper's short article, built by the DAG (rule ``article``): an abstract, one paragraph per
stage, every figure and table of the paper with its caption, compiled with latexmk/pdflatex.

Every number of the text is a macro of ``numbers.tex`` (:mod:`iactdl.evaluate.numbers`), written
by a rule from the run's results; the captions are the report's caption templates rendered with
the macros in place of the numbers (config values, the run's settings, are printed as the config
says them). The figures and tables come as lists (``PAPER_FIGURES`` and ``ARTICLE_TABLES`` of the
workflow), so a stage that adds a figure to the paper adds it to the article too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from iactdl.io import atomic_paths

__all__ = ["rst_to_latex", "article_source", "build_article", "LATEX_COMMAND"]

LATEX_COMMAND = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-quiet"]
_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", ">=": r"$\geq$", "<=": r"$\leq$"}  # fmt: skip


def rst_to_latex(text: str) -> str:
    """A rendered caption (reStructuredText, one paragraph) as LaTeX text: special characters
    escaped, ``literal`` and *emphasis* kept as typewriter and italics, the number macros
    (``\\iactName{}``) left as they are.

    Parameters
    ----------
    text : str
        The caption in reStructuredText; line breaks and runs of white space become one space.

    Returns
    -------
    str
        LaTeX text: ``& % # _ $ ~ ^`` and backslashes escaped, ``>=``/``<=`` as math,
        double-backquoted literals in ``\\texttt{}``, ``*x*`` in ``\\emph{}``, other backquotes
        dropped.
    """
    macros: list[str] = []

    def keep(m):
        macros.append(m[0])
        return f"\x00{len(macros) - 1}\x00"

    text = re.sub(r"\\iact[A-Za-z]+\{\}", keep, " ".join(text.split()))
    text = text.replace("\\", r"\textbackslash{}")
    text = re.sub("|".join(re.escape(k) for k in sorted(_SPECIAL, key=len, reverse=True)),
                  lambda m: _SPECIAL[m[0]], text)  # fmt: skip
    text = re.sub(r"``(.+?)``", r"\\texttt{\1}", text)
    text = re.sub(r"(?<![\w*])\*(\S.*?\S|\S)\*(?![\w*])", r"\\emph{\1}", text)
    text = text.replace("`", "")
    return re.sub("\x00(\\d+)\x00", lambda m: macros[int(m[1])], text)


def _paragraphs(numbers: Mapping[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """The abstract and one paragraph per stage; a sentence that quotes a number the run did not
    produce (a config without an observation, say) is left out."""

    def m(name):
        return f"\\iact{name}{{}}"

    have = set(numbers)
    abstract = (
        "We separate gamma-ray showers from the hadronic background in the images of an "
        "imaging atmospheric Cherenkov telescope modelled on FACT, with boosted trees on Hillas "
        "features, a feature MLP and nets on the camera pixels, trained on simulations, adapted to "
        "the observation, or trained on the ON/OFF labels of the observation itself. "
    )
    if {"BestSimAuc", "BestSimModel", "NSeparationModels"} <= have:
        abstract += (
            f"Of {m('NSeparationModels')} separation models, {m('BestSimModel')} reaches the "
            f"highest ROC AUC on the simulated test split, {m('BestSimAuc')} $\\pm$ "
            f"{m('BestSimAucUnc')}. "
        )
    if {"ObsEvents", "ObsLabelled", "ObsPriorEstimate"} <= have:
        abstract += (
            f"On the {m('ObsEvents')} events of the held-out observation we compare the three "
            "ways around the gap between simulation and observation within each architecture, "
            "with bootstrap uncertainties; calibration is judged on the "
            f"{m('ObsLabelled')} events in its ON and OFF regions, whose gamma fraction the "
            f"ON/OFF counts estimate at {m('ObsPriorEstimate')}\\,\\% (true "
            f"{m('ObsPriorTrue')}\\,\\%)."
        )
    stages = [
        (
            "Simulation",
            "A built-in shower simulator (or FACT files) gives labelled gamma and "
            "proton events and an ON/OFF observation whose truth only the evaluation reads.",
        ),
        (
            "Features",
            "Quality cuts, image cleaning and Hillas parameters per event, camera images "
            "on a hexagonal grid and pixel sets for the nets.",
        ),
        (
            "Baselines and nets",
            "Logistic regression, random forests and boosted trees on the "
            "features; an MLP on the features and pixel nets (hexagonal CNN, Deep Sets, Set "
            "Transformer) on the images"
            + (
                f"; the best on simulations is {m('BestSimModel')} with AUC {m('BestSimAuc')}."
                if "BestSimAuc" in have
                else "."
            ),
        ),
        (
            "Dataset shift and adaptation",
            "The shift between simulation and observation is "
            "measured without truth; importance weighting and domain-adversarial training adapt "
            "the models to the unlabelled observation.",
        ),
    ]
    if "TreesOnoffAuc" in have and "TreesSourceAuc" in have:
        onoff = f"{m('TreesOnoffAuc')} $\\pm$ {m('TreesOnoffAucUnc')}"
        source = f"{m('TreesSourceAuc')} $\\pm$ {m('TreesSourceAucUnc')}"
        text = (
            "Trained on the ON/OFF labels of the observation and corrected for their "
            "class-conditional noise (Menon et al. 2015), boosted trees reach an AUC of "
            f"{onoff} on the observation, against {source} when trained on simulations; at the "
            "observation's prior (simulation-trained posteriors moved to the truth-free estimate "
            "of the gamma fraction, Saerens et al. 2002) their Brier skill scores are "
            f"{m('TreesOnoffBss')} and {m('TreesSourceBss')}."
        )
        stages.append(("Learning from ON/OFF labels", text))
    stages.append(
        (
            "The paper",
            "Every figure and table below, and every number of this text, "
            "is written by the workflow from this run's results.",
        )
    )
    return abstract, stages


def article_source(
    numbers: Mapping[str, str],
    figures: Sequence[tuple[str, str]],
    tables: Sequence[tuple[str, str]],
    title: str = "Gamma/hadron separation for FACT: simulations, adaptation and ON/OFF labels",
) -> str:
    """The LaTeX document: ``figures`` (file name in the build folder, caption LaTeX) and
    ``tables`` (file name of a tabular, caption LaTeX), after the stages' paragraphs.

    Parameters
    ----------
    numbers : mapping of str to str
        The run's numbers by macro name without the ``iact`` prefix (``BestSimAuc``, as
        :func:`iactdl.evaluate.numbers.collect_numbers` names them); the text uses their macros
        (``\\iactBestSimAuc{}``, defined by ``numbers.tex``), and a sentence whose numbers are
        missing is left out.
    figures : sequence of (str, str)
        File name of each figure in the build folder and its caption (LaTeX), in the paper's order.
    tables : sequence of (str, str)
        File name of each ``tabular`` (``.tex``) in the build folder and its caption (LaTeX).
    title : str
        The article's title.

    Returns
    -------
    str
        The whole ``article.tex``: abstract, one paragraph per stage, then the tables and the
        figures (each scaled to the page width), ending with a newline.
    """
    abstract, stages = _paragraphs(numbers)
    lines = [
        r"\documentclass[10pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{graphicx,booktabs,float}",
        r"\input{numbers.tex}",
        rf"\title{{{title}}}",
        r"\author{iactdl}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"\begin{abstract}",
        abstract,
        r"\end{abstract}",
    ]
    for head, text in stages:
        lines += [rf"\paragraph{{{head}.}} {text}", ""]
    for name, caption in tables:
        fit = [r"\resizebox{\linewidth}{!}{%", rf"\input{{{name}}}}}"]  # no wider than the page
        lines += [r"\begin{table}[H]", r"\centering", *fit, rf"\caption{{{caption}}}",
                  r"\end{table}", ""]  # fmt: skip
    for name, caption in figures:
        lines += [r"\begin{figure}[H]", r"\centering",
                  rf"\includegraphics[width=\linewidth,height=0.6\textheight,keepaspectratio]{{{name}}}",
                  rf"\caption{{{caption}}}", r"\end{figure}", ""]  # fmt: skip
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def build_article(
    numbers_json: str | os.PathLike,
    numbers_tex: str | os.PathLike,
    figures: Sequence[tuple[str, str]],
    tables: Sequence[tuple[str, str]],
    tex_out: str | os.PathLike,
    pdf_out: str | os.PathLike | None,
    more_numbers: Sequence[tuple[str | os.PathLike, str | os.PathLike]] = (),
) -> None:
    """Write the article's LaTeX (``tex_out``) and, with ``pdf_out``, compile it (latexmk, in a
    temporary folder holding copies of the figures and tables under plain names: file names
    with ``~`` or ``_`` are not safe in TeX). Both written, or neither new.

    Parameters
    ----------
    numbers_json : path
        The run's numbers as JSON (name -> formatted value), from
        :func:`iactdl.evaluate.numbers.write_numbers`.
    numbers_tex : path
        The same numbers as LaTeX macros, copied into the build as ``numbers.tex``.
    figures : sequence of (path, str)
        Each figure file (PDF or PNG) and its caption (LaTeX).
    tables : sequence of (path, str)
        Each table file (a ``tabular`` in ``.tex``) and its caption (LaTeX).
    tex_out : path
        Where the LaTeX source is written (it names the copies ``figureaa.pdf``, ``tableaa.tex``
        etc., so it compiles only beside such copies).
    pdf_out : path or None
        Where the compiled PDF is written; None writes the source alone and needs no TeX.
    more_numbers : sequence of (path, path)
        The numbers (JSON, macros) of the paper's studies that rule ``paper_numbers`` does not
        read (the shift study's, ``paper`` only), whose captions quote them; their macros are
        appended to ``numbers.tex``.

    Raises
    ------
    RuntimeError
        ``latexmk`` is not installed (with ``pdf_out``), or it fails (the log's tail is quoted).
    ValueError
        Two number files define the same name (LaTeX would refuse the second ``\\newcommand``).
    """
    import json

    numbers = json.loads(Path(numbers_json).read_text())
    macros = [Path(numbers_tex).read_text()]
    for more_json, more_tex in more_numbers:
        more = json.loads(Path(more_json).read_text())
        twice = sorted(set(more) & set(numbers))
        if twice:
            raise ValueError(
                f"{more_json}: numbers {twice} are already defined ({numbers_json} or a study's "
                "numbers before it)"
            )
        numbers.update(more)
        macros.append(Path(more_tex).read_text())
    with tempfile.TemporaryDirectory(prefix="iactdl-article-") as tmp:
        build = Path(tmp)
        (build / "numbers.tex").write_text("\n".join(m.rstrip("\n") for m in macros) + "\n")
        figs, tabs = [], []
        for k, (path, caption) in enumerate(figures):
            name = f"figure{chr(ord('a') + k // 26)}{chr(ord('a') + k % 26)}{Path(path).suffix}"
            shutil.copyfile(path, build / name)
            figs.append((name, caption))
        for k, (path, caption) in enumerate(tables):
            name = f"table{chr(ord('a') + k // 26)}{chr(ord('a') + k % 26)}.tex"
            shutil.copyfile(path, build / name)
            tabs.append((name, caption))
        source = article_source(numbers, figs, tabs)
        (build / "article.tex").write_text(source)
        outputs = [tex_out] + ([pdf_out] if pdf_out else [])
        if pdf_out:
            if shutil.which(LATEX_COMMAND[0]) is None:
                raise RuntimeError(
                    f"{LATEX_COMMAND[0]} not found: install TeX (Debian: apt-get install texlive-"
                    "latex-base texlive-latex-recommended texlive-fonts-recommended latexmk)"
                )
            proc = subprocess.run([*LATEX_COMMAND, "article.tex"], cwd=build, capture_output=True,
                                  text=True)  # fmt: skip
            if proc.returncode != 0 or not (build / "article.pdf").exists():
                log = build / "article.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else proc.stdout
                raise RuntimeError(f"latexmk failed on the article ({proc.returncode}):\n{tail}")
        with atomic_paths(*outputs) as tmps:
            Path(tmps[0]).write_text(source)
            if pdf_out:
                shutil.copyfile(build / "article.pdf", tmps[1])
