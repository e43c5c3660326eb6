# The shift study (issue 21 part 3; config `shift_study`, target shift_study; in `paper`, not in
# `all`, at the size of config.yaml's section: issue 22): for each physical shift of the observation alone and all together
# (iactdl.adapt.shift_study), its own simulated observation under results/shift_study/{shift}/,
# and on it every model x method x seed: source-only (the config model, only predicting),
# importance weighting, DANN, IW-DANN, stage 6's ON/OFF model, the joint model, and the oracle
# (reference). No new training code: each rule below is the stage's own rule (`use rule ... as
# shift_study_...`) with the observation's files as inputs and outputs, so a study model trains
# exactly as its stage trains it. Only the rules whose names say oracle (and evaluate, which
# scores) read an observation's truth; the table chooses every cut on observed_val without it.


include: "inputs/shift_study.smk"


# Its table and figure belong to the paper (target `paper`, not `all`: 4 observations and their
# models cost about as much as the rest of `paper` on 2 cores), with the caption numbers the
# article quotes (EXPERIMENT_NUMBERS). Only a simulated observation has the truth it needs.
if shift_study_entries():
    EXPERIMENT_FIGURES.append("shift_study")
    EXPERIMENT_TABLES.extend([results("paper/shift_study.csv"), results("paper/shift_study.tex")])
    EXPERIMENT_NUMBERS.append(
        (results("shift_study/numbers.json"), results("shift_study/numbers.tex"))
    )


