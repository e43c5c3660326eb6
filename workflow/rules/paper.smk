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


# No input files: the list changes with PAPER_FIGURES and the captions (params), not with the pixels
# of a figure, so a model's rerun does not rewrite it.
rule figures_index:
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
