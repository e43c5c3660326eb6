"""Rule `split_dataset`, thin: log to the rule's log, call iactdl.features.split_dataset."""

from iactdl.features import split_dataset
from iactdl.rule_log import rule_logging

section = dict(snakemake.params.datasets)
with rule_logging(snakemake.log[0], "split_dataset"):
    split_dataset(
        inputs={name: snakemake.input[name] for name in snakemake.input.keys()},
        outputs={name: snakemake.output[name] for name in ("train", "val", "test")},
        fractions=section.get("fractions"),
        seed=snakemake.params.seed,
        chunk_size=section["chunk_size"],  # the schema fills the default
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
