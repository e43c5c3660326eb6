# Shared by every stage: config validation, paths, wildcard constraints, seeds, source hashes, the
# model lists several stages name, and the few input functions the rules of several stages use.
# No lambdas inside rules. A stage's own input functions live in workflow/rules/inputs/{stage}.smk,
# included at the top of the stage's file (Snakemake's linter wants rules and functions apart).
# Snakemake includes the files in the Snakefile's order: a function named in a rule's definition
# (input, params, resources, wildcard_constraints) must be defined in this file or in one
# included before; one that is only called by another function when a job is planned
# (get_final_output's parts) may live in any stage's file.
#
# PATHS (every rule, every stage): each config writes under its own folder, config `results_dir`
# (default "results"; tests/config/tiny.yaml: results/tiny), so two configs never mix outputs.
# Every output, log and benchmark is spelled with results(...), never "results/..." literally:
#     output:    model=results("models/{model}/model.json"),
#     log:       results("logs/train_net/{model}.log"),
#     benchmark: results("benchmarks/train_net/{model}.tsv"),
#     inputs:    expand(results("metrics/{model}.json"), model=...) or rules.x.output.name
# The simulated raw events are outputs too: results("simulated/{sample}.h5"), and the observed
# sample's hidden truth results("simulated/observed_truth.h5") (read by evaluate/oracle rules only).
#
# PARAMS are canonical: the config is put in sorted key order once, below, so that a config with
# its keys in another order gives the same params (Snakemake compares their repr) and reruns
# nothing. Lists keep their order (it means something). A dict a rule builds itself for its
# params must go through canonical(...) as well; list(config["models"]) is sorted by name.
import re
from pathlib import Path, PurePosixPath

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# Planning imports no torch, scikit-learn or matplotlib (tests/test_parse.py): every call of
# snakemake (and every SLURM job's start) parses this file. Job scripts import what they need.
from iactdl.config import checked_config, produced_samples, schema_error
from iactdl.io.run_files import fact_sample_files, part_names
from iactdl.adapt.study import lambda_selections, selection_of, study_entry, study_models
from iactdl.models.nets.catalog import NETS
from iactdl.evaluate.labels import model_labels
from iactdl.provenance import canonical, rule_seed, script_source_hash, use_index_cache

# Threads of the jobs that train or predict. One: on the 2-core workstation the DAG is sized for,
# two one-thread jobs side by side do twice the work of one two-thread job, while torch's second
# thread speeds one of our small nets by 0.9-1.6x (benchmarks/train.py --threads 1 vs 2) and the
# many short predict jobs are their imports. With two threads every training and predict job held
# both cores and the DAG ran one job at a time. More cores: `--set-threads train_net=8` (any rule).
JOB_THREADS = 1

# Scheduling priority of the default DAG's critical path. On 2 cores the DAG's wall time is its CPU
# time over 2 only if the long observed-side jobs start as soon as their inputs exist: the disp
# model -> the observation's stream -> the shift quantifier's training -> shift_diagnostics -> the
# IW-DANN nets (5 minutes each). Without priorities Snakemake ran the simulation-side trainings
# first, and the IW-DANN nets started 10 minutes after the stream had ended.
CRITICAL_PATH = 50


def quantifier_priority(wildcards):
    """train_baseline's priority: the shift quantifier's model (config shift.quantifier_model,
    which shift_diagnostics and through it the IW-DANN nets wait for) is on the critical path."""
    return CRITICAL_PATH if wildcards.model == shift_quantifier() else 0


# the package's code index (digests, imports) for src(...), reread while no module changed
use_index_cache(Path(".snakemake", "iactdl", "code_index.json"))
# Every config file read again, strictly (Snakemake's YAML reader keeps the last of two equal keys
# without a word: a copied model entry replaces the first), the JSON schema (types, ranges,
# unknown keys; fills in defaults), then every check that spans keys or sections, by the stages'
# own validators (in a child process: they build nets and estimators), before any job runs; once
# per config, its files, the schema and the checks' code, then cached.
# In place, in sorted key order: `config` is the workflow's own object, read by every rule below.


def _validate_schema(c):
    """Snakemake's schema check; its error (the schema and the config dumped, thousands of lines)
    as one line naming the key."""
    try:
        validate(c, schema="../schemas/config.schema.yaml")
    except WorkflowError as err:
        raise schema_error(err) from None


_checked_config = checked_config(
    config,
    files=workflow.configfiles,
    schema=Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml"),
    validate=_validate_schema,
    cache_dir=Path(".snakemake", "iactdl", "config_checks"),
)
config.clear()
config.update(_checked_config)

RESULTS_DIR = Path(config["results_dir"]).as_posix()  # "results/" -> "results"


