# Stage 6: learning from ON/OFF labels with class-conditional label-noise correction (Menon et al.
# 2015; iactdl.labelnoise.correction, iactdl.labelnoise.baselines, iactdl.labelnoise.nets). A model entry with a
# `labelnoise` section is trained on observed_train (pixel nets: observed_train_images) with label
# ON (region 0) = 1, OFF = 0, never on truth (baselines: train_onoff; nets: train_onoff_net,
# validated on observed_val's ON/OFF labels), and predicts the corrected gammaness (and p_on). Its
# oracle, model {model}~oracle (the same estimator or net on the truth of the same observed_train
# events), is reference only, trained by the rules whose name says oracle, and lands in
# results/models/ like any model; rule predict (evaluate.smk) writes every model's predictions,
# observed_val's too, to results/predictions/{model}/. evaluate_labelnoise, like evaluate, reads
# the hidden truth to score observed_test; thresholds are chosen on observed_val without truth.
# labelnoise_comparison builds the paper's central comparison.


include: "inputs/labelnoise.smk"


# this stage's figures and table in the paper's lists (the report, results/paper/figures.md and
# the article read them)
if onoff_models() and measured_models():
    PAPER_TABLES.extend([results("paper/comparison.csv"), results("paper/comparison.tex")])
    REPORT_TABLES[results("paper/comparison.csv")] = {"category": "label noise"}
if onoff_models():
    PAPER_FIGURES.append("comparison")
    for _model, _label in figure_labels(onoff_models()).items():
        PAPER_FIGURES.append(f"reliability_{_model}")
        FIGURE_NOTES[f"reliability_{_model}"] = (
            f"Reliability of the gammaness of {_label} on observed_test before and after Menon's "
            "correction, beside its oracle's: the correction should bring it onto the diagonal."
        )


