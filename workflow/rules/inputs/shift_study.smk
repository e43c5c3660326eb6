# The input functions of shift_study.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.
from iactdl.adapt.shift_study import (
    parse_shift_study_name,
    shift_study_entry,
    shift_study_models,
    shifted_simulation,
    trainer_of,
)


def shift_study_section():
    """Config `shift_study` (schema defaults fill what it leaves out)."""
    return config["shift_study"]


def shift_observations():
    """The study's observations (a shift's name, or all): a simulated observation only, whose
    truth the evaluation and the oracles need."""
    if config["source"] != "simulate" or "observed" not in available_samples():
        return []
    return list(shift_study_section()["shifts"])


def shift_study_names(*trainers):
    """The study's models on each observation ({model}~{method}~s{seed}); with ``trainers``,
    those that these rules train (None: source, predicted by the config model itself)."""
    names = shift_study_models(config["models"], shift_study_section())
    if not trainers:
        return names
    return [n for n in names if trainer_of(n, config["models"]) in trainers]


def shift_file(wildcards, path):
    """``path`` in the folder of the job's observation, results/shift_study/{shift}/."""
    return results(f"shift_study/{wildcards.shift}/{path}")


def get_shift_study_entry(wildcards):
    """The entry of the job's study model (iactdl.adapt.shift_study.shift_study_entry)."""
    return canonical(shift_study_entry(wildcards.model, config["models"], shift_study_section()))


def get_shift_study_seed(wildcards):
    """The training seed of one study model: the same on every observation, so that the
    observations' models differ by their data alone."""
    return seed_for("shift_study", wildcards.model)


def get_shift_study_gpus(wildcards):
    """GPUs a study net asks for (its entry's `gpu`)."""
    return int(get_shift_study_entry(wildcards).get("gpu", 0))


def shift_src(script):
    """:func:`model_src` with the study model's entry."""
    return model_src(script, entry_of=get_shift_study_entry)


def get_shift_simulation(wildcards):
    """The observation's `simulation` section: the job's shift alone switched on (all: every
    one), at shift_study.hours (null: the observation's)."""
    sim = shifted_simulation(
        get_observed_simulation(), wildcards.shift, shift_study_section()["hours"]
    )
    return canonical(sim)


def _study_observed_train(wildcards):
    """The observation's observed_train with the study net's inputs (images or features)."""
    return observed_train_file(
        get_shift_study_entry(wildcards), datasets=f"shift_study/{wildcards.shift}/datasets"
    )


def get_shift_diagnostics_input(wildcards):
    """get_shift_input (adapt.smk) with the observation's observed_train."""
    inputs = get_shift_input(wildcards)
    inputs["observed"] = shift_file(wildcards, "datasets/observed_train.h5")
    if "observed_images" in inputs:
        inputs["observed_images"] = shift_file(wildcards, "datasets/observed_train_images.h5")
    return inputs


def get_shift_adapted_baseline_input(wildcards):
    """The simulated splits and the observation's observed_train (the domain classifier's
    target sample: features only, no truth)."""
    return {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "weight_target": shift_file(wildcards, "datasets/observed_train.h5"),
    }


def get_shift_adapted_input(wildcards):
    """get_adapted_input (adapt.smk) on the observation: its observed_train as the target
    stream and, for iwdann, its own shift diagnostics (the observed gamma fraction)."""
    inputs = get_shift_adapted_baseline_input(wildcards)
    inputs["target"] = _study_observed_train(wildcards)
    adapt = get_shift_study_entry(wildcards)["adapt"]
    if adapt.get("method", "dann") == "iwdann" and adapt.get("target_prior") is None:
        inputs["diagnostics"] = shift_file(wildcards, "shift/diagnostics.json")
    return inputs


def get_shift_onoff_net_input(wildcards):
    """The observation's observed_train and observed_val: ON/OFF labels, no truth."""
    return {
        "train": _study_observed_train(wildcards),
        "val": shift_file(wildcards, "datasets/observed_val.h5"),
    }


def get_shift_joint_input(wildcards):
    """The simulated training split and the observation's observed_train (its ON/OFF labels)."""
    return {
        "train": results("datasets/train.h5"),
        "observed": shift_file(wildcards, "datasets/observed_train.h5"),
    }