def results(path):
    """Path of an output, log or benchmark of this config: ``{results_dir}/{path}``."""
    return f"{RESULTS_DIR}/{path}"


SAMPLES = ["gamma", "gamma_diffuse", "proton", "observed"]
SPLITS = ["train", "val", "test"]


def available_samples():
    """Samples this config produces: simulated ones with n_events > 0, FACT ones with a path."""
    return produced_samples(config)


# source fact: config fact.files.{sample} is a path, a glob pattern or a list of either
# (iactdl.io.run_files). Resolved here, before any job: a missing file or a pattern that matches
# none is one clear message. A sample of one file is read by rule extract as a whole; a sample of
# several files per file (extract_part, build_features_part: one job per file, in parallel on a
# cluster), then gathered into its one features file (gather_features).
FACT_FILES = {}  # sample -> {part name: file}
if config["source"] == "fact":
    if not available_samples():
        raise ValueError("config fact.files: source is 'fact' but no sample has a file path")
    for _sample in available_samples():
        _key = f"fact.files.{_sample}"
        FACT_FILES[_sample] = part_names(
            fact_sample_files(config["fact"]["files"][_sample], workflow.basedir, _key), _key
        )


def per_file_samples():
    """Samples read from several FACT files, per file."""
    return [s for s, parts in FACT_FILES.items() if len(parts) > 1]


def whole_samples():
    """Samples read as one file: every simulated sample, a FACT sample of one file."""
    return [s for s in SAMPLES if s not in per_file_samples()]


def fact_file(sample, part=None):
    """The FACT file of a sample of one file, or of one ``part`` of a sample of several."""
    parts = FACT_FILES[sample]
    if part is None:
        (file,) = parts.values()
        return file
    if part not in parts:
        raise ValueError(f"config fact.files.{sample}: no file of part {part!r}")
    return parts[part]


def models_of_kind(*kinds):
    """Models of these kinds trained by their own kind's rules; ON/OFF and joint entries by
    labelnoise.smk."""
    return [
        name
        for name, entry in config["models"].items()
        if entry["kind"] in kinds and entry.get("labelnoise") is None and entry.get("joint") is None
    ]


def seed_for(*names):
    """The rule's own seed, derived from the global seed and its name/wildcards."""
    return rule_seed(config["seed"], *names)


SCRIPTS = Path(workflow.basedir, "workflow", "scripts")


def src(script, nets=None, modules=()):
    """Hash of the package code rule script ``script`` runs (its import closure, code only), so
    that a code edit reruns exactly the rules whose scripts reach it. Every rule with a script
    names it here (tests/test_provenance.py checks that it names its own). ``nets``: the nets the
    job runs (None: any), so that its hash leaves out the other nets' modules; ``modules``: package
    modules the job loads by name (a model's loader), hashed with their closure."""
    others = [s.qualified_module for n, s in NETS.items() if nets is not None and n not in nets]
    return script_source_hash(SCRIPTS / script, unnamed=others, modules=modules)


def model_src(script, entry_of=None):
    """:func:`src` for the rules of one model (wildcard ``model``); a net's rule hashes its own
    net's module and what all nets share, not its sibling nets; a baseline's rule no net's
    module. ``entry_of(wildcards)``: the model's entry (default: :func:`model_entry` of the
    wildcard; the shift study's rules give their own)."""

    def get(wildcards):
        entry = model_entry(wildcards.model) if entry_of is None else entry_of(wildcards)
        nets = [entry["net"]] if entry["kind"] == "net" else []
        if entry.get("joint") is not None and entry["kind"] == "baseline":
            # a joint baseline loads through stage 6's loader, named in its model.json
            return src(script, nets, modules=["labelnoise.joint"])
        if entry.get("labelnoise") is None:
            return src(script, nets)
        # an ON/OFF model loads through stage 6's loader, named in its model.json (not imported)
        loader = "labelnoise.nets" if entry["kind"] == "net" else "labelnoise.baselines"
        return src(script, nets, modules=[loader])

    return get


def one_of(names, none):
    """A wildcard constraint matching exactly one of ``names`` (regex-escaped: a lambda-grid
    candidate's '0.3' must not match '0x3'), or the never-matching ``none`` if there are none."""
    return "|".join(re.escape(str(n)) for n in names) or none


# --- the models, as several stages name them ---


def models_of_task(task):
    """Names of the configured models (any kind) with this task."""
    return [name for name, entry in config["models"].items() if entry["task"] == task]


def adaptation_study():
    """Every model of the adaptation study (nets x methods x seeds; iactdl.adapt.study)."""
    return study_models(config["models"], config["adaptation"])


def onoff_models():
    """Entries trained on the ON/OFF labels of observed_train (a `labelnoise` section)."""
    return [n for n, e in config["models"].items() if e.get("labelnoise") is not None]


