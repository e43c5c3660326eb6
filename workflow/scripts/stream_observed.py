"""Rule `stream_observed`, thin: log to the rule's log, call iactdl.observed_stream with the ON/OFF
regions from the disp model's reconstructed directions (iactdl.observed_regions)."""

from pathlib import Path

from iactdl.observed_regions import region_labeller
from iactdl.observed_stream import stream_observed
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "stream_observed"):
    stream_observed(
        simulation=dict(snakemake.params.simulation),
        seed=int(snakemake.params.seed),
        outputs={k: snakemake.output[k] for k in ("train", "train_images", "val", "test")},
        truth_path=snakemake.output.truth,
        extract=snakemake.params.extract,
        features=snakemake.params.features,
        datasets=snakemake.params.datasets,
        salt=int(snakemake.params.salt),
        regions=region_labeller(
            Path(snakemake.input.disp).parent, snakemake.params.directions, "simulated observation"
        ),
    )
