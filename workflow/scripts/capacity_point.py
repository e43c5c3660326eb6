"""Rule `capacity_point`, thin: log to the rule's log, train one width of the capacity sweep."""

from iactdl.experiments.capacity import capacity_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "capacity_point"):
    capacity_point(
        train_path=snakemake.input.train,
        test_path=snakemake.input.test,
        settings=snakemake.params.settings,
        output=snakemake.output.point,
        threads=snakemake.threads,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
    )
