# The input functions of simulate.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def get_simulate_seed(wildcards):
    """The seed of rule simulate for this sample (independent streams per sample)."""
    return seed_for("simulate", wildcards.sample)


def get_observed_simulation():
    """Config `simulation` without the other samples' sizes: what the observation depends on."""
    return canonical({k: v for k, v in config["simulation"].items() if k != "n_events"})