def get_shift_joint_net_input(wildcards):
    """get_joint_net_input (labelnoise.smk) on the observation."""
    return {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "target": _study_observed_train(wildcards),
        "target_val": shift_file(wildcards, "datasets/observed_val.h5"),
    }


def get_shift_oracle_input(wildcards):
    """An oracle's inputs: the observation's observed_train, observed_val and hidden truth."""
    return {
        "train": _study_observed_train(wildcards),
        "val": shift_file(wildcards, "datasets/observed_val.h5"),
        "truth": shift_file(wildcards, "simulated/observed_truth.h5"),
    }


def get_shift_oracle_baseline_input(wildcards):
    """A baseline oracle's inputs: the observation's observed_train and hidden truth."""
    return {
        "train": shift_file(wildcards, "datasets/observed_train.h5"),
        "truth": shift_file(wildcards, "simulated/observed_truth.h5"),
    }


def _study_model_dir(wildcards):
    """Where the study model lies: source-only is the config model (results/models/{model}),
    any other in the observation's folder."""
    model, method, _ = wildcards.model.split("~")
    if method == "source":
        return results(f"models/{model}")
    return shift_file(wildcards, f"models/{wildcards.model}")


def get_shift_predict_input(wildcards):
    """The model (model.json and the file predict loads) and the split: the simulated test
    split, or the observation's observed_val / observed_test."""
    folder = _study_model_dir(wildcards)
    kind = get_shift_study_entry(wildcards)["kind"]
    if wildcards.split == "test":
        dataset = results("datasets/test.h5")
    else:
        dataset = shift_file(wildcards, f"datasets/{wildcards.split}.h5")
    return {
        "info": f"{folder}/model.json",
        "model": f"{folder}/model.skops" if kind == "baseline" else f"{folder}/model.pt",
        "dataset": dataset,
    }


def get_shift_evaluate_input(wildcards):
    """get_evaluate_input (evaluate.smk) on the observation: the model's predictions (source-only's
    simulated test predictions are the default DAG's), and the observation's hidden truth."""
    model, method, _ = wildcards.model.split("~")
    if method == "source":
        test = results(f"predictions/{model}/test.h5")
    else:
        test = shift_file(wildcards, f"predictions/{wildcards.model}/test.h5")
    return {
        "info": f"{_study_model_dir(wildcards)}/model.json",
        "test": test,
        "observed": shift_file(wildcards, f"predictions/{wildcards.model}/observed_test.h5"),
        "observed_truth": shift_file(wildcards, "simulated/observed_truth.h5"),
    }


def shift_study_entries():
    """(observation, study model) of every row of the table, in the table's order."""
    return [[s, m] for s in shift_observations() for m in shift_study_names()]


def _per_entry(path):
    """``path`` (with {shift} and {model}) of every entry of the table."""
    pattern = results(f"shift_study/{{shift}}/{path}")
    return [pattern.format(shift=s, model=m) for s, m in shift_study_entries()]


def get_shift_table_input(wildcards):
    """Per entry: the metrics, the predictions on observed_val and observed_test (no truth) and
    the observation's observed_test file (its hours)."""
    if not shift_study_entries():
        raise ValueError(
            "target shift_study: no observations or models to study; it needs source: simulate "
            "with an observation (simulation.observed), and config shift_study.shifts and "
            "shift_study.models naming some"
        )
    return {
        "metrics": _per_entry("metrics/{model}.json"),
        "val": _per_entry("predictions/{model}/observed_val.h5"),
        "test": _per_entry("predictions/{model}/observed_test.h5"),
        "datasets": [
            results(f"shift_study/{s}/datasets/observed_test.h5") for s, _ in shift_study_entries()
        ],
    }


def shift_study_labels():
    """The study's config models by their readable names (the heat map's panels, the caption)."""
    return figure_labels(sorted({parse_shift_study_name(m).model for m in shift_study_names()}))


def shift_study_numbers():
    """The shift study's caption numbers (written by rule shift_study_table)."""
    from iactdl.evaluate.numbers import RunNumbers

    return RunNumbers(results("shift_study/numbers.json"))
