"""Rule `optimiser_point`, thin: log to the rule's log, train one (net, optimiser, schedule, lr,
seed) point of the optimiser sweep."""

from iactdl.experiments.optimisers import optimiser_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "optimiser_point"):
    w = snakemake.wildcards
    optimiser_point(
        entry=snakemake.params.entry,
        optimizer=w.optimizer,
        schedule=w.schedule,
        lr=float(w.lr),
        seed=snakemake.params.seed,
        train_path=snakemake.input.train,
        val_path=snakemake.input.val,
        n_train=snakemake.params.sizes["n_train"],
        n_val=snakemake.params.sizes["n_val"],
        output=snakemake.output.summary,
        history=snakemake.output.history,
        threads=snakemake.threads,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
    )
