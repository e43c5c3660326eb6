# Stage 5: domain adaptation. First the shift diagnostics (iactdl.adapt.shift): how the observation
# differs from the simulation, measured without its truth on observed_train (rule evaluate_shift in
# evaluate.smk puts the hidden truth beside the label-shift estimates), and their figures. Then the
# adapted models (iactdl.adapt.nets, iactdl.adapt.dann). A net entry with an `adapt`
# section trains on the labelled simulations plus the unlabelled observed_train events (rule
# train_adapted); a baseline entry with `adapt: {method: importance}` is fitted on the simulations
# with sample_weight = the domain classifier's clipped odds against observed_train's features
# (rule train_adapted_baseline, iactdl.adapt.importance) and lands in results/models/{model}/ like
# any baseline; the adaptation study (config `adaptation`, target adaptation_study) trains every
# net x method x seed, the target oracles (rule train_oracle: observed_train WITH its hidden truth,
# a reference ceiling, never a method) and writes the adaptation table and figures. Every model is
# scored on observed_test by the rules of evaluate.smk. With config adaptation.lambda_grid, every
# dann/iwdann study model is trained once per lambda_max (candidates {net}~{method}@{lambda}~s{seed})
# and checkpoint select_lambda picks one per seed without truth (the largest Li & Ma significance
# on observed_val); the table and figures show the chosen one, adaptation_lambda_table every one.


include: "inputs/adapt.smk"


# The study's table and figures belong to the paper (target `paper`, not `all`: at the full grid
# the study takes hours on 2 cores; config.yaml's `adaptation` is a one-seed grid for 2 cores,
# config/adaptation_study.yaml the full one). Its oracles train on the observation's truth, which
# only a simulated observation has.
if config["source"] == "simulate" and adaptation_study():
    EXPERIMENT_FIGURES.extend(["adaptation", "adaptation_representation", "adaptation_onoff"])
    EXPERIMENT_TABLES.extend([results("paper/adaptation.csv"), results("paper/adaptation.tex")])
    REPORT_TABLES[results("paper/adaptation.csv")] = {"category": "domain adaptation"}
    if lambda_selection_names():
        EXPERIMENT_TABLES.append(results("paper/adaptation_lambda.csv"))
        REPORT_TABLES[results("paper/adaptation_lambda.csv")] = {"category": "domain adaptation"}


rule shift_diagnostics:
    input:
        unpack(get_shift_input),
    output:
        json=results("shift/diagnostics.json"),
        features=results("shift/features.csv"),
        pixels=results("shift/pixels.csv"),
        samples=results("shift/samples.npz"),
    log:
        results("logs/shift_diagnostics.log"),
    benchmark:
        results("benchmarks/shift_diagnostics.tsv")
    priority: CRITICAL_PATH
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        shift=get_shift_section(),
        seed=seed_for("shift_diagnostics"),
        src=src("shift_diagnostics.py"),
    script:
        "../scripts/shift_diagnostics.py"


