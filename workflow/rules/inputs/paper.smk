# The input functions of paper.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_paper_output(experiments=True):
    """Every figure (PDF + PNG), every table and the metrics of every model; without the
    experiment sweeps' figures and tables (experiments.smk) if not `experiments`."""
    stems = [f for f in PAPER_FIGURES if experiments or f not in EXPERIMENT_FIGURES]
    figures = expand(results("figures/{figure}.{ext}"), figure=stems, ext=["pdf", "png"])
    tables = [t for t in PAPER_TABLES if experiments or t not in EXPERIMENT_TABLES]
    tables += [table_page(t) for t in tables if t in REPORT_TABLES]
    metrics = expand(results("metrics/{model}.json"), model=list(config["models"]))
    article = list(get_article_outputs().values()) if experiments else []
    return figures + tables + metrics + get_labelnoise_output() + article


def table_page(csv):
    """The HTML page of a paper table paper/<name>.csv that the report shows (rule
    table_html_<name>)."""
    return str(PurePosixPath(csv).with_suffix(".html"))


def get_paper_figure_pngs(wildcards):
    """The PNG of every figure of the paper (PAPER_FIGURES, as extended by every stage)."""
    return expand(results("figures/{figure}.png"), figure=PAPER_FIGURES)


def caption_file(figure):
    """The report caption of a figure: workflow/report/<figure with / as _>.rst."""
    name = "_".join(PurePosixPath(figure).parts)
    return Path(workflow.basedir, "workflow", "report", f"{name}.rst")


def get_numbers_input(wildcards):
    """The paper's tables the numbers come from (the comparison where stage 6 runs)."""
    inputs = {"summary": results("paper/summary.csv")}
    if results("paper/comparison.csv") in get_labelnoise_output():
        inputs["comparison"] = results("paper/comparison.csv")
    return inputs


def article_latex():
    """Whether this machine compiles the article (latexmk on PATH); else its LaTeX source only."""
    import shutil

    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def get_article_outputs():
    """The article's LaTeX, and its PDF where TeX is installed."""
    out = {"tex": results("paper/article.tex")}
    if article_latex():
        out["pdf"] = results("paper/article.pdf")
    return out


def article_tables():
    """The LaTeX tables of the paper (PAPER_TABLES' .tex files but the numbers' macros)."""
    return [
        t for t in PAPER_TABLES if t.endswith(".tex") and PurePosixPath(t).name != "numbers.tex"
    ]


def table_caption_file(table):
    """The report caption of a table paper/<stem>.tex: <stem>_table.rst,
    experiments_<stem>_table.rst or <stem>.rst in workflow/report/ (the first that exists)."""
    stem = PurePosixPath(table).stem
    for name in (f"{stem}_table", f"experiments_{stem}_table", stem):
        path = Path(workflow.basedir, "workflow", "report", f"{name}.rst")
        if path.exists():
            return path
    return None


def get_article_input(wildcards):
    """The numbers (JSON and macros; the paper's and those of the studies its captions quote,
    EXPERIMENT_NUMBERS), every figure's PDF and every LaTeX table."""
    inputs = {
        "numbers_json": results("paper/numbers.json"),
        "numbers_tex": results("paper/numbers.tex"),
        "figures": expand(results("figures/{figure}.pdf"), figure=PAPER_FIGURES),
        "tables": article_tables(),
    }
    if EXPERIMENT_NUMBERS:
        inputs["study_numbers_json"] = [j for j, _ in EXPERIMENT_NUMBERS]
        inputs["study_numbers_tex"] = [t for _, t in EXPERIMENT_NUMBERS]
    return inputs


def _article_caption(path, note):
    from iactdl.evaluate.article import rst_to_latex
    from iactdl.evaluate.numbers import RunNumbers
    from iactdl.evaluate.report import render_caption

    if path is not None and path.exists():
        return rst_to_latex(render_caption(path, config, RunNumbers(mode="macro")))
    return rst_to_latex(note)


def get_article_figure_captions(wildcards):
    """Each figure's caption as LaTeX, its numbers as macros (params: a caption that changes
    rebuilds the article), in PAPER_FIGURES' order."""
    return [_article_caption(caption_file(f), FIGURE_NOTES.get(f, f)) for f in PAPER_FIGURES]


def get_article_table_captions(wildcards):
    """Each LaTeX table's caption (article_tables' order)."""
    return [
        _article_caption(table_caption_file(t), PurePosixPath(t).stem) for t in article_tables()
    ]


def get_figure_notes(wildcards):
    """Figure -> one sentence for results/paper/figures.md: FIGURE_NOTES, else its caption's first
    (its numbers as [[Name]] markers, filled in by the job from numbers.json)."""
    from iactdl.evaluate.report import first_sentence, render_caption

    notes = {}
    for figure in PAPER_FIGURES:
        path = caption_file(figure)
        if figure in FIGURE_NOTES:
            notes[figure] = FIGURE_NOTES[figure]
        elif path.exists():
            notes[figure] = first_sentence(render_caption(path, config))
        else:
            notes[figure] = f"(no caption: add {path.relative_to(workflow.basedir)})"
    return notes
