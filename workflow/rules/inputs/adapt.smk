# The input functions of adapt.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_shift_section():
    """Config `shift` (the diagnostics' settings; schema defaults fill what it leaves out)."""
    return config.get("shift", {})


def shift_quantifier():
    """The separation baseline whose predictions quantify the label shift (config
    shift.quantifier_model; checked by iactdl.config.check_config above)."""
    return get_shift_section().get("quantifier_model", "hist_gbt")


def get_shift_input(wildcards):
    """The simulated training split, observed_train (never _val or _test) and, with images, its
    capped copy with pixel sets, and the quantifier's model (model.json, written last, stands for
    its directory)."""
    inputs = {
        "source": results("datasets/train.h5"),
        "observed": results("datasets/observed_train.h5"),
        "quantifier": results(f"models/{shift_quantifier()}/model.json"),
    }
    if features_have_images():
        inputs["observed_images"] = results("datasets/observed_train_images.h5")
    return inputs


def get_shift_output():
    """The shift diagnostics, their figures and (source simulate) their evaluation against the
    hidden truth, when this config has observed events."""
    if "observed" not in available_samples():
        return []
    out = [results("shift/diagnostics.json")] + expand(
        results("shift/{figure}.{ext}"),
        figure=["feature_shift", "pixel_shift", "label_shift"],
        ext=["pdf", "png"],
    )
    if config["source"] == "simulate":
        out.append(results("shift/evaluation.json"))
    return out


def get_augmented_features(wildcards):
    """Named inputs of split_augmented: the re-simulated features of each labelled sample."""
    return {
        sample: results(f"augmented/features/{sample}.h5")
        for sample in available_samples()
        if sample != "observed"
    }


def adapted_models():
    """Nets that train_adapted trains: config entries with `adapt` (but augment: train_net
    trains those, on the augmented datasets), and the study's."""
    own = [
        m
        for m in models_of_kind("net")
        if config["models"][m].get("adapt") is not None and not augmented(m)
    ]
    methods = ["importance", "dann", "iwdann"]
    return own + study_models(config["models"], config["adaptation"], methods)


def oracle_models():
    """The study's target oracles (trained on observed_train with its hidden truth, which only
    simulated observations have)."""
    if config["source"] != "simulate":
        return []
    return study_models(config["models"], config["adaptation"], ["oracle"])


def get_adapted_input(wildcards):
    """Simulated train/val, observed_train (the target stream and the importance weights'
    features), observed_val for dann/iwdann (the domain AUC of the representation: inputs only,
    no truth), and the shift diagnostics when iwdann takes its prior from them."""
    entry = model_entry(wildcards.model)
    adapt = entry["adapt"]
    inputs = {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "target": observed_train_file(entry),
        "weight_target": results("datasets/observed_train.h5"),
    }
    if adapt.get("method", "dann") in ("dann", "iwdann"):
        inputs["target_val"] = results("datasets/observed_val.h5")
    if adapt.get("method", "dann") == "iwdann" and adapt.get("target_prior") is None:
        inputs["diagnostics"] = results("shift/diagnostics.json")
    return inputs


def adapted_baselines():
    """Baselines with `adapt: {method: importance}`: rule train_adapted_baseline (augmented
    baselines train by train_baseline)."""
    return [
        m
        for m in models_of_kind("baseline")
        if config["models"][m].get("adapt") is not None and not augmented(m)
    ]


def get_adapted_baseline_input(wildcards):
    """Simulated train/val (fitted, scored with weights) and observed_train's feature table (the
    domain classifier's target sample: features only, no truth)."""
    return {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "weight_target": results("datasets/observed_train.h5"),
    }


def get_adapted_baseline_seed(wildcards):
    """The training seed of one adapted baseline (CV folds, estimator, domain classifier)."""
    return seed_for("train_adapted_baseline", wildcards.model)


def get_adapted_seed(wildcards):
    """The training seed of one adapted net; the lambda-grid candidates of one study seed share
    it (their selection's name), so that they differ by lambda_max alone."""
    return seed_for("train_adapted", selection_of(wildcards.model))


