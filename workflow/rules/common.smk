# Shared by every stage: config validation, wildcard constraints, seeds, source hashes and the
# input functions that say what the DAG builds. No lambdas inside rules; input functions live here.
from pathlib import Path

from snakemake.utils import validate

from iactdl.provenance import rule_seed, source_hash

validate(config, schema="../schemas/config.schema.yaml")

SAMPLES = ["gamma", "gamma_diffuse", "proton", "observed"]
SPLITS = ["train", "val", "test"]


def available_samples():
    """Samples this config produces: all four when simulating, those with a path when reading FACT."""
    if config["source"] == "simulate":
        return SAMPLES
    return [s for s in SAMPLES if config["fact"].get("files", {}).get(s)]


def fact_file(sample):
    """Path of config fact.files[sample]; a relative path is resolved against the repository root."""
    path = Path(config["fact"]["files"][sample])
    return str(path if path.is_absolute() else (Path(workflow.basedir) / path).resolve())


# source fact: every configured FACT file must exist, checked before any job (one clear message)
if config["source"] == "fact":
    if not available_samples():
        raise ValueError("config fact.files: source is 'fact' but no sample has a file path")
    for _sample in available_samples():
        if not Path(fact_file(_sample)).is_file():
            raise ValueError(
                f"config fact.files.{_sample}: file not found: {fact_file(_sample)} "
                "(relative paths are resolved against the repository root; see data/README.md)"
            )


def models_of_kind(*kinds):
    return [name for name, entry in config["models"].items() if entry["kind"] in kinds]


def seed_for(*names):
    """The rule's own seed, derived from the global seed and its name/wildcards."""
    return rule_seed(config["seed"], *names)


def src(*modules):
    """Content hash of the package modules a rule uses: edits to them rerun the rule."""
    return source_hash(*modules)


wildcard_constraints:
    sample="|".join(SAMPLES),
    split="|".join(SPLITS),
    model="|".join(config["models"]) or "NO_MODELS",


def get_final_output():
    targets = expand("results/events/{sample}.h5", sample=available_samples())
    return targets + get_paper_output_if_defined()


def get_paper_output_if_defined():
    try:
        return get_paper_output()
    except NameError:
        return []
