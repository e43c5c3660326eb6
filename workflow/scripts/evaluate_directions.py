"""Rule `evaluate_directions`, thin: log to the rule's log, call
iactdl.evaluate.directions.evaluate_directions."""

from pathlib import Path

from iactdl.evaluate.directions import evaluate_directions
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate_directions"):
    evaluate_directions(
        Path(snakemake.input.info).parent,
        snakemake.input.dataset,
        snakemake.output.metrics,
        n_energy_bins=int(snakemake.params.n_energy_bins),
        min_events=int(snakemake.params.min_events),
        predictions=dict(zip(snakemake.params.nets, snakemake.input.predictions, strict=True)),
    )
