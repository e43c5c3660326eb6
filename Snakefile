# iactdl: deep learning on IACT (FACT) events. The table of contents of the pipeline.
# Run: snakemake --cores all            (the embedded default, simulated FACT events)
#      snakemake --cores all paper      (all, plus the experiment sweeps: every figure and table)
#      snakemake --report report.html   (the report: figures with captions, tables)
#      snakemake --workflow-profile profiles/slurm   (a SLURM GPU cluster)
from pathlib import Path

from snakemake.utils import min_version, update_config

from iactdl.config import load_config
from iactdl.provenance import save_index_cache

min_version("9.0")


# The embedded default. A --configfile on the command line REPLACES it (it does not merge into it),
# so a config such as tests/config/tiny.yaml or one for real FACT data is complete in itself and
# can drop models (image nets on DL2 files without images); missing keys take the schema defaults.
# Read here strictly (a YAML error names file and line, a duplicate key is refused) with libyaml,
# instead of the `configfile:` directive, whose pure-Python reader costs 0.2 s of every parse
# (benchmarks/dag.py); as the directive does, --config KEY=VALUE still wins.
if not workflow.overwrite_configfiles:
    _default_config = Path(workflow.basedir) / "config.yaml"
    if not workflow.config_settings.replace_workflow_config:
        update_config(config, load_config(_default_config))
    update_config(config, workflow.config_settings.overwrite_config or {})
    workflow.configfiles.append(_default_config)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/directions.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/deepnets.smk"
include: "workflow/rules/adapt.smk"
include: "workflow/rules/labelnoise.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/shift_study.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/paper.smk"


rule all:
    default_target: True
    input:
        get_final_output(),


rule paper:
    input:
        get_final_output(experiments=True),


# last: it collects the benchmark files of every rule defined above
include: "workflow/rules/benchmarks.smk"


# the code index that src(...) read, kept for the next call (common.smk), now that the config passed
save_index_cache()
