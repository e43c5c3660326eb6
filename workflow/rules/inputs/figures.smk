# The input functions of figures.smk's rules (included at its top). Snakemake's linter wants a
# snakefile to hold rules or functions, not both; the shared ones are in common.smk.


def models_with_energy():
    """Models with an energy estimate: the energy task, and separation nets with an energy head."""
    return [
        name
        for name, entry in config["models"].items()
        if entry["task"] == "energy" or entry.get("energy_head")
    ]
