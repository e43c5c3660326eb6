"""Rule `train_oracle`, thin: the target oracle (observed truth; a reference ceiling only)."""

from pathlib import Path

from iactdl.fit.adapt import train_oracle_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_oracle"):
    train_oracle_net(
        train_path=snakemake.input.train,
        val_path=snakemake.input.val,
        truth_path=snakemake.input.truth,
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        model_dir=Path(snakemake.output.model).parent,
        threads=snakemake.threads,
        resume_path=snakemake.params.resume,
        name=snakemake.wildcards.model,
        progress=False,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
    )
