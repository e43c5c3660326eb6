"""The run's numbers and the article built from them (iactdl.evaluate.numbers, .article): every
number of the text a macro written from results, every macro the article uses defined. Synthetic
tables and two small figures; the article is compiled where latexmk is installed (CI: .ci/run
installs it), skipped elsewhere. The tiny DAG's article: tests/test_rerun.py."""

from __future__ import annotations

import json
import pickle
import re
import shutil

import pandas as pd
import pytest

from iactdl.evaluate.article import article_source, build_article, rst_to_latex
from iactdl.evaluate.numbers import RunNumbers, collect_numbers, fill_markers, write_numbers


def _tables(tmp_path):
    summary = tmp_path / "summary.csv"
    pd.DataFrame(
        {"model": ["bdt_x", "mlp"], "kind": ["baseline", "net"], "task": ["separation"] * 2,
         "auc_test": [0.91, 0.87], "auc_test_unc": [0.004, 0.005],
         "auc_observed": [0.71, 0.74], "auc_observed_unc": [0.02, 0.03]}
    ).to_csv(summary, index=False)  # fmt: skip
    row = {"group": "boosted trees", "model": "bdt_x", "label": "boosted trees",
           "prior_corrected": True, "train_prior": 0.6, "prior_estimate": 0.024,
           "true_gamma_fraction": 0.025, "n_events": 5000, "n_gamma": 125, "n_labelled": 900,
           "n_bootstrap": 50}  # fmt: skip
    for col in ("roc_auc", "li_ma_significance", "gamma_efficiency", "brier_skill", "log_loss",
                "ece"):  # fmt: skip
        row[col], row[f"{col}_unc"] = 0.5, 0.01
    comparison = tmp_path / "comparison.csv"
    pd.DataFrame([{**row, "approach": "source-only"},
                  {**row, "approach": "ON/OFF corrected", "roc_auc": 0.777}]).to_csv(
        comparison, index=False)  # fmt: skip
    return summary, comparison


def test_numbers_come_from_the_tables_as_macros(tmp_path):
    summary, comparison = _tables(tmp_path)
    numbers = collect_numbers(summary, comparison)
    assert numbers["BestSimAuc"] == "0.910" and numbers["BestSimModel"] == r"bdt\_x"
    assert numbers["TreesOnoffAuc"] == "0.777" and numbers["ObsEvents"] == "5000"
    assert (numbers["BestObsModel"], numbers["BestObsAuc"]) == ("mlp", "0.740")
    assert numbers["ObsPriorEstimate"] == "2.40" and numbers["ObsLabelled"] == "900"
    write_numbers(numbers, tmp_path / "n.json", tmp_path / "n.tex")
    tex = (tmp_path / "n.tex").read_text()
    assert r"\newcommand{\iactTreesOnoffAuc}{0.777}" in tex
    # a caption quotes them: the value for the report, a macro for the article, a marker
    # while the DAG is planned (filled in by the job that writes the text)
    assert RunNumbers(tmp_path / "n.json")["BestSimModel"] == "bdt_x"
    assert RunNumbers(mode="macro")["BestSimAuc"] == r"\iactBestSimAuc{}"
    assert fill_markers(f"AUC {RunNumbers(mode='marker')['BestSimAuc']}.", numbers) == "AUC 0.910."
    with pytest.raises(KeyError, match="Nope"):
        RunNumbers(tmp_path / "n.json")["Nope"]
    with pytest.raises(ValueError, match="letters only"):
        RunNumbers(mode="macro")["Auc2"]
    # a rule's params: a repr without the values (no rerun when they change), and it pickles
    # into the job's script without them
    read = RunNumbers(tmp_path / "n.json")
    assert read["ObsEvents"] == "5000" and repr(read) == repr(RunNumbers(tmp_path / "n.json"))
    assert pickle.loads(pickle.dumps(read))._values is None


def test_caption_to_latex_keeps_macros_and_escapes_the_rest():
    text = rst_to_latex(r"AUC \iactBestSimAuc{} of ``hist_gbt`` at 2.5 % & *more* >= 1")
    assert text == (r"AUC \iactBestSimAuc{} of \texttt{hist\_gbt} at 2.5 \% \& \emph{more} "
                    r"$\geq$ 1")  # fmt: skip


def _macros_used(tex: str) -> set[str]:
    return set(re.findall(r"\\(iact[A-Za-z]+)", tex))


