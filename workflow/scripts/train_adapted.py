"""Rule `train_adapted`, thin: log to the rule's log, call iactdl.fit.adapt.train_adapted_net."""

from pathlib import Path

from iactdl.fit.adapt import train_adapted_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_adapted"):
    train_adapted_net(
        train_path=snakemake.input.train,
        val_path=snakemake.input.val,
        target_path=snakemake.input.target,
        weight_target_path=snakemake.input.weight_target,
        diagnostics_path=snakemake.input.get("diagnostics"),
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        model_dir=Path(snakemake.output.model).parent,
        threads=snakemake.threads,
        resume_path=snakemake.params.resume,
        name=snakemake.wildcards.model,
        progress=False,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
    )