def joint_models():
    """Entries trained on simulated and ON/OFF labels together (a `joint` section; stage 6)."""
    return [n for n, e in config["models"].items() if e.get("joint") is not None]


# Stage 6's oracle of ON/OFF model {model} is model {model}~oracle (stage 5's are
# {net}~oracle~s{seed}): the same estimator or net on the hidden truth of the same observed_train
# events, a reference only, in results/models/ and results/predictions/ like every model.
ONOFF_ORACLE = "~oracle"


def onoff_oracles():
    """The oracles of the ON/OFF models ({model}~oracle): only a simulated observation has the
    truth they train on."""
    if config["source"] != "simulate" or "observed" not in available_samples():
        return []
    return [m + ONOFF_ORACLE for m in onoff_models()]


def model_entry(name):
    """The entry of a config model, of a study model (the net's entry + the method), or of an
    ON/OFF model's oracle (the ON/OFF entry without its `labelnoise` section: it learns from the
    truth, and loads as a plain baseline or net)."""
    if name in config["models"]:
        return config["models"][name]
    if name.endswith(ONOFF_ORACLE) and name.removesuffix(ONOFF_ORACLE) in onoff_models():
        entry = config["models"][name.removesuffix(ONOFF_ORACLE)]
        return canonical({k: v for k, v in entry.items() if k != "labelnoise"})
    return canonical(study_entry(name, config["models"], config["adaptation"]))


def figure_labels(names):
    """The readable names of models ``names`` in a figure (legend, titles):
    :func:`iactdl.evaluate.labels.model_labels`, unique among them; a rule's params."""
    return canonical(model_labels(names, config["models"]))


def figure_label_of(names):
    """Params function: the readable name of wildcard ``model`` in its own figure, as
    :func:`figure_labels` of ``names`` (its series: the theta^2 plots, the reliability diagrams)
    names it."""

    def get(wildcards):
        return figure_labels(names)[wildcards.model]

    return get


def observed_train_file(entry, datasets="datasets"):
    """observed_train with the entry's inputs: the feature table, or the subset with images;
    ``datasets``: the folder of the observation's splits under results_dir (the shift study's
    observations have their own)."""
    pixel_level = NETS[entry["net"]].input_kind != "features"
    return results(f"{datasets}/observed_train" + ("_images" if pixel_level else "") + ".h5")


wildcard_constraints:
    sample=one_of(SAMPLES, "NO_SAMPLES"),
    split=one_of(SPLITS, "NO_SPLITS"),
    part="[^/]+",  # a FACT file's name without its suffix (iactdl.io.run_files.part_names)
    model=one_of([*config["models"], *adaptation_study(), *onoff_oracles()], "NO_MODELS"),


# --- what the DAG builds (rule all, rule paper; each stage's part in its own .smk) ---


def event_samples():
    """Samples with a results/events file: all but the simulated observation, which is streamed
    from the simulator into the observed splits without intermediate files (stream_observed)."""
    if config["source"] == "simulate":
        return [s for s in available_samples() if s != "observed"]
    return available_samples()


def get_final_output(experiments=False):
    """The default target: stages 1-7 with every model, figure and table; the lecture's experiment
    sweeps (their own targets) only with `experiments`, for the paper target: without them the DAG
    stays within its half hour on 2 cores. Called once every stage's file is included
    (features.smk get_dataset_output, paper.smk get_paper_output, adapt.smk get_shift_output)."""
    targets = [results(f"events/{s}.h5") for s in event_samples() if s in whole_samples()]
    for sample in per_file_samples():
        targets += expand(results(f"events/parts/{sample}/{{part}}.h5"), part=FACT_FILES[sample])
    paper = get_paper_output(experiments=experiments)
    return targets + get_dataset_output() + paper + get_shift_output() + get_directions_output()


