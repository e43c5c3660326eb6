"""Rule `optimiser_point`, thin: log to the rule's log, train one (net, optimiser, schedule, lr,
seed) point of the optimiser sweep."""

from iactdl.experiments.optimisers import optimiser_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "optimiser_point"):  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    optimiser_point(
        entry=snakemake.params.entry,  # noqa: F821
        optimizer=w.optimizer,
        schedule=w.schedule,
        lr=float(w.lr),
        seed=snakemake.params.seed,  # noqa: F821
        train_path=snakemake.input.train,  # noqa: F821
        val_path=snakemake.input.val,  # noqa: F821
        n_train=snakemake.params.sizes["n_train"],  # noqa: F821
        n_val=snakemake.params.sizes["n_val"],  # noqa: F821
        output=snakemake.output.summary,  # noqa: F821
        history=snakemake.output.history,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        gpus=snakemake.resources.gpu,  # noqa: F821  the job's GPUs decide the device
    )
