# The input functions of labelnoise.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def onoff_baselines():
    """ON/OFF baselines (rules train_onoff, train_onoff_oracle)."""
    return [m for m in onoff_models() if config["models"][m]["kind"] == "baseline"]


def onoff_nets():
    """ON/OFF nets (rules train_onoff_net, train_onoff_oracle_net)."""
    return [m for m in onoff_models() if config["models"][m]["kind"] == "net"]


def signal_leak_input():
    """The known-alpha correction's rho_plus (rule signal_leak) where the simulations hold
    point-like gammas to measure it on; none (rho_plus = 0) where not."""
    if "gamma" not in available_samples():
        return {}
    return {"signal_leak": results("labelnoise/signal_leak.json")}


def get_onoff_input(wildcards):
    """observed_train (ON/OFF labels, no truth) and the simulated signal leak."""
    return {"train": results("datasets/observed_train.h5"), **signal_leak_input()}


def get_onoff_net_input(wildcards):
    """observed_train (with images for pixel-level nets) and observed_val: ON/OFF labels, no
    truth; and the simulated signal leak."""
    return {
        "train": observed_train_file(model_entry(wildcards.model)),
        "val": results("datasets/observed_val.h5"),
        **signal_leak_input(),
    }


def measured_models():
    """Separation models measured against the observed truth by evaluate_labelnoise (source
    simulate: the truth exists; every separation model, for the comparison table)."""
    if config["source"] != "simulate" or "observed" not in available_samples():
        return []
    return models_of_task("separation")


def get_labelnoise_output():
    """Stage 6's products: each ON/OFF model, its measurement and reliability figure, and the
    comparison table + figure (when there is an observation with truth and an ON/OFF model)."""
    if "observed" not in available_samples():
        return []
    out = expand(results("models/{model}/model.json"), model=onoff_models())
    if not measured_models() or not onoff_models():
        return out
    out += expand(results("labelnoise/{model}/measurement.json"), model=measured_models())
    out += expand(
        results("figures/reliability_{model}.{ext}"), model=onoff_models(), ext=["pdf", "png"]
    )
    out += [results("paper/comparison.csv"), results("paper/comparison.tex")]
    return out + expand(results("figures/comparison.{ext}"), ext=["pdf", "png"])


def get_onoff_seed(wildcards):
    """The training seed of one ON/OFF model (CV folds, estimator random_state); its oracle
    uses the same, so the two differ by their labels alone."""
    return seed_for("train_onoff", wildcards.model)


def get_labelnoise_measurement_input(wildcards):
    """A model's predictions on observed_test and observed_val (rule predict), the hidden truth,
    and for an ON/OFF model its oracle's ({model}~oracle) model and predictions."""
    m = wildcards.model
    inputs = {
        "info": results(f"models/{m}/model.json"),
        "test": results(f"predictions/{m}/observed_test.h5"),
        "val": results(f"predictions/{m}/observed_val.h5"),
        "truth": results("simulated/observed_truth.h5"),
    }
    if m in onoff_models():
        oracle = m + ONOFF_ORACLE
        inputs["oracle_info"] = results(f"models/{oracle}/model.json")
        inputs["oracle_test"] = results(f"predictions/{oracle}/observed_test.h5")
        inputs["oracle_val"] = results(f"predictions/{oracle}/observed_val.h5")
    return inputs


def comparison_oracles():
    """The ON/OFF models' oracles the comparison scores (those of measured models)."""
    return [m for m in onoff_oracles() if m.removesuffix(ONOFF_ORACLE) in measured_models()]


def comparison_scored():
    """Every model whose observed_test predictions the comparison may score: the measured ones
    and the ON/OFF models' oracles (it bootstraps the events itself)."""
    return measured_models() + comparison_oracles()


def get_comparison_input():
    """Entries' metrics (simulated test AUC), model.json (ON/OFF CV AUC), measurements, the
    theta^2 analyses (the truth-free cuts, the significance table's), every scored model's
    observed_test predictions and the oracles' observed_val ones (their cuts are chosen there),
    the observed splits (their thetas), the hidden truth (the comparison is evaluation) and the
    simulated training split (the prior the simulation-trained posteriors assume)."""
    models = measured_models()
    return {
        "metrics": expand(results("metrics/{model}.json"), model=models),
        "infos": expand(results("models/{model}/model.json"), model=models),
        "measurements": expand(results("labelnoise/{model}/measurement.json"), model=models),
        "analyses": expand(results("dl3/{model}/theta2.json"), model=models),
        "predictions": expand(
            results("predictions/{model}/observed_test.h5"), model=comparison_scored()
        ),
        "oracle_val": expand(
            results("predictions/{model}/observed_val.h5"), model=comparison_oracles()
        ),
        "observed_test": results("datasets/observed_test.h5"),
        "observed_val": results("datasets/observed_val.h5"),
        "truth": results("simulated/observed_truth.h5"),
        "train": results("datasets/train.h5"),
    }


def joint_baselines():
    """Joint baselines (rule train_joint)."""
    return [m for m in joint_models() if config["models"][m]["kind"] == "baseline"]


def joint_nets():
    """Joint nets (rule train_joint_net)."""
    return [m for m in joint_models() if config["models"][m]["kind"] == "net"]


def get_joint_net_input(wildcards):
    """The simulated train and val splits, and observed_train (with images for pixel-level
    nets) and observed_val: their ON/OFF labels, no truth."""
    return {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "target": observed_train_file(model_entry(wildcards.model)),
        "target_val": results("datasets/observed_val.h5"),
        **signal_leak_input(),
    }


def get_joint_seed(wildcards):
    """The training seed of one joint model."""
    return seed_for("train_joint", wildcards.model)