def test_article_uses_only_defined_macros_and_its_text_has_no_typed_number(tmp_path):
    summary, comparison = _tables(tmp_path)
    numbers = collect_numbers(summary, comparison)
    source = article_source(numbers, [("figureaa.pdf", r"Caption \iactObsEvents{}.")], [])
    assert _macros_used(source) <= {"iact" + k for k in numbers}
    assert {"iactBestSimAuc", "iactTreesOnoffAuc"} <= _macros_used(source)
    # the abstract and the stages' paragraphs: not a digit outside a macro (a citation's year is
    # no result)
    text = source[source.index(r"\begin{abstract}") : source.index(r"\begin{figure}")]
    text = re.sub(r"et al\. \d{4}", "", text)
    assert not re.search(r"\d", text), re.findall(r".{20}\d.{20}", text)
    # a run without an observation: the sentences that quote its numbers are left out
    bare = article_source(collect_numbers(summary, None), [], [])
    assert _macros_used(bare) <= {"iact" + k for k in collect_numbers(summary, None)}


NO_TEX = shutil.which("latexmk") is None or shutil.which("pdflatex") is None


@pytest.mark.skipif(NO_TEX, reason="latexmk/pdflatex not installed (CI installs them: .ci/run)")
def test_article_compiles_with_its_figures_and_tables(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary, comparison = _tables(tmp_path)
    numbers = collect_numbers(summary, comparison)
    write_numbers(numbers, tmp_path / "n.json", tmp_path / "n.tex")
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "a~b_c.pdf")  # a name TeX could not take as it is
    plt.close(fig)
    (tmp_path / "t.tex").write_text(
        "\\begin{tabular}{lr}\\toprule a & 1 \\\\\\bottomrule\\end{tabular}\n"
    )
    build_article(tmp_path / "n.json", tmp_path / "n.tex",
                  [(tmp_path / "a~b_c.pdf", r"A line, \iactObsEvents{} events.")],
                  [(tmp_path / "t.tex", "A table.")], tmp_path / "article.tex",
                  tmp_path / "article.pdf")  # fmt: skip
    assert (tmp_path / "article.pdf").read_bytes()[:5] == b"%PDF-"
    assert json.loads((tmp_path / "n.json").read_text())["ObsEvents"] == "5000"


def test_a_study_s_own_numbers_join_the_article_and_may_not_redefine_the_paper_s(tmp_path):
    """The shift study's captions quote its own numbers (rule shift_study_table writes them, not
    paper_numbers: `all` builds paper_numbers, `paper` alone the study): the article defines
    their macros beside the paper's; LaTeX specials in them (``hist\\_gbt``, ``30 \\%``) print,
    as plain text in the report. A name of both would be a second \\newcommand: refused."""
    summary, comparison = _tables(tmp_path)
    write_numbers(collect_numbers(summary, comparison), tmp_path / "n.json", tmp_path / "n.tex")
    study = {"Shifts": "night sky, all", "Models": r"boosted trees (hist\_gbt)",
             "Best": r"night sky: importance weighting (30 \%)"}  # fmt: skip
    write_numbers(study, tmp_path / "s.json", tmp_path / "s.tex", rule="shift_study_table")
    assert "rule shift_study_table" in (tmp_path / "s.tex").read_text()
    assert RunNumbers(tmp_path / "s.json")["Best"] == "night sky: importance weighting (30 %)"
    assert fill_markers("[[Models]]", study) == "boosted trees (hist_gbt)"
    caption = rst_to_latex(f"Shifts: {RunNumbers(mode='macro')['Shifts']}; best: "
                           f"{RunNumbers(mode='macro')['Best']}.")  # fmt: skip
    (tmp_path / "t.tex").write_text("\\begin{tabular}{l}a\\end{tabular}\n")
    pdf = None if NO_TEX else tmp_path / "article.pdf"
    build_article(tmp_path / "n.json", tmp_path / "n.tex", [], [(tmp_path / "t.tex", caption)],
                  tmp_path / "article.tex", pdf,
                  more_numbers=[(tmp_path / "s.json", tmp_path / "s.tex")])  # fmt: skip
    source = (tmp_path / "article.tex").read_text()
    assert r"\iactShifts{}" in source and r"\iactBest{}" in source
    if pdf is not None:
        assert pdf.read_bytes()[:5] == b"%PDF-"  # every macro defined, its % and _ printable
    write_numbers({"NModels": "3"}, tmp_path / "d.json", tmp_path / "d.tex")
    with pytest.raises(ValueError, match=r"d.json: numbers \['NModels'\] are already defined"):
        build_article(tmp_path / "n.json", tmp_path / "n.tex", [], [], tmp_path / "x.tex", None,
                      more_numbers=[(tmp_path / "d.json", tmp_path / "d.tex")])  # fmt: skip
    assert not (tmp_path / "x.tex").exists()


def test_every_comparison_row_has_macro_names():
    """Every approach and group a comparison row can carry has its part of a macro name (a new
    approach, such as the joint models, failed rule paper_numbers with a KeyError)."""
    from iactdl.evaluate.numbers import _APPROACH_NAMES, _GROUP_NAMES
    from iactdl.labelnoise.comparison import APPROACHES, GROUPS

    assert set(APPROACHES) <= set(_APPROACH_NAMES)
    assert set(GROUPS) <= set(_GROUP_NAMES)
