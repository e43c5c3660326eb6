# Stage 7b: the paper's figures and the summary table (iactdl.evaluate.performance_figures, .summary). Models
# are enumerated from config: separation models feed the ROC and gammaness figures, energy models and
# nets with an energy head the resolution and migration figures, nets their learning curves. `rule all` and `rule paper`
# (Snakefile) build them (common.smk get_final_output).


include: "inputs/figures.smk"


from iactdl.evaluate.labels import model_families, model_labels

# the separation models' entries: their families and readable names in the ROC legends
separation_entries = {m: config["models"][m] for m in models_of_task("separation")}

# the ROC on observed_test, where the paper's claims are (scored against the hidden truth)
if "observed" in available_samples() and config["source"] == "simulate":
    PAPER_FIGURES.append("roc_observed")


rule figure_roc:
    input:
        predictions=expand(
            results("predictions/{model}/test.h5"), model=models_of_task("separation")
        ),
    output:
        pdf=results("figures/roc.pdf"),
        png=report(
            results("figures/roc.png"),
            caption="../report/roc.rst",
            category="baselines and nets",
            subcategory="separation",
        ),
    log:
        results("logs/figures/roc.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_of_task("separation"),
        families=model_families(separation_entries),
        labels=model_labels(separation_entries, separation_entries),
        src=src("figure_roc.py"),
    script:
        "../scripts/figure_roc.py"


rule figure_roc_observed:
    input:
        predictions=expand(
            results("predictions/{model}/observed_test.h5"), model=models_of_task("separation")
        ),
        truth=results("simulated/observed_truth.h5"),
    output:
        pdf=results("figures/roc_observed.pdf"),
        png=report(
            results("figures/roc_observed.png"),
            caption="../report/roc_observed.rst",
            category="baselines and nets",
            subcategory="separation",
        ),
    log:
        results("logs/figures/roc_observed.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_of_task("separation"),
        families=model_families(separation_entries),
        labels=model_labels(separation_entries, separation_entries),
        numbers=run_numbers(),
        src=src("figure_roc_observed.py"),
    script:
        "../scripts/figure_roc_observed.py"


rule figure_gammaness:
    input:
        predictions=expand(
            results("predictions/{model}/test.h5"), model=models_of_task("separation")
        ),
    output:
        pdf=results("figures/gammaness.pdf"),
        png=report(
            results("figures/gammaness.png"),
            caption="../report/gammaness.rst",
            category="baselines and nets",
            subcategory="separation",
        ),
    log:
        results("logs/figures/gammaness.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_of_task("separation"),
        labels=model_labels(separation_entries, separation_entries),
        src=src("figure_gammaness.py"),
    script:
        "../scripts/figure_gammaness.py"


rule figure_energy_resolution:
    input:
        metrics=expand(results("metrics/{model}.json"), model=models_with_energy()),
    output:
        pdf=results("figures/energy_resolution.pdf"),
        png=report(
            results("figures/energy_resolution.png"),
            caption="../report/energy_resolution.rst",
            category="baselines and nets",
            subcategory="energy",
        ),
    log:
        results("logs/figures/energy_resolution.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_with_energy(),
        labels=figure_labels(models_with_energy()),
        src=src("figure_energy_resolution.py"),
    script:
        "../scripts/figure_energy_resolution.py"


rule figure_migration:
    input:
        metrics=expand(results("metrics/{model}.json"), model=models_with_energy()),
    output:
        pdf=results("figures/migration.pdf"),
        png=report(
            results("figures/migration.png"),
            caption="../report/migration.rst",
            category="baselines and nets",
            subcategory="energy",
        ),
    log:
        results("logs/figures/migration.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_with_energy(),
        labels=figure_labels(models_with_energy()),
        src=src("figure_migration.py"),
    script:
        "../scripts/figure_migration.py"


rule figure_learning_curves:
    input:
        info=expand(results("models/{model}/model.json"), model=models_of_kind("net")),
    output:
        pdf=results("figures/learning_curves.pdf"),
        png=report(
            results("figures/learning_curves.png"),
            caption="../report/learning_curves.rst",
            category="nets",
        ),
    log:
        results("logs/figures/learning_curves.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=models_of_kind("net"),
        labels=figure_labels(models_of_kind("net")),
        src=src("figure_learning_curves.py"),
    script:
        "../scripts/figure_learning_curves.py"


# the summary as a page the report shows (paper.smk, rule table_html_summary)
REPORT_TABLES[results("paper/summary.csv")] = {
    "category": "baselines and nets",
    "subcategory": "summary",
}


rule summary_table:
    input:
        metrics=expand(results("metrics/{model}.json"), model=list(config["models"])),
    output:
        csv=results("paper/summary.csv"),
        tex=results("paper/summary.tex"),
    log:
        results("logs/figures/summary_table.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=list(config["models"]),
        entries=config["models"],
        numbers=run_numbers(),
        src=src("summary.py"),
    script:
        "../scripts/summary.py"