if config["source"] == "simulate":

    # the default observation's seeds: each observation draws the same showers, up to what its
    # shift changes (the trigger's selection, the images)
    use rule stream_observed as shift_study_stream with:
        output:
            train=results("shift_study/{shift}/datasets/observed_train.h5"),
            train_images=results("shift_study/{shift}/datasets/observed_train_images.h5"),
            val=results("shift_study/{shift}/datasets/observed_val.h5"),
            test=results("shift_study/{shift}/datasets/observed_test.h5"),
            truth=results("shift_study/{shift}/simulated/observed_truth.h5"),
        log:
            results("logs/shift_study/{shift}/stream_observed.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/stream_observed.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
        params:
            simulation=get_shift_simulation,

    # iwdann's observed gamma fraction, estimated on the observation's own observed_train
    use rule shift_diagnostics as shift_study_diagnostics with:
        input:
            unpack(get_shift_diagnostics_input),
        output:
            json=results("shift_study/{shift}/shift/diagnostics.json"),
            features=results("shift_study/{shift}/shift/features.csv"),
            pixels=results("shift_study/{shift}/shift/pixels.csv"),
            samples=results("shift_study/{shift}/shift/samples.npz"),
        log:
            results("logs/shift_study/{shift}/shift_diagnostics.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/shift_diagnostics.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),

    use rule train_adapted_baseline as shift_study_train_adapted_baseline with:
        input:
            unpack(get_shift_adapted_baseline_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.skops"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            cv=results("shift_study/{shift}/models/{model}/cv.csv"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_adapted_baseline"), "NO_MODELS"),
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            src=shift_src("train_adapted_baseline.py"),

    use rule train_onoff as shift_study_train_onoff with:
        input:
            train=results("shift_study/{shift}/datasets/observed_train.h5"),
        output:
            model=results("shift_study/{shift}/models/{model}/model.skops"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            cv=results("shift_study/{shift}/models/{model}/cv.csv"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_onoff"), "NO_MODELS"),
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            src=shift_src("train_onoff.py"),

    use rule train_joint as shift_study_train_joint with:
        input:
            unpack(get_shift_joint_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.skops"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            cv=results("shift_study/{shift}/models/{model}/cv.csv"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_joint"), "NO_MODELS"),
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            src=shift_src("train_joint.py"),

    # reference only: the estimator on the observation's truth (stage 6's oracle fit)
    use rule train_onoff_oracle as shift_study_train_onoff_oracle with:
        input:
            unpack(get_shift_oracle_baseline_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.skops"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_onoff_oracle"), "NO_MODELS"),
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            src=shift_src("train_onoff_oracle.py"),

    # the nets: train_net's rules (deepnets.smk) with the observation's files; each names its
    # script through train_net's params.script
    use rule train_adapted as shift_study_train_adapted with:
        input:
            unpack(get_shift_adapted_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.pt"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            history=results("shift_study/{shift}/models/{model}/history.csv"),
            checkpoint=results("shift_study/{shift}/models/{model}/checkpoint.pt"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_adapted"), "NO_MODELS"),
        resources:
            gpu=get_shift_study_gpus,
            mem_mb=8000,
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            resume=results("shift_study/{shift}/checkpoints/{model}.pt"),
            src=shift_src("train_adapted.py"),

    use rule train_onoff_net as shift_study_train_onoff_net with:
        input:
            unpack(get_shift_onoff_net_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.pt"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            history=results("shift_study/{shift}/models/{model}/history.csv"),
            checkpoint=results("shift_study/{shift}/models/{model}/checkpoint.pt"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_onoff_net"), "NO_MODELS"),
        resources:
            gpu=get_shift_study_gpus,
            mem_mb=6000,
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            resume=results("shift_study/{shift}/checkpoints/{model}.pt"),
            src=shift_src("train_onoff_net.py"),

    use rule train_joint_net as shift_study_train_joint_net with:
        input:
            unpack(get_shift_joint_net_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.pt"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            history=results("shift_study/{shift}/models/{model}/history.csv"),
            checkpoint=results("shift_study/{shift}/models/{model}/checkpoint.pt"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_joint_net"), "NO_MODELS"),
        resources:
            gpu=get_shift_study_gpus,
            mem_mb=6000,
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            resume=results("shift_study/{shift}/checkpoints/{model}.pt"),
            src=shift_src("train_joint_net.py"),

    # reference only: the net on the observation's truth
    use rule train_oracle as shift_study_train_oracle with:
        input:
            unpack(get_shift_oracle_input),
        output:
            model=results("shift_study/{shift}/models/{model}/model.pt"),
            info=results("shift_study/{shift}/models/{model}/model.json"),
            history=results("shift_study/{shift}/models/{model}/history.csv"),
            checkpoint=results("shift_study/{shift}/models/{model}/checkpoint.pt"),
        log:
            results("logs/shift_study/{shift}/train/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/train/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names("train_oracle"), "NO_MODELS"),
        resources:
            gpu=get_shift_study_gpus,
            mem_mb=6000,
        params:
            entry=get_shift_study_entry,
            seed=get_shift_study_seed,
            resume=results("shift_study/{shift}/checkpoints/{model}.pt"),
            src=shift_src("train_oracle.py"),

    use rule predict as shift_study_predict with:
        input:
            unpack(get_shift_predict_input),
        output:
            predictions=results("shift_study/{shift}/predictions/{model}/{split}.h5"),
        log:
            results("logs/shift_study/{shift}/predict/{model}/{split}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/predict/{model}/{split}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names(), "NO_MODELS"),
            split="test|observed_val|observed_test",
        params:
            src=shift_src("predict.py"),

    use rule evaluate as shift_study_evaluate with:
        input:
            unpack(get_shift_evaluate_input),
        output:
            metrics=results("shift_study/{shift}/metrics/{model}.json"),
        log:
            results("logs/shift_study/{shift}/evaluate/{model}.log"),
        benchmark:
            results("benchmarks/shift_study/{shift}/evaluate/{model}.tsv")
        wildcard_constraints:
            shift=one_of(shift_observations(), "NO_SHIFTS"),
            model=one_of(shift_study_names(), "NO_MODELS"),
        params:
            src=shift_src("evaluate.py"),


rule shift_study_table:
    input:
        unpack(get_shift_table_input),
    output:
        csv=results("paper/shift_study.csv"),
        tex=results("paper/shift_study.tex"),
        numbers=results("shift_study/numbers.json"),
        numbers_tex=results("shift_study/numbers.tex"),
        pdf=results("figures/shift_study.pdf"),
        png=report(
            results("figures/shift_study.png"),
            caption="../report/shift_study.rst",
            category="dataset shift",
        ),
    log:
        results("logs/shift_study_table.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        entries=shift_study_entries(),
        labels=shift_study_labels(),
        numbers=shift_study_numbers(),
        src=src("shift_study_table.py"),
    script:
        "../scripts/shift_study_table.py"


# the table as a page the report shows (paper.smk, rule table_html_shift_study)
REPORT_TABLES[results("paper/shift_study.csv")] = {
    "category": "dataset shift",
    "numbers": shift_study_numbers(),
}


rule shift_study:
    input:
        rules.shift_study_table.output,
        results("paper/shift_study.html"),