# rho_plus = P(OFF | gamma, in a region) of the known-alpha correction: the simulated point-like
# gammas (a source at the wobble position) through the observation's region labeller, counted
# (iactdl.labelnoise.leak); simulations and the disp model only, no observed event.
rule signal_leak:
    input:
        info=rules.train_disp.output.info,
        model=rules.train_disp.output.model,
        datasets=expand(results("datasets/{split}.h5"), split=["train", "val", "test"]),
    output:
        json=results("labelnoise/signal_leak.json"),
    log:
        results("logs/signal_leak.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        directions=get_labeller_directions(),
        src=src("signal_leak.py"),
    script:
        "../scripts/signal_leak.py"


rule train_onoff:
    input:
        unpack(get_onoff_input),
    output:
        model=results("models/{model}/model.skops"),
        info=results("models/{model}/model.json"),
        cv=results("models/{model}/cv.csv"),
    log:
        results("logs/train_onoff/{model}.log"),
    benchmark:
        results("benchmarks/train_onoff/{model}.tsv")
    wildcard_constraints:
        model=one_of(onoff_baselines(), "NO_ONOFF_BASELINES"),
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        entry=get_model_entry,
        seed=get_onoff_seed,
        src=model_src("train_onoff.py"),
    script:
        "../scripts/train_onoff.py"


rule train_onoff_oracle:
    input:
        train=results("datasets/observed_train.h5"),
        truth=results("simulated/observed_truth.h5"),
    output:
        model=results("models/{model}~oracle/model.skops"),
        info=results("models/{model}~oracle/model.json"),
    log:
        results("logs/train_onoff_oracle/{model}.log"),
    benchmark:
        results("benchmarks/train_onoff_oracle/{model}.tsv")
    wildcard_constraints:
        model=one_of(onoff_baselines(), "NO_ONOFF_BASELINES"),
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        entry=get_model_entry,
        seed=get_onoff_seed,
        src=model_src("train_onoff_oracle.py"),
    script:
        "../scripts/train_onoff_oracle.py"


# train_net's outputs, resources and resume (deepnets.smk), on the ON/OFF labels
use rule train_net as train_onoff_net with:
    input:
        unpack(get_onoff_net_input),
    log:
        results("logs/train_onoff_net/{model}.log"),
    benchmark:
        results("benchmarks/train_onoff_net/{model}.tsv")
    wildcard_constraints:
        model=one_of(onoff_nets(), "NO_ONOFF_NETS"),
    params:
        seed=get_onoff_seed,
        script="train_onoff_net.py",
        src=model_src("train_onoff_net.py"),


# the same net on the truth of the same observed events: train_oracle (adapt.smk) into the model
# {model}~oracle, with the ON/OFF net's seed, so that the two differ by their labels alone
use rule train_oracle as train_onoff_oracle_net with:
    output:
        model=results("models/{model}~oracle/model.pt"),
        info=results("models/{model}~oracle/model.json"),
        history=results("models/{model}~oracle/history.csv"),
        checkpoint=results("models/{model}~oracle/checkpoint.pt"),
    log:
        results("logs/train_onoff_oracle_net/{model}.log"),
    benchmark:
        results("benchmarks/train_onoff_oracle_net/{model}.tsv")
    wildcard_constraints:
        model=one_of(onoff_nets(), "NO_ONOFF_NETS"),
    params:
        seed=get_onoff_seed,
        resume=results("checkpoints/{model}~oracle.pt"),
        script="train_oracle.py",
        src=model_src("train_oracle.py"),


# Joint models (a `joint` section; iactdl.labelnoise.joint): simulated labels and observed_train's
# ON/OFF labels in one model, no truth. A baseline is one fit of both (a domain column, the ON/OFF
# events' loss weighted w, read in the observed domain and Menon-corrected); a net
# minimises the simulated cross-entropy + w x the Menon-linked ON/OFF cross-entropy.
rule train_joint:
    input:
        **signal_leak_input(),
        train=results("datasets/train.h5"),
        observed=results("datasets/observed_train.h5"),
    output:
        model=results("models/{model}/model.skops"),
        info=results("models/{model}/model.json"),
        cv=results("models/{model}/cv.csv"),
    log:
        results("logs/train_joint/{model}.log"),
    benchmark:
        results("benchmarks/train_joint/{model}.tsv")
    wildcard_constraints:
        model=one_of(joint_baselines(), "NO_JOINT_BASELINES"),
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        entry=get_model_entry,
        seed=get_joint_seed,
        src=model_src("train_joint.py"),
    script:
        "../scripts/train_joint.py"


use rule train_net as train_joint_net with:
    input:
        unpack(get_joint_net_input),
    log:
        results("logs/train_joint_net/{model}.log"),
    benchmark:
        results("benchmarks/train_joint_net/{model}.tsv")
    wildcard_constraints:
        model=one_of(joint_nets(), "NO_JOINT_NETS"),
    params:
        seed=get_joint_seed,
        script="train_joint_net.py",
        src=model_src("train_joint_net.py"),


rule evaluate_labelnoise:
    input:
        unpack(get_labelnoise_measurement_input),
    output:
        measurement=results("labelnoise/{model}/measurement.json"),
    log:
        results("logs/evaluate_labelnoise/{model}.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        evaluation=config["evaluation"],
        seed=get_evaluate_seed,
        src=model_src("evaluate_labelnoise.py"),
    script:
        "../scripts/evaluate_labelnoise.py"


rule figure_reliability:
    input:
        measurement=results("labelnoise/{model}/measurement.json"),
    output:
        pdf=results("figures/reliability_{model}.pdf"),
        png=report(
            results("figures/reliability_{model}.png"),
            caption="../report/reliability.rst",
            category="label noise",
        ),
    log:
        results("logs/figures/reliability_{model}.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        label=figure_label_of(onoff_models()),
        src=model_src("figure_reliability.py"),
    script:
        "../scripts/figure_reliability.py"


rule labelnoise_comparison:
    input:
        **get_comparison_input(),
    output:
        csv=results("paper/comparison.csv"),
        tex=results("paper/comparison.tex"),
        pdf=results("figures/comparison.pdf"),
        png=report(
            results("figures/comparison.png"),
            caption="../report/comparison.rst",
            category="label noise",
        ),
    log:
        results("logs/labelnoise_comparison.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        models=measured_models(),
        scored=comparison_scored(),
        oracles=comparison_oracles(),
        entries=config["models"],
        n_bootstrap=config["evaluation"]["n_bootstrap"],
        seed=seed_for("labelnoise_comparison"),
        numbers=run_numbers(),
        src=src("labelnoise_comparison.py"),
    script:
        "../scripts/labelnoise_comparison.py"
