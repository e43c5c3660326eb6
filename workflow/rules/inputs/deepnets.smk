# The input functions of deepnets.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def plain_nets():
    """Net models trained on the simulations alone (train_net): config entries without
    `adapt` or with `adapt: {method: augment}` (on the re-simulated datasets), and the
    adaptation study's source-only models."""
    nets = [
        m for m in models_of_kind("net") if config["models"][m].get("adapt") is None or augmented(m)
    ]
    return nets + study_models(
        config["models"], config["adaptation"], ["source", "relative", "augment"]
    )


def get_net_seed(wildcards):
    """The training seed of one net (initialisation, batch order, dropout)."""
    return seed_for("train_net", wildcards.model)
