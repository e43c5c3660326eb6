# Stage 7a: predict and evaluate. Every model (baseline or net, stage 5's and stage 6's included:
# iactdl.models.load_model dispatches on model.json) predicts the simulated test split and, where
# there is one, observed_test (the only observed events any model is scored on) and, for the
# truth-free choices of stages 5 and 6 (lambda selection, Li & Ma thresholds), observed_val: every
# prediction of a model lies in results/predictions/{model}/{split}.h5; `evaluate` turns them into
# results/metrics/{model}.json. `evaluate` is the ONLY rule that reads the observed truth
# (results("simulated/observed_truth.h5"), source simulate only), joined by event_id, besides
# `evaluate_shift`, which puts it beside the label-shift estimates of the shift diagnostics.
# With evaluation.predict_parts N > 1 a split is predicted in N parts of its rows instead, one
# `predict_part` job each (a cluster runs them in parallel), and `gather_predictions` writes the
# same predictions file from them: what reads predictions does not change.


include: "inputs/evaluate.smk"


rule predict:
    input:
        info=results("models/{model}/model.json"),
        model=get_model_file,
        dataset=results("datasets/{split}.h5"),
    output:
        predictions=results("predictions/{model}/{split}.h5"),
    log:
        results("logs/predict/{model}/{split}.log"),
    benchmark:
        results("benchmarks/predict/{model}/{split}.tsv")
    wildcard_constraints:
        split=one_of(splits_predicted_whole(), "NO_SPLITS"),
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        chunk_size=config["evaluation"]["chunk_size"],
        src=model_src("predict.py"),
    script:
        "../scripts/predict.py"


# Part {part} of N = evaluation.predict_parts: the rows [part n // N, (part + 1) n // N) of the
# split's n events, counted when the job runs (planning reads no file). Kept until gathered.
rule predict_part:
    input:
        info=results("models/{model}/model.json"),
        model=get_model_file,
        dataset=results("datasets/{split}.h5"),
    output:
        predictions=temp(results("predictions/{model}/parts/{split}/{part}.h5")),
    log:
        results("logs/predict_part/{model}/{split}/{part}.log"),
    benchmark:
        results("benchmarks/predict_part/{model}/{split}/{part}.tsv")
    wildcard_constraints:
        split=one_of(splits_predicted_in_parts(), "NO_SPLITS"),
        part=r"\d+",
    conda:
        "../../envs/cpu.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=4000,
    params:
        chunk_size=config["evaluation"]["chunk_size"],
        parts=config["evaluation"]["predict_parts"],
        src=model_src("predict.py"),
    script:
        "../scripts/predict.py"


rule gather_predictions:
    input:
        parts=get_prediction_parts,
    output:
        predictions=results("predictions/{model}/{split}.h5"),
    log:
        results("logs/gather_predictions/{model}/{split}.log"),
    benchmark:
        results("benchmarks/gather_predictions/{model}/{split}.tsv")
    wildcard_constraints:
        split=one_of(splits_predicted_in_parts(), "NO_SPLITS"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        chunk_size=config["evaluation"]["chunk_size"],
        src=src("gather_predictions.py"),
    script:
        "../scripts/gather_predictions.py"


rule evaluate:
    input:
        unpack(get_evaluate_input),
    output:
        metrics=results("metrics/{model}.json"),
    log:
        results("logs/evaluate/{model}.log"),
    benchmark:
        results("benchmarks/evaluate/{model}.tsv")
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        evaluation=config["evaluation"],
        seed=get_evaluate_seed,
        src=model_src("evaluate.py"),
    script:
        "../scripts/evaluate.py"


# The hidden truth beside the label-shift estimates of rule shift_diagnostics (adapt.smk): the true
# gamma fraction of observed_train overall, in ON and in OFF (iactdl.adapt.shift.evaluation).
rule evaluate_shift:
    input:
        unpack(get_evaluate_shift_input),
    output:
        evaluation=results("shift/evaluation.json"),
    log:
        results("logs/evaluate_shift.log"),
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    params:
        src=src("evaluate_shift.py"),
    script:
        "../scripts/evaluate_shift.py"
