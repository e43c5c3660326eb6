"""Rule `observed_dataset`, thin: log to the rule's log, call iactdl.features.observed_dataset."""

from iactdl.features import observed_dataset
from iactdl.rule_log import rule_logging

section = dict(snakemake.params.datasets)  # noqa: F821
with rule_logging(snakemake.log[0], "observed_dataset"):  # noqa: F821
    observed_dataset(
        in_path=snakemake.input.features,  # noqa: F821
        out_path=snakemake.output.observed,  # noqa: F821
        chunk_size=section.get("chunk_size", 4096),
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
