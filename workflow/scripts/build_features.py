"""Rule `build_features`, thin: log to the rule's log, call iactdl.features.build_features."""

from iactdl.features import build_features
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "build_features"):
    build_features(
        in_path=snakemake.input.events,
        out_path=snakemake.output.features,
        config=snakemake.params.features,
    )
