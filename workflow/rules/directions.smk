# The direction task and the observation's headline. The disp baseline (iactdl.models.disp) trains
# on the diffuse gammas of the training split (rule train_disp) and is scored on the test split's
# gammas, point-like and diffuse, beside every net with a direction head (config
# models.<net>.direction_head: its test predictions carry the source position) (rule
# evaluate_directions, figure angular_resolution with FACT's own below). The same model reconstructs every observed event's direction, which gives it its
# ON/OFF region (rules stream_observed, split_observed: iactdl.observed_regions). Per separation
# model: DL3 of observed_val and observed_test in FACT's layout (rule dl3), the theta^2 and gammaness
# cuts chosen on observed_val without truth (directions.theta2_cuts) and the theta^2 analysis of
# observed_test (rule theta2), its plot, and one table of every model's significance per sqrt(hour)
# (rule significance_table).


include: "inputs/directions.smk"


PAPER_FIGURES.append("angular_resolution")
PAPER_FIGURES.extend(f"theta2/{m}" for m in dl3_models())
FIGURE_NOTES.update(
    {
        f"theta2/{m}": f"theta^2 plot of {label} on observed_test (cut chosen on observed_val)."
        for m, label in figure_labels(dl3_models()).items()
    }
)
if dl3_models():
    PAPER_TABLES.extend([results("paper/significance.csv"), results("paper/significance.tex")])
    REPORT_TABLES[results("paper/significance.csv")] = {
        "category": "directions",
        "subcategory": "significance",
    }


rule train_disp:
    input:
        train=results("datasets/train.h5"),
    output:
        info=results("directions/disp/model.json"),
        model=results("directions/disp/model.skops"),
    log:
        results("logs/train_disp.log"),
    benchmark:
        results("benchmarks/train_disp.tsv")
    # first among the trainings: the observation's stream (critical path) reconstructs directions
    # with it
    priority: CRITICAL_PATH
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    params:
        disp=config["directions"]["disp"],
        seed=seed_for("train_disp"),
        src=src("train_disp.py"),
    script:
        "../scripts/train_disp.py"


rule evaluate_directions:
    input:
        info=rules.train_disp.output.info,
        model=rules.train_disp.output.model,
        dataset=results("datasets/test.h5"),
        predictions=get_direction_predictions,
    output:
        metrics=results("metrics/directions.json"),
    log:
        results("logs/evaluate_directions.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        n_energy_bins=config["evaluation"]["n_energy_bins"],
        min_events=config["evaluation"]["min_events_per_bin"],
        nets=direction_nets(),
        src=src("evaluate_directions.py"),
    script:
        "../scripts/evaluate_directions.py"


rule figure_angular_resolution:
    input:
        metrics=rules.evaluate_directions.output.metrics,
    output:
        pdf=results("figures/angular_resolution.pdf"),
        png=report(
            results("figures/angular_resolution.png"),
            caption="../report/angular_resolution.rst",
            category="directions",
        ),
    log:
        results("logs/figures/angular_resolution.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        labels=figure_labels(direction_nets()),
        src=src("figure_angular_resolution.py"),
    script:
        "../scripts/figure_angular_resolution.py"


rule dl3:
    input:
        unpack(get_dl3_input),
    output:
        dl3=results("dl3/{model}/{split}.h5"),
    log:
        results("logs/dl3/{model}/{split}.log"),
    wildcard_constraints:
        split="observed_val|observed_test",
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("dl3.py"),
    script:
        "../scripts/dl3.py"


rule theta2:
    input:
        val=results("dl3/{model}/observed_val.h5"),
        test=results("dl3/{model}/observed_test.h5"),
    output:
        analysis=results("dl3/{model}/theta2.json"),
    log:
        results("logs/theta2/{model}.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        theta2_cuts=theta2_cut_candidates(),
        wobble_offset_deg=theta2_wobble_offset(),
        src=src("theta2.py"),
    script:
        "../scripts/theta2.py"


rule figure_theta2:
    input:
        analysis=rules.theta2.output.analysis,
    output:
        pdf=results("figures/theta2/{model}.pdf"),
        png=report(
            results("figures/theta2/{model}.png"),
            caption="../report/theta2.rst",
            category="directions",
            subcategory="theta2",
        ),
    log:
        results("logs/figures/theta2/{model}.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        label=figure_label_of(dl3_models()),
        src=src("figure_theta2.py"),
    script:
        "../scripts/figure_theta2.py"


rule significance_table:
    input:
        analyses=get_significance_input,
    output:
        csv=results("paper/significance.csv"),
        tex=results("paper/significance.tex"),
    log:
        results("logs/significance_table.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=dl3_models(),
        entries=canonical({m: config["models"][m] for m in dl3_models()}),
        src=src("significance_table.py"),
    script:
        "../scripts/significance_table.py"
