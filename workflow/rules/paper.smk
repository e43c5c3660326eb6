# The paper around the figures of every stage: overview figures of the data and the features, and
# results/paper/figures.md, the list of every figure with one sentence (from its report caption).
# `rule paper` (Snakefile) builds get_final_output(experiments=True); `snakemake --report` bundles every
# output marked report(...) with its caption, by category. Stages add figures to PAPER_FIGURES
# (common.smk) in their own .smk file, which must be included before this one.


include: "inputs/paper.smk"


PAPER_FIGURES.extend(["data", "features"])


rule figure_data:
    input:
        dataset=results("datasets/train.h5"),
    output:
        pdf=results("figures/data.pdf"),
        png=report(
            results("figures/data.png"),
            caption="../report/data.rst",
            category="data",
        ),
    log:
        results("logs/figures/data.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("figure_data.py"),
    script:
        "../scripts/figure_data.py"


rule figure_features:
    input:
        dataset=results("datasets/train.h5"),
    output:
        pdf=results("figures/features.pdf"),
        png=report(
            results("figures/features.png"),
            caption="../report/features.rst",
            category="features",
        ),
    log:
        results("logs/figures/features.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("figure_features.py"),
    script:
        "../scripts/figure_features.py"


# The captions (params, rendered while planning, numbers as [[Name]] markers) and the run's
# numbers (filled in by the job): a caption or a number that changes rewrites the list.
rule figures_index:
    input:
        numbers=results("paper/numbers.json"),
    output:
        index=results("paper/figures.md"),
    log:
        results("logs/figures/figures_index.log"),
    localrule: True
    conda:
        "../../envs/cpu.yaml"
    params:
        notes=get_figure_notes,
        figures_dir=results("figures"),
        src=src("figures_index.py"),
    script:
        "../scripts/figures_index.py"


PAPER_TABLES.append(results("paper/figures.md"))


# Each table of REPORT_TABLES (common.smk) as an HTML page, which the report shows with the
# table's caption (a CSV it offers only as a download); the page links the CSV. One rule per table:
# a report caption is fixed per rule.
for _csv, _place in REPORT_TABLES.items():
    _name = PurePosixPath(_csv).stem
    if table_caption_file(_csv) is None:
        raise ValueError(f"table {_csv}: no caption in workflow/report/ ({_name}_table.rst)")

    rule:
        name:
            f"table_html_{_name}"
        input:
            csv=_csv,
        output:
            html=report(
                table_page(_csv),
                caption=str(table_caption_file(_csv)),
                category=_place["category"],
                subcategory=_place.get("subcategory"),
            ),
        log:
            results(f"logs/tables/{_name}_html.log"),
        localrule: True
        conda:
            "../../envs/cpu.yaml"
        params:
            title=_name,
            numbers=_place.get("numbers", run_numbers()),
            src=src("table_html.py"),
        script:
            "../scripts/table_html.py"


# The run's numbers (iactdl.evaluate.numbers): read from the paper's tables, quoted by the report's
# captions (params numbers=run_numbers()) and, as the macros of numbers.tex, by the article.
rule paper_numbers:
    input:
        unpack(get_numbers_input),
    output:
        json=results("paper/numbers.json"),
        tex=results("paper/numbers.tex"),
    log:
        results("logs/paper_numbers.log"),
    localrule: True
    conda:
        "../../envs/cpu.yaml"
    params:
        src=src("paper_numbers.py"),
    script:
        "../scripts/paper_numbers.py"


PAPER_TABLES.extend([results("paper/numbers.json"), results("paper/numbers.tex")])


# The article (iactdl.evaluate.article): every figure of PAPER_FIGURES and every LaTeX table of
# PAPER_TABLES with its caption, the numbers as macros; compiled where latexmk is installed
# (README: the Debian packages), else its LaTeX source only. In `paper`, not in `all`.
rule article:
    input:
        unpack(get_article_input),
    output:
        **get_article_outputs(),
    log:
        results("logs/article.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        figures=get_article_figure_captions,
        tables=get_article_table_captions,
        src=src("article.py"),
    script:
        "../scripts/article.py"
