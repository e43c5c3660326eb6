"""Rule `capacity_point`, thin: log to the rule's log, train one width of the capacity sweep."""

from iactdl.experiments.capacity import capacity_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "capacity_point"):  # noqa: F821
    capacity_point(
        train_path=snakemake.input.train,  # noqa: F821
        test_path=snakemake.input.test,  # noqa: F821
        settings=snakemake.params.settings,  # noqa: F821
        output=snakemake.output.point,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        gpus=snakemake.resources.gpu,  # noqa: F821  the job's GPUs decide the device
    )
