# The input functions of directions.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def dl3_models():
    """Separation models whose observed_test gets DL3, a theta^2 analysis and a row of the
    significance table: every one (source-only, adapted, ON/OFF), where there are observed events.
    """
    if "observed" not in available_samples():
        return []
    return models_of_task("separation")


def energy_model():
    """The energy model whose estimate fills gamma_energy_prediction of a separation model without
    an energy head (the first energy model by name), or None (the column is NaN)."""
    names = sorted(models_of_task("energy"))
    return names[0] if names else None


def get_dl3_input(wildcards):
    """The model's predictions of the observed split, the split (thetas, ontime) and, for a model
    without an energy head, the energy model's predictions of the same split."""
    inputs = {
        "predictions": results(f"predictions/{wildcards.model}/{wildcards.split}.h5"),
        "dataset": results(f"datasets/{wildcards.split}.h5"),
    }
    if not model_entry(wildcards.model).get("energy_head") and energy_model():
        inputs["energy"] = results(f"predictions/{energy_model()}/{wildcards.split}.h5")
    return inputs


def direction_nets():
    """Nets trained on the simulations (by train_net; no adapt or labelnoise section) with a
    direction head (config models.<net>.direction_head), by name: their test predictions carry
    the reconstructed source position."""
    return sorted(
        m
        for m, e in config["models"].items()
        if e["kind"] == "net"
        and e.get("direction_head")
        and e.get("adapt") is None
        and e.get("labelnoise") is None
    )


def get_direction_predictions(wildcards):
    """Every direction net's predictions of the test split (evaluate_directions)."""
    return [results(f"predictions/{m}/test.h5") for m in direction_nets()]


def theta2_cut_candidates():
    """The theta^2 cuts the significance analysis (the theta2 rule) chooses from, with the gammaness
    cut, on observed_val: config directions.theta2_cuts, sorted and without repeats (their order
    means nothing, so a reordered list reruns nothing); null: the fixed directions.theta2_cut.
    Only the theta2 rule reads the key, so editing it reruns that analysis and what reads it."""
    section = config["directions"]
    return sorted({float(c) for c in section.get("theta2_cuts") or [section["theta2_cut"]]})


def theta2_wobble_offset():
    """The simulated source's distance from the camera centre (deg), which bounds the theta^2
    cut; None for FACT's files (their events carry it: an overlap is found when counting)."""
    if config["source"] != "simulate":
        return None
    return float(config["simulation"]["wobble_offset_deg"])


def get_significance_input(wildcards):
    """Every DL3 model's theta^2 analysis."""
    return expand(results("dl3/{model}/theta2.json"), model=dl3_models())


def get_directions_output():
    """The direction task's outputs and the DL3 of every model (rule all)."""
    out = [results("metrics/directions.json")]
    out += expand(results("dl3/{model}/{split}.h5"), model=dl3_models(), split=["observed_test"])
    return out
