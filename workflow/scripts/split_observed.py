"""Rule `split_observed`, thin: log to the rule's log, call iactdl.features.split_observed."""

from iactdl.features import split_observed
from iactdl.rule_log import rule_logging

section = dict(snakemake.params.datasets)  # noqa: F821
with rule_logging(snakemake.log[0], "split_observed"):  # noqa: F821
    split_observed(
        in_path=snakemake.input.features,  # noqa: F821
        outputs=dict(snakemake.output.items()),  # noqa: F821
        fractions=section.get("observed_fractions"),
        salt=snakemake.params.seed,  # noqa: F821
        max_train_images=section.get("observed_train_images", 100_000),
        chunk_size=section.get("chunk_size", 4096),
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