rule figure_shift:
    input:
        diagnostics=rules.shift_diagnostics.output.json,
        features=rules.shift_diagnostics.output.features,
        pixels=rules.shift_diagnostics.output.pixels,
        samples=rules.shift_diagnostics.output.samples,
    output:
        features_pdf=results("shift/feature_shift.pdf"),
        features_png=report(
            results("shift/feature_shift.png"),
            caption="../report/feature_shift.rst",
            category="dataset shift",
        ),
        pixels_pdf=results("shift/pixel_shift.pdf"),
        pixels_png=report(
            results("shift/pixel_shift.png"),
            caption="../report/pixel_shift.rst",
            category="dataset shift",
        ),
        label_shift_pdf=results("shift/label_shift.pdf"),
        label_shift_png=report(
            results("shift/label_shift.png"),
            caption="../report/label_shift.rst",
            category="dataset shift",
        ),
    log:
        results("logs/figures/shift.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        quantifier=figure_labels([shift_quantifier()])[shift_quantifier()],
        src=src("figure_shift.py"),
    script:
        "../scripts/figure_shift.py"


use rule train_net as train_adapted with:
    input:
        unpack(get_adapted_input),
    log:
        results("logs/train_adapted/{model}.log"),
    benchmark:
        results("benchmarks/train_adapted/{model}.tsv")
    wildcard_constraints:
        model=one_of(adapted_models(), "NO_ADAPTED_NETS"),
    priority: CRITICAL_PATH
    resources:
        gpu=get_net_gpus,
        mem_mb=8000,
    params:
        seed=get_adapted_seed,
        script="train_adapted.py",
        src=model_src("train_adapted.py"),


rule train_adapted_baseline:
    input:
        unpack(get_adapted_baseline_input),
    output:
        model=results("models/{model}/model.skops"),
        info=results("models/{model}/model.json"),
        cv=results("models/{model}/cv.csv"),
    log:
        results("logs/train_adapted_baseline/{model}.log"),
    benchmark:
        results("benchmarks/train_adapted_baseline/{model}.tsv")
    wildcard_constraints:
        model=one_of(adapted_baselines(), "NO_ADAPTED_BASELINES"),
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        entry=get_model_entry,
        seed=get_adapted_baseline_seed,
        src=model_src("train_adapted_baseline.py"),
    script:
        "../scripts/train_adapted_baseline.py"


# Augmentation (iactdl.adapt.augment): the observed camera's night sky, gain and trigger time
# placement estimated from observed_train's own events (no truth) against the simulated training
# split, then the labelled samples re-simulated through that camera (same showers and seed) and
# built into results/augmented/datasets/ by extract, build_features and split_dataset's rules. An
# entry with `adapt: {method: augment}` (baseline or net) trains as the plain one on those.
if config["source"] == "simulate" and "observed" in available_samples():

    rule estimate_detector:
        input:
            observed=results("datasets/observed_train.h5"),
            simulated=results("datasets/train.h5"),
        output:
            json=results("augment/detector.json"),
        log:
            results("logs/estimate_detector.log"),
        benchmark:
            results("benchmarks/estimate_detector.tsv")
        conda:
            "../../envs/cpu.yaml"
        threads: 1
        params:
            simulation=config["simulation"],
            src=src("estimate_detector.py"),
        script:
            "../scripts/estimate_detector.py"

    rule simulate_augmented:
        input:
            detector=rules.estimate_detector.output.json,
        output:
            events=results("augmented/simulated/{sample}.h5"),
        log:
            results("logs/simulate_augmented/{sample}.log"),
        benchmark:
            results("benchmarks/simulate_augmented/{sample}.tsv")
        wildcard_constraints:
            sample="gamma|gamma_diffuse|proton",
        conda:
            "../../envs/cpu.yaml"
        params:
            sample="{sample}",
            simulation=config["simulation"],
            seed=get_simulate_seed,
            src=src("simulate_augmented.py"),
        script:
            "../scripts/simulate_augmented.py"

    use rule extract as extract_augmented with:
        input:
            events=results("augmented/simulated/{sample}.h5"),
        output:
            events=results("augmented/events/{sample}.h5"),
        log:
            results("logs/extract_augmented/{sample}.log"),
        benchmark:
            results("benchmarks/extract_augmented/{sample}.tsv")
        wildcard_constraints:
            sample="gamma|gamma_diffuse|proton",

    use rule build_features as build_features_augmented with:
        input:
            events=results("augmented/events/{sample}.h5"),
        output:
            features=results("augmented/features/{sample}.h5"),
        log:
            results("logs/build_features_augmented/{sample}.log"),
        benchmark:
            results("benchmarks/build_features_augmented/{sample}.tsv")
        wildcard_constraints:
            sample="gamma|gamma_diffuse|proton",

    use rule split_dataset as split_augmented with:
        input:
            unpack(get_augmented_features),
        output:
            train=results("augmented/datasets/train.h5"),
            val=results("augmented/datasets/val.h5"),
            test=results("augmented/datasets/test.h5"),
        log:
            results("logs/split_augmented.log"),
        benchmark:
            results("benchmarks/split_augmented.tsv")


use rule train_net as train_oracle with:
    input:
        unpack(get_oracle_input),
    log:
        results("logs/train_oracle/{model}.log"),
    benchmark:
        results("benchmarks/train_oracle/{model}.tsv")
    wildcard_constraints:
        model=one_of(oracle_models(), "NO_ORACLES"),
    params:
        seed=get_oracle_seed,
        script="train_oracle.py",
        src=model_src("train_oracle.py"),


# A checkpoint: the figures show the chosen candidate, known once it has run (chosen_model).
checkpoint select_lambda:
    input:
        unpack(get_select_lambda_input),
    output:
        json=results("adaptation/{selection}/lambda.json"),
    log:
        results("logs/select_lambda/{selection}.log"),
    wildcard_constraints:
        selection=one_of(lambda_selection_names(), "NO_LAMBDA_GRID"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        candidates=get_lambda_candidates,
        n_bootstrap=config["evaluation"]["n_bootstrap"],
        seed=get_select_lambda_seed,
        src=src("select_lambda.py"),
    script:
        "../scripts/select_lambda.py"


rule adaptation_lambda_table:
    input:
        unpack(get_lambda_table_input),
    output:
        csv=results("paper/adaptation_lambda.csv"),
    log:
        results("logs/adaptation_lambda_table.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=adaptation_study(),
        src=src("adaptation_lambda_table.py"),
    script:
        "../scripts/adaptation_lambda_table.py"


rule adaptation_table:
    input:
        unpack(get_adaptation_table_input),
    output:
        csv=results("paper/adaptation.csv"),
        tex=results("paper/adaptation.tex"),
        pdf=results("figures/adaptation.pdf"),
        png=report(
            results("figures/adaptation.png"),
            caption="../report/adaptation.rst",
            category="domain adaptation",
        ),
    log:
        results("logs/adaptation_table.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=adaptation_study(),
        src=src("adaptation_table.py"),
    script:
        "../scripts/adaptation_table.py"


rule figure_adaptation_representation:
    input:
        unpack(get_representation_input),
    output:
        pdf=results("figures/adaptation_representation.pdf"),
        png=report(
            results("figures/adaptation_representation.png"),
            caption="../report/adaptation_representation.rst",
            category="domain adaptation",
        ),
    log:
        results("logs/figures/adaptation_representation.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=get_representation_models,
        seed=seed_for("figure_adaptation_representation"),
        src=src("figure_adaptation_representation.py"),
    script:
        "../scripts/figure_adaptation_representation.py"


rule figure_adaptation_onoff:
    input:
        unpack(get_onoff_figure_input),
    output:
        pdf=results("figures/adaptation_onoff.pdf"),
        png=report(
            results("figures/adaptation_onoff.png"),
            caption="../report/adaptation_onoff.rst",
            category="domain adaptation",
        ),
    log:
        results("logs/figures/adaptation_onoff.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=get_representation_models,
        src=src("figure_adaptation_onoff.py"),
    script:
        "../scripts/figure_adaptation_onoff.py"


rule adaptation_study:
    input:
        rules.adaptation_table.output,
        rules.figure_adaptation_representation.output,
        rules.figure_adaptation_onoff.output,
        get_lambda_grid_output,