# The paper: every figure (its path under results/figures/ without suffix; a PDF and a PNG each)
# and every table. A stage adds its own in its .smk file, next to the job that makes them, e.g.
#     PAPER_FIGURES.append("adaptation/dann_roc")
#     PAPER_TABLES.append(results("paper/adaptation.csv"))
# and marks the PNG with report(..., caption=..., category=...), so the paper and all targets, the
# report and results/paper/figures.md pick it up; FIGURE_NOTES[stem] is the figure's one sentence
# in figures.md (default: the first sentence of its caption file in workflow/report/).
# The article (paper.smk, rule article) takes every figure of PAPER_FIGURES and every .tex table of
# PAPER_TABLES with its caption (a table paper/<stem>.tex: workflow/report/<stem>_table.rst or
# <stem>.rst): adding a figure or table here adds it to the article. A caption quotes the run's
# numbers as {{ snakemake.params.numbers["Name"] }} (rule paper_numbers writes them; the rule of
# the figure passes numbers=run_numbers() in its params).
PAPER_FIGURES = ["roc", "gammaness", "energy_resolution", "migration", "learning_curves"]
PAPER_TABLES = [results("paper/summary.csv"), results("paper/summary.tex")]
FIGURE_NOTES = {}
FIGURES = PAPER_FIGURES  # the old name
# the paper's studies: the experiment sweeps' figures and tables (experiments.smk), the
# adaptation study's (adapt.smk) and the shift study's (shift_study.smk): in `paper`, not in the
# default target
EXPERIMENT_FIGURES = []
EXPERIMENT_TABLES = []
# A study whose captions quote numbers of its own (not paper_numbers'; the shift study's
# Shifts, Models, ...) registers its (numbers.json, numbers.tex) here: the article defines their
# macros beside the paper's. Their names must differ from the paper's (the article checks).
# figures.md fills in paper_numbers' numbers only, and is in `all`: the first sentence of such
# a study's figure caption (its line in figures.md) must quote none.
EXPERIMENT_NUMBERS = []
# The tables the report shows (snakemake --report shows an HTML file inline but offers a CSV only
# as a download): CSV -> its report category and subcategory, and for a caption that quotes numbers
# other than the paper's (numbers.json), "numbers". A stage registers its tables next to the rule
# that writes them; paper.smk makes each an HTML page paper/<name>.html (rule table_html_<name>)
# with the table's caption (workflow/report/<name>_table.rst, experiments_<name>_table.rst or
# <name>.rst), in the targets wherever its CSV is.
REPORT_TABLES = {}


# --- input functions used by the rules of several stages ---


def get_observed_datasets():
    """The keys of config `datasets` the observed splits depend on (not the labelled fractions;
    simulate.smk stream_observed, features.smk)."""
    keys = ("chunk_size", "quality_cuts", "observed_fractions", "observed_train_images")
    return canonical({k: config["datasets"][k] for k in keys if k in config["datasets"]})


def get_region_directions():
    """The keys of config `directions` the observed events' ON/OFF regions depend on (the disp
    model's own section reaches them through its model file)."""
    return canonical({k: config["directions"][k] for k in ("theta2_cut", "n_off")})


def get_labeller_directions():
    """Config `directions` as the region labeller reads it, for signal_leak's params; every key but
    theta2_cuts, which only the significance analysis reads (rule theta2), so editing that list
    reruns no stage-6 job."""
    return canonical({k: v for k, v in config["directions"].items() if k != "theta2_cuts"})


def features_have_images():
    """True when the feature files carry grid_image and pixel_set (events with images, i.e. the
    simulator); False for FACT DL2 input. Image-based model rules should check it."""
    return config["source"] == "simulate"


def augmented(name):
    """Whether model `name` (a config or study model) trains by augmentation (`adapt: {method:
    augment}`)."""
    entry = model_entry(name)
    return hasattr(entry, "get") and (entry.get("adapt") or {}).get("method") == "augment"


def trained_entry(name):
    """The entry that training rules train: an augmented one without its `adapt` section (it trains
    as the plain model does; its datasets, get_training_sets, are what differs)."""
    entry = model_entry(name)
    if augmented(name):
        return canonical({k: v for k, v in entry.items() if k != "adapt"})
    return entry


def get_training_sets(wildcards):
    """train/val of a plain model: the simulations' splits, or for an augmented model the
    re-simulated ones (results/augmented/datasets/, adapt.smk)."""
    prefix = "augmented/" if augmented(wildcards.model) else ""
    return {
        "train": results(f"{prefix}datasets/train.h5"),
        "val": results(f"{prefix}datasets/val.h5"),
    }


def get_model_entry(wildcards):
    """The config entry of the model (its hyper-parameters, features, task): the rule's params."""
    return trained_entry(wildcards.model)


def get_net_entry(wildcards):
    """The config entry of the net model (net, settings, optimiser, schedule...): its params."""
    return trained_entry(wildcards.model)


def get_net_gpus(wildcards):
    """GPUs the net asks for (Snakemake's standard `gpu` resource; 0 = CPU only)."""
    return int(model_entry(wildcards.model).get("gpu", 0))


def run_numbers():
    """The run's numbers for a rule's report caption (params numbers=run_numbers(); the caption
    quotes {{ snakemake.params.numbers["Name"] }}): read when the report renders it."""
    from iactdl.evaluate.numbers import RunNumbers

    return RunNumbers(results("paper/numbers.json"))


def get_evaluate_seed(wildcards):
    """Seed of the bootstrap of one model's AUC uncertainty (evaluate, evaluate_labelnoise)."""
    return seed_for("evaluate", wildcards.model)
