# The input functions of paper.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_paper_output(experiments=True):
    """Every figure (PDF + PNG), every table and the metrics of every model; without the
    experiment sweeps' figures and tables (experiments.smk) if not `experiments`."""
    stems = [f for f in PAPER_FIGURES if experiments or f not in EXPERIMENT_FIGURES]
    figures = expand(results("figures/{figure}.{ext}"), figure=stems, ext=["pdf", "png"])
    tables = [t for t in PAPER_TABLES if experiments or t not in EXPERIMENT_TABLES]
    metrics = expand(results("metrics/{model}.json"), model=list(config["models"]))
    return figures + tables + metrics + get_labelnoise_output()


def get_paper_figure_pngs(wildcards):
    """The PNG of every figure of the paper (PAPER_FIGURES, as extended by every stage)."""
    return expand(results("figures/{figure}.png"), figure=PAPER_FIGURES)


def caption_file(figure):
    """The report caption of a figure: workflow/report/<figure with / as _>.rst."""
    name = "_".join(PurePosixPath(figure).parts)
    return Path(workflow.basedir, "workflow", "report", f"{name}.rst")


def get_figure_notes(wildcards):
    """Figure -> one sentence for results/paper/figures.md: FIGURE_NOTES, else its caption's first."""
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
