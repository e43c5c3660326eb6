"""Rule `split_dataset`, thin: log to the rule's log, call iactdl.features.split_dataset."""

from iactdl.features import split_dataset
from iactdl.rule_log import rule_logging

section = dict(snakemake.params.datasets)  # noqa: F821
with rule_logging(snakemake.log[0], "split_dataset"):  # noqa: F821
    split_dataset(
        inputs={name: snakemake.input[name] for name in snakemake.input.keys()},  # noqa: F821
        outputs={name: snakemake.output[name] for name in ("train", "val", "test")},  # noqa: F821
        fractions=section.get("fractions"),
        seed=snakemake.params.seed,  # noqa: F821
        chunk_size=section.get("chunk_size", 4096),
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