def get_oracle_input(wildcards):
    """observed_train (with images for pixel-level nets), observed_val, and the hidden truth."""
    return {
        "train": observed_train_file(model_entry(wildcards.model)),
        "val": results("datasets/observed_val.h5"),
        "truth": results("simulated/observed_truth.h5"),
    }


def get_oracle_seed(wildcards):
    """The training seed of one oracle."""
    return seed_for("train_oracle", wildcards.model)


def get_adaptation_table_input(wildcards):
    """Metrics and model info of every study model, and with a lambda grid the selections that
    pick one candidate per seed."""
    models = adaptation_study()
    inputs = {
        "metrics": expand(results("metrics/{model}.json"), model=models),
        "info": expand(results("models/{model}/model.json"), model=models),
    }
    if lambda_selection_names():
        inputs["selections"] = get_lambda_selection_files(wildcards)
    return inputs


def _lambda_selections():
    """Selection {net}~{method}~s{seed} -> its candidates {net}~{method}@{lambda}~s{seed}."""
    return lambda_selections(config["models"], config["adaptation"])


def lambda_selection_names():
    """The study's lambda selections (none without a grid: the default DAG is unchanged)."""
    return list(_lambda_selections())


def get_lambda_candidates(wildcards):
    """The candidates of one selection, in grid order."""
    return _lambda_selections()[wildcards.selection]


def get_select_lambda_input(wildcards):
    """Each candidate's predictions on observed_val (rule predict; no truth)."""
    return {
        "predictions": expand(
            results("predictions/{model}/observed_val.h5"), model=get_lambda_candidates(wildcards)
        )
    }


def get_select_lambda_seed(wildcards):
    """Seed of the bootstrap resamples of observed_val that say how firm a selection is."""
    return seed_for("select_lambda", wildcards.selection)


def get_lambda_selection_files(wildcards):
    """Every selection's lambda.json (checkpoint select_lambda)."""
    return expand(results("adaptation/{selection}/lambda.json"), selection=lambda_selection_names())


def get_lambda_table_input(wildcards):
    """Every study model's metrics (the table keeps the candidates) and every selection."""
    return {
        "metrics": expand(results("metrics/{model}.json"), model=adaptation_study()),
        "selections": get_lambda_selection_files(wildcards),
    }


def get_lambda_grid_output(wildcards):
    """The grid table of the study's target, with a grid only."""
    return [results("paper/adaptation_lambda.csv")] if lambda_selection_names() else []


def chosen_model(name):
    """A study model as the figures show it: a lambda selection's chosen candidate (known once
    checkpoint select_lambda has run), any other model as it is."""
    if name not in _lambda_selections():
        return name
    from iactdl.adapt.lambda_selection import read_selection

    return read_selection(checkpoints.select_lambda.get(selection=name).output.json)["model"]


def get_representation_models(wildcards):
    """representation_models() with each lambda selection replaced by its chosen candidate."""
    return [chosen_model(name) for name in representation_models()]


def get_onoff_figure_input(wildcards):
    """The before/after models' predictions on observed_test."""
    return {
        "predictions": expand(
            results("predictions/{model}/observed_test.h5"),
            model=get_representation_models(wildcards),
        )
    }


def representation_models():
    """The before/after pairs of the adaptation figures: per study net, source-only and the
    label-shift-aware DANN (or DANN) of seed 1."""
    methods = config["adaptation"]["methods"]
    after = "iwdann" if "iwdann" in methods else "dann"
    if "source" not in methods or after not in methods:
        return []
    return [f"{net}~{m}~s1" for net in config["adaptation"]["nets"] for m in ("source", after)]


def get_representation_input(wildcards):
    """The before/after models and the simulated test and observed_test events they encode."""
    models = get_representation_models(wildcards)
    return {
        "info": expand(results("models/{model}/model.json"), model=models),
        "source": results("datasets/test.h5"),
        "target": results("datasets/observed_test.h5"),
    }
