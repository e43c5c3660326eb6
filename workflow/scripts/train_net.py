"""Rule `train_net`, thin: log and progress bar to the rule's log, call iactdl.fit.train_net."""

from pathlib import Path

from iactdl.fit.train import train_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_net"):  # tqdm's progress bar goes to the log too
    train_net(
        train_path=snakemake.input.train,
        val_path=snakemake.input.val,
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        model_dir=Path(snakemake.output.model).parent,
        threads=snakemake.threads,
        resume_path=snakemake.params.resume,
        name=snakemake.wildcards.model,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
    )
