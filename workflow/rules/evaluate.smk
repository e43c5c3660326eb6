# Stage 7a: predict and evaluate. Every model (baseline or net: iactdl.models.load_model dispatches
# on model.json's kind) predicts the simulated test split and, where there is one, the observed
# sample; `evaluate` turns the predictions into results/metrics/{model}.json. `evaluate` is the ONLY
# rule that reads the observed truth (data/simulated/observed_truth.h5, source simulate only).


def prediction_splits():
    """The dataset files every model predicts: the simulated test split, and observed if present."""
    return ["test"] + (["observed"] if "observed" in available_samples() else [])


def get_evaluate_input(wildcards):
    """Model info, its predictions, and (source simulate) the hidden truth of the observed events."""
    inputs = {
        "info": f"results/models/{wildcards.model}/model.json",
        "test": f"results/predictions/{wildcards.model}/test.h5",
    }
    if "observed" in available_samples():
        inputs["observed"] = f"results/predictions/{wildcards.model}/observed.h5"
        if config["source"] == "simulate":
            inputs["observed_truth"] = "data/simulated/observed_truth.h5"
    return inputs


def get_predict_src(wildcards):
    """Source hash of the code a model's predictions depend on (nets: the whole models package)."""
    if config["models"][wildcards.model]["kind"] == "baseline":
        return src("evaluate.predictions", "models.baselines", "models.derived", "io")
    return src("evaluate.predictions", "models", "io")


def get_evaluate_seed(wildcards):
    """Seed of the bootstrap of one model's AUC uncertainty."""
    return seed_for("evaluate", wildcards.model)


rule predict:
    input:
        info="results/models/{model}/model.json",
        dataset="results/datasets/{split}.h5",
    output:
        predictions="results/predictions/{model}/{split}.h5",
    log:
        "logs/predict/{model}/{split}.log",
    benchmark:
        "results/benchmarks/predict/{model}/{split}.tsv"
    wildcard_constraints:
        split="test|observed",
    conda:
        "../../envs/cpu.yaml"
    threads: 2
    resources:
        mem_mb=4000,
    params:
        chunk_size=config["evaluation"].get("chunk_size", 4096),
        src=get_predict_src,
    script:
        "../scripts/predict.py"


rule evaluate:
    input:
        unpack(get_evaluate_input),
    output:
        metrics="results/metrics/{model}.json",
    log:
        "logs/evaluate/{model}.log",
    benchmark:
        "results/benchmarks/evaluate/{model}.tsv"
    conda:
        "../../envs/cpu.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        evaluation=config["evaluation"],
        seed=get_evaluate_seed,
        src=src(
            "evaluate.evaluation",
            "evaluate.metrics",
            "evaluate.energy",
            "evaluate.significance",
            "io",
        ),
    script:
        "../scripts/evaluate.py"
