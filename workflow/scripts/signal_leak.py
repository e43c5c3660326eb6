"""Rule `signal_leak`, thin: log to the rule's log, call
iactdl.labelnoise.leak.estimate_signal_leak."""

from pathlib import Path

from iactdl.labelnoise.leak import estimate_signal_leak
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "signal_leak"):
    estimate_signal_leak(
        Path(snakemake.input.info).parent,
        list(snakemake.input.datasets),
        snakemake.params.directions,
        snakemake.output.json,
    )
