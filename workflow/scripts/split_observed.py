"""Rule `split_observed`, thin: log to the rule's log, call iactdl.features.split_observed with the
ON/OFF regions from the disp model's reconstructed directions (iactdl.observed_regions)."""

from pathlib import Path

from iactdl.features import split_observed
from iactdl.io.fact import fact_ontime_s
from iactdl.observed_regions import region_labeller
from iactdl.rule_log import rule_logging

section = dict(snakemake.params.datasets)
with rule_logging(snakemake.log[0], "split_observed"):
    split_observed(
        in_path=snakemake.input.features,
        outputs={k: snakemake.output[k] for k in ("train", "train_images", "val", "test")},
        fractions=section.get("observed_fractions"),
        salt=snakemake.params.seed,
        max_train_images=section["observed_train_images"],  # the schema fills the defaults
        chunk_size=section["chunk_size"],
        config=section,
        quality_cuts=section.get("quality_cuts"),
        extra_attrs={"ontime_s": sum(fact_ontime_s(f) for f in snakemake.input.fact_observed)},
        regions=region_labeller(
            Path(snakemake.input.disp).parent, snakemake.params.directions, snakemake.input.features
        ),
    )
