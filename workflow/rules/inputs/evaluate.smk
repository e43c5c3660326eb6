# The input functions of evaluate.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_evaluate_input(wildcards):
    """Model info, its predictions (simulated test, observed_test), and (source simulate) the hidden
    truth of the observed events, joined to observed_test by event_id in evaluate."""
    inputs = {
        "info": results(f"models/{wildcards.model}/model.json"),
        "test": results(f"predictions/{wildcards.model}/test.h5"),
    }
    if "observed" in available_samples():
        inputs["observed"] = results(f"predictions/{wildcards.model}/observed_test.h5")
        if config["source"] == "simulate":
            inputs["observed_truth"] = results("simulated/observed_truth.h5")
    return inputs


def get_model_file(wildcards):
    """The file predict loads (a baseline's model.skops, a net's model.pt): an input, so that a
    replaced model file reruns the predictions (model.json records its SHA-256 as well)."""
    name = "model.skops" if model_entry(wildcards.model)["kind"] == "baseline" else "model.pt"
    return results(f"models/{wildcards.model}/{name}")


# the splits every model predicts (rule predict, or predict_part + gather_predictions)
PREDICTED_SPLITS = ["test", "observed_val", "observed_test"]


def splits_predicted_whole():
    """The splits that `predict` predicts in one job each (all, unless predict_parts > 1)."""
    return PREDICTED_SPLITS if config["evaluation"]["predict_parts"] == 1 else []


def splits_predicted_in_parts():
    """The splits predicted in evaluation.predict_parts parts (`predict_part`, one job per
    part) and gathered (`gather_predictions`), all if predict_parts > 1, else none."""
    return PREDICTED_SPLITS if config["evaluation"]["predict_parts"] > 1 else []


def get_prediction_parts(wildcards):
    """The predictions of a split's parts, in the order of their rows."""
    return [
        results(f"predictions/{wildcards.model}/parts/{wildcards.split}/{k}.h5")
        for k in range(config["evaluation"]["predict_parts"])
    ]


def get_evaluate_shift_input(wildcards):
    """The diagnostics, the observed file they used and the hidden truth (source simulate)."""
    return {
        "diagnostics": rules.shift_diagnostics.output.json,
        "observed": get_shift_input(wildcards)["observed"],
        "observed_truth": results("simulated/observed_truth.h5"),
    }
