# The input functions of baselines.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def plain_baselines():
    """Baselines trained on the simulations alone (train_baseline): entries without `adapt`, and
    augmented ones (on the re-simulated datasets)."""
    return [
        m
        for m in models_of_kind("baseline")
        if config["models"][m].get("adapt") is None or augmented(m)
    ]


def get_train_seed(wildcards):
    """The training seed of one model (CV folds, estimator random_state)."""
    return seed_for("train_baseline", wildcards.model)
