# Shared by every stage: config validation, wildcard constraints, seeds, source hashes and the
# input functions that say what the DAG builds. No lambdas inside rules; input functions live here.
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

from snakemake.utils import validate

# Planning imports no torch, scikit-learn or matplotlib (tests/test_parse.py): every call of
# snakemake (and every SLURM job's start) parses this file. Job scripts import what they need.
from iactdl.config import checked_config, produced_samples
from iactdl.adapt.study import lambda_selections, selection_of, study_entry, study_models
from iactdl.models.nets.catalog import NETS
from iactdl.provenance import canonical, rule_seed, script_source_hash, use_index_cache

# the package's code index (digests, imports) for src(...), reread while no module changed
use_index_cache(Path(".snakemake", "iactdl", "code_index.json"))
# Every config file read again, strictly (Snakemake's YAML reader keeps the last of two equal keys
# without a word: a copied model entry replaces the first), the JSON schema (types, ranges,
# unknown keys; fills in defaults), then every check that spans keys or sections, by the stages'
# own validators (in a child process: they build nets and estimators), before any job runs; once
# per config, its files, the schema and the checks' code, then cached.
# In place, in sorted key order: `config` is the workflow's own object, read by every rule below.
_checked_config = checked_config(
    config,
    files=workflow.configfiles,
    schema=Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml"),
    validate=lambda c: validate(c, schema="../schemas/config.schema.yaml"),
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


def fact_file(sample):
    """Path of config fact.files[sample]; a relative path is resolved against the repository root."""
    path = Path(config["fact"]["files"][sample])
    return str(path if path.is_absolute() else (Path(workflow.basedir) / path).resolve())


# source fact: every configured FACT file must exist, checked before any job (one clear message)
if config["source"] == "fact":
    if not available_samples():
        raise ValueError("config fact.files: source is 'fact' but no sample has a file path")
    for _sample in available_samples():
        if not Path(fact_file(_sample)).is_file():
            raise ValueError(
                f"config fact.files.{_sample}: file not found: {fact_file(_sample)} "
                "(relative paths are resolved against the repository root; see data/README.md)"
            )


def models_of_kind(*kinds):
    """Models of these kinds trained by their own kind's rules; ON/OFF entries by labelnoise.smk."""
    return [
        name
        for name, entry in config["models"].items()
        if entry["kind"] in kinds and entry.get("labelnoise") is None
    ]


def plain_baselines():
    """Baselines trained on the simulations alone (train_baseline): entries without `adapt`."""
    return [m for m in models_of_kind("baseline") if config["models"][m].get("adapt") is None]


def plain_nets():
    """Net models trained on the simulations alone (train_net): config entries without
    `adapt`, and the adaptation study's source-only models."""
    nets = [m for m in models_of_kind("net") if config["models"][m].get("adapt") is None]
    return nets + study_models(config["models"], config["adaptation"], ["source", "relative"])


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


def model_src(script):
    """:func:`src` for the rules of one model (wildcard ``model``); a net's rule hashes its own
    net's module and what all nets share, not its sibling nets; a baseline's rule no net's
    module."""

    def get(wildcards):
        entry = model_entry(wildcards.model)
        nets = [entry["net"]] if entry["kind"] == "net" else []
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


wildcard_constraints:
    sample=one_of(SAMPLES, "NO_SAMPLES"),
    split=one_of(SPLITS, "NO_SPLITS"),
    model=one_of(
        [*config["models"], *study_models(config["models"], config["adaptation"])], "NO_MODELS"
    ),


def event_samples():
    """Samples with a results/events file: all but the simulated observation, which is streamed
    from the simulator into the observed splits without intermediate files (stream_observed)."""
    if config["source"] == "simulate":
        return [s for s in available_samples() if s != "observed"]
    return available_samples()


def get_final_output(experiments=False):
    """The default target: stages 1-7 with every model, figure and table; the lecture's experiment
    sweeps (their own targets) only with `experiments`, for the paper target: without them the DAG
    stays within its half hour on 2 cores."""
    targets = expand(results("events/{sample}.h5"), sample=event_samples())
    paper = get_paper_output(experiments=experiments)
    return targets + get_dataset_output() + paper + get_shift_output()


# --- input functions of the simulate rules (simulate.smk) ---


def get_simulate_seed(wildcards):
    """The seed of rule simulate for this sample (independent streams per sample)."""
    return seed_for("simulate", wildcards.sample)


def get_observed_simulation():
    """Config `simulation` without the other samples' sizes: what the observation depends on."""
    return canonical({k: v for k, v in config["simulation"].items() if k != "n_events"})


def get_observed_datasets():
    """The keys of config `datasets` the observed splits depend on (not the labelled fractions)."""
    keys = ("chunk_size", "quality_cuts", "observed_fractions", "observed_train_images")
    return canonical({k: config["datasets"][k] for k in keys if k in config["datasets"]})


# --- input functions of the extract rules (extract.smk) ---


def get_extract_input(wildcards):
    """The raw file of a sample: results("simulated/{sample}.h5"), or config fact.files[sample]."""
    if config["source"] == "simulate":
        return results(f"simulated/{wildcards.sample}.h5")
    return fact_file(wildcards.sample)


def get_fact_section():
    """Config `fact` when reading FACT files (so only then does editing it rerun extract)."""
    return config["fact"] if config["source"] == "fact" else {}


# --- input functions of the features rules (features.smk) ---


def get_labelled_features(wildcards):
    """Named inputs of split_dataset: the features file of each labelled sample this config has."""
    return {
        sample: results(f"features/{sample}.h5")
        for sample in available_samples()
        if sample != "observed"
    }


def features_have_images():
    """True when the feature files carry grid_image and pixel_set (events with images, i.e. the
    simulator); False for FACT DL2 input. Image-based model rules should check it."""
    return config["source"] == "simulate"


OBSERVED_FILES = ["observed_train", "observed_train_images", "observed_val", "observed_test"]


def get_dataset_output():
    """The dataset files this config produces: train/val/test, and the observed splits
    (observed_train, observed_train_images, observed_val, observed_test) if observed is present."""
    out = expand(results("datasets/{split}.h5"), split=SPLITS)
    if "observed" in available_samples():
        out += expand(results("datasets/{name}.h5"), name=OBSERVED_FILES)
    return out


# --- input functions of the baselines rules (baselines.smk) ---


def get_model_entry(wildcards):
    """The config entry of the model (its hyper-parameters, features, task): the rule's params."""
    return config["models"][wildcards.model]


def get_train_seed(wildcards):
    """The training seed of one model (CV folds, estimator random_state)."""
    return seed_for("train_baseline", wildcards.model)


# --- input functions of the deepnets rules (deepnets.smk) ---


def get_net_entry(wildcards):
    """The config entry of the net model (net, settings, optimiser, schedule...): its params."""
    return model_entry(wildcards.model)


def get_net_seed(wildcards):
    """The training seed of one net (initialisation, batch order, dropout)."""
    return seed_for("train_net", wildcards.model)


def get_net_gpus(wildcards):
    """GPUs the net asks for (Snakemake's standard `gpu` resource; 0 = CPU only)."""
    return int(model_entry(wildcards.model).get("gpu", 0))


# --- input functions of the evaluate rules (evaluate.smk) ---


def prediction_splits():
    """The dataset files every model predicts: the simulated test split, and observed_test (the
    only observed events any model is scored on) if observed is present."""
    return ["test"] + (["observed_test"] if "observed" in available_samples() else [])


def get_evaluate_input(wildcards):
    """Model info, its predictions (simulated test, observed_test), and (source simulate) the hidden
    truth of the observed events, joined to observed_test by event_id in evaluate."""
    inputs = {
        "info": results(f"models/{wildcards.model}/model.json"),
        "test": results(f"predictions/{wildcards.model}/test.h5"),
    }
    if "observed" in available_samples():
        inputs["observed"] = results(f"predictions/{wildcards.model}/observed_test.h5")
        if config["source"] == "simulate":
            inputs["observed_truth"] = results("simulated/observed_truth.h5")
    return inputs


def get_model_file(wildcards):
    """The file predict loads (a baseline's model.skops, a net's model.pt): an input, so that a
    replaced model file reruns the predictions (model.json records its SHA-256 as well)."""
    name = "model.skops" if model_entry(wildcards.model)["kind"] == "baseline" else "model.pt"
    return results(f"models/{wildcards.model}/{name}")


def get_evaluate_seed(wildcards):
    """Seed of the bootstrap of one model's AUC uncertainty."""
    return seed_for("evaluate", wildcards.model)


def get_evaluate_shift_input(wildcards):
    """The diagnostics, the observed file they used and the hidden truth (source simulate)."""
    return {
        "diagnostics": rules.shift_diagnostics.output.json,
        "observed": get_shift_input(wildcards)["observed"],
        "observed_truth": results("simulated/observed_truth.h5"),
    }


# --- input functions of the adapt rules (adapt.smk) ---


def get_shift_section():
    """Config `shift` (the diagnostics' settings; schema defaults fill what it leaves out)."""
    return config.get("shift", {})


def shift_quantifier():
    """The separation baseline whose predictions quantify the label shift (config
    shift.quantifier_model; checked by iactdl.config.check_config above)."""
    return get_shift_section().get("quantifier_model", "hist_gbt")


def get_shift_input(wildcards):
    """The simulated training split, observed_train (never _val or _test) and, with images, its
    capped copy with pixel sets, and the quantifier's model (model.json, written last, stands for
    its directory)."""
    inputs = {
        "source": results("datasets/train.h5"),
        "observed": results("datasets/observed_train.h5"),
        "quantifier": results(f"models/{shift_quantifier()}/model.json"),
    }
    if features_have_images():
        inputs["observed_images"] = results("datasets/observed_train_images.h5")
    return inputs


def get_shift_output():
    """The shift diagnostics, their figures and (source simulate) their evaluation against the
    hidden truth, when this config has observed events."""
    if "observed" not in available_samples():
        return []
    out = [results("shift/diagnostics.json")] + expand(
        results("shift/{figure}.{ext}"),
        figure=["feature_shift", "pixel_shift", "label_shift"],
        ext=["pdf", "png"],
    )
    if config["source"] == "simulate":
        out.append(results("shift/evaluation.json"))
    return out


# --- input functions of the figures rules (figures.smk) ---


# The paper: every figure (its path under results/figures/ without suffix; a PDF and a PNG each)
# and every table. A stage adds its own in its .smk file, next to the job that makes them, e.g.
#     PAPER_FIGURES.append("adaptation/dann_roc")
#     PAPER_TABLES.append(results("paper/adaptation.csv"))
# and marks the PNG with report(..., caption=..., category=...), so the paper and all targets, the
# report and results/paper/figures.md pick it up; FIGURE_NOTES[stem] is the figure's one sentence
# in figures.md (default: the first sentence of its caption file in workflow/report/).
PAPER_FIGURES = ["roc", "gammaness", "energy_resolution", "migration", "learning_curves"]
PAPER_TABLES = [results("paper/summary.csv"), results("paper/summary.tex")]
FIGURE_NOTES = {}
FIGURES = PAPER_FIGURES  # the old name
# the experiment sweeps' figures and tables (experiments.smk): in `paper`, not in the default target
EXPERIMENT_FIGURES = []
EXPERIMENT_TABLES = []


def models_of_task(task):
    """Names of the configured models (any kind) with this task."""
    return [name for name, entry in config["models"].items() if entry["task"] == task]


def models_with_energy():
    """Models with an energy estimate: the energy task, and separation nets with an energy head."""
    return [
        name
        for name, entry in config["models"].items()
        if entry["task"] == "energy" or entry.get("energy_head")
    ]


def get_paper_output(experiments=True):
    """Every figure (PDF + PNG), every table and the metrics of every model; without the
    experiment sweeps' figures and tables (experiments.smk) if not `experiments`."""
    stems = [f for f in PAPER_FIGURES if experiments or f not in EXPERIMENT_FIGURES]
    figures = expand(results("figures/{figure}.{ext}"), figure=stems, ext=["pdf", "png"])
    tables = [t for t in PAPER_TABLES if experiments or t not in EXPERIMENT_TABLES]
    metrics = expand(results("metrics/{model}.json"), model=list(config["models"]))
    return figures + tables + metrics + get_labelnoise_output()


# --- input functions of the domain-adaptation rules (adapt.smk) ---


def adaptation_study():
    """Every model of the adaptation study (nets x methods x seeds; iactdl.adapt.study)."""
    return study_models(config["models"], config["adaptation"])


def all_models():
    """The config's models and the adaptation study's."""
    return list(config["models"]) + adaptation_study()


def model_entry(name):
    """The entry of a config model or of a study model (the net's entry + the method)."""
    if name in config["models"]:
        return config["models"][name]
    return canonical(study_entry(name, config["models"], config["adaptation"]))


def adapted_models():
    """Nets that train_adapted trains: config entries with `adapt`, and the study's."""
    own = [m for m in models_of_kind("net") if config["models"][m].get("adapt") is not None]
    methods = ["importance", "dann", "iwdann"]
    return own + study_models(config["models"], config["adaptation"], methods)


def oracle_models():
    """The study's target oracles (trained on observed_train with its hidden truth, which only
    simulated observations have)."""
    if config["source"] != "simulate":
        return []
    return study_models(config["models"], config["adaptation"], ["oracle"])


def observed_train_file(entry):
    """observed_train with the entry's inputs: the feature table, or the subset with images."""
    pixel_level = NETS[entry["net"]].input_kind != "features"
    return results("datasets/observed_train" + ("_images" if pixel_level else "") + ".h5")


def get_adapted_input(wildcards):
    """Simulated train/val, observed_train (the target stream and the importance weights'
    features), and the shift diagnostics when iwdann takes its prior from them."""
    entry = model_entry(wildcards.model)
    adapt = entry["adapt"]
    inputs = {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "target": observed_train_file(entry),
        "weight_target": results("datasets/observed_train.h5"),
    }
    if adapt.get("method", "dann") == "iwdann" and adapt.get("target_prior") is None:
        inputs["diagnostics"] = results("shift/diagnostics.json")
    return inputs


def adapted_baselines():
    """Baselines with `adapt: {method: importance}`: rule train_adapted_baseline."""
    return [m for m in models_of_kind("baseline") if config["models"][m].get("adapt") is not None]


def get_adapted_baseline_input(wildcards):
    """Simulated train/val (fitted, scored with weights) and observed_train's feature table (the
    domain classifier's target sample: features only, no truth)."""
    return {
        "train": results("datasets/train.h5"),
        "val": results("datasets/val.h5"),
        "weight_target": results("datasets/observed_train.h5"),
    }


def get_adapted_baseline_seed(wildcards):
    """The training seed of one adapted baseline (CV folds, estimator, domain classifier)."""
    return seed_for("train_adapted_baseline", wildcards.model)


def get_adapted_seed(wildcards):
    """The training seed of one adapted net; the lambda-grid candidates of one study seed share
    it (their selection's name), so that they differ by lambda_max alone."""
    return seed_for("train_adapted", selection_of(wildcards.model))


def get_oracle_input(wildcards):
    """observed_train (with images for pixel-level nets), observed_val, and the hidden truth."""
    return {
        "train": observed_train_file(model_entry(wildcards.model)),
        "val": results("datasets/observed_val.h5"),
        "truth": results("simulated/observed_truth.h5"),
    }


def get_oracle_seed(wildcards):
    """The training seed of one oracle."""
    return seed_for("train_oracle", wildcards.model)


def get_adaptation_table_input(wildcards):
    """Metrics and model info of every study model, and with a lambda grid the selections that
    pick one candidate per seed."""
    models = adaptation_study()
    inputs = {
        "metrics": expand(results("metrics/{model}.json"), model=models),
        "info": expand(results("models/{model}/model.json"), model=models),
    }
    if lambda_selection_names():
        inputs["selections"] = get_lambda_selection_files(wildcards)
    return inputs


# --- the lambda grid of the adaptation study (config adaptation.lambda_grid; adapt.smk) ---


def _lambda_selections():
    """Selection {net}~{method}~s{seed} -> its candidates {net}~{method}@{lambda}~s{seed}."""
    return lambda_selections(config["models"], config["adaptation"])


def lambda_selection_names():
    """The study's lambda selections (none without a grid: the default DAG is unchanged)."""
    return list(_lambda_selections())


def get_lambda_candidates(wildcards):
    """The candidates of one selection, in grid order."""
    return _lambda_selections()[wildcards.selection]


def get_select_lambda_input(wildcards):
    """Each candidate's predictions on observed_val (by predict_observed_val; no truth)."""
    return {
        "predictions": expand(
            results("labelnoise/{model}/observed_val.h5"), model=get_lambda_candidates(wildcards)
        )
    }


def get_select_lambda_seed(wildcards):
    """Seed of the bootstrap resamples of observed_val that say how firm a selection is."""
    return seed_for("select_lambda", wildcards.selection)


def get_lambda_selection_files(wildcards):
    """Every selection's lambda.json (checkpoint select_lambda)."""
    return expand(results("adaptation/{selection}/lambda.json"), selection=lambda_selection_names())


def get_lambda_table_input(wildcards):
    """Every study model's metrics (the table keeps the candidates) and every selection."""
    return {
        "metrics": expand(results("metrics/{model}.json"), model=adaptation_study()),
        "selections": get_lambda_selection_files(wildcards),
    }


def get_lambda_grid_output(wildcards):
    """The grid table of the study's target, with a grid only."""
    return [results("paper/adaptation_lambda.csv")] if lambda_selection_names() else []


def chosen_model(name):
    """A study model as the figures show it: a lambda selection's chosen candidate (known once
    checkpoint select_lambda has run), any other model as it is."""
    if name not in _lambda_selections():
        return name
    from iactdl.adapt.lambda_selection import read_selection

    return read_selection(checkpoints.select_lambda.get(selection=name).output.json)["model"]


def get_representation_models(wildcards):
    """representation_models() with each lambda selection replaced by its chosen candidate."""
    return [chosen_model(name) for name in representation_models()]


def get_onoff_figure_input(wildcards):
    """The before/after models' predictions on observed_test."""
    return {
        "predictions": expand(
            results("predictions/{model}/observed_test.h5"),
            model=get_representation_models(wildcards),
        )
    }


def representation_models():
    """The before/after pairs of the adaptation figures: per study net, source-only and the
    label-shift-aware DANN (or DANN) of seed 1."""
    methods = config["adaptation"]["methods"]
    after = "iwdann" if "iwdann" in methods else "dann"
    if "source" not in methods or after not in methods:
        return []
    return [f"{net}~{m}~s1" for net in config["adaptation"]["nets"] for m in ("source", after)]


def get_representation_input(wildcards):
    """The before/after models and the simulated test and observed_test events they encode."""
    models = get_representation_models(wildcards)
    return {
        "info": expand(results("models/{model}/model.json"), model=models),
        "source": results("datasets/test.h5"),
        "target": results("datasets/observed_test.h5"),
    }


# --- input functions of the labelnoise rules (labelnoise.smk) ---


def onoff_models():
    """Entries trained on the ON/OFF labels of observed_train (a `labelnoise` section)."""
    return [n for n, e in config["models"].items() if e.get("labelnoise") is not None]


def onoff_baselines():
    """ON/OFF baselines (rules train_onoff, train_onoff_oracle)."""
    return [m for m in onoff_models() if config["models"][m]["kind"] == "baseline"]


def onoff_nets():
    """ON/OFF nets (rules train_onoff_net, train_onoff_oracle_net)."""
    return [m for m in onoff_models() if config["models"][m]["kind"] == "net"]


def get_onoff_net_input(wildcards):
    """observed_train (with images for pixel-level nets) and observed_val: ON/OFF labels, no
    truth."""
    return {
        "train": observed_train_file(model_entry(wildcards.model)),
        "val": results("datasets/observed_val.h5"),
    }


def get_onoff_oracle_model_file(wildcards):
    """The oracle's model file (baseline: model.skops, net: model.pt), an input of its predict."""
    name = "model.skops" if model_entry(wildcards.model)["kind"] == "baseline" else "model.pt"
    return results(f"labelnoise/{wildcards.model}/oracle/{name}")


def measured_models():
    """Separation models measured against the observed truth by evaluate_labelnoise (source
    simulate: the truth exists; every separation model, for the comparison table)."""
    if config["source"] != "simulate" or "observed" not in available_samples():
        return []
    return models_of_task("separation")


def get_labelnoise_output():
    """Stage 6's products: each ON/OFF model, its measurement and reliability figure, and the
    comparison table + figure (when there is an observation with truth and an ON/OFF model)."""
    if "observed" not in available_samples():
        return []
    out = expand(results("models/{model}/model.json"), model=onoff_models())
    if not measured_models() or not onoff_models():
        return out
    out += expand(results("labelnoise/{model}/measurement.json"), model=measured_models())
    out += expand(
        results("figures/reliability_{model}.{ext}"), model=onoff_models(), ext=["pdf", "png"]
    )
    out += [results("paper/comparison.csv"), results("paper/comparison.tex")]
    return out + expand(results("figures/comparison.{ext}"), ext=["pdf", "png"])


def get_onoff_seed(wildcards):
    """The training seed of one ON/OFF model (CV folds, estimator random_state); its oracle
    uses the same, so the two differ by their labels alone."""
    return seed_for("train_onoff", wildcards.model)


def get_labelnoise_measurement_input(wildcards):
    """A model's predictions on observed_test and observed_val, the hidden truth, and for an
    ON/OFF model its oracle's model and predictions."""
    m = wildcards.model
    inputs = {
        "info": results(f"models/{m}/model.json"),
        "test": results(f"predictions/{m}/observed_test.h5"),
        "val": results(f"labelnoise/{m}/observed_val.h5"),
        "truth": results("simulated/observed_truth.h5"),
    }
    if m in onoff_models():
        inputs["oracle_info"] = results(f"labelnoise/{m}/oracle/model.json")
        inputs["oracle_test"] = results(f"labelnoise/{m}/oracle/observed_test.h5")
        inputs["oracle_val"] = results(f"labelnoise/{m}/oracle/observed_val.h5")
    return inputs


def get_comparison_input():
    """Entries' metrics (simulated test AUC), model.json (ON/OFF CV AUC) and measurements."""
    models = measured_models()
    return {
        "metrics": expand(results("metrics/{model}.json"), model=models),
        "infos": expand(results("models/{model}/model.json"), model=models),
        "measurements": expand(results("labelnoise/{model}/measurement.json"), model=models),
    }


# --- input functions of the experiments rules (experiments.smk) ---


def _experiment(name):
    return config["experiments"][name]


def _reps(name):
    """Repetition indices 0..seeds-1 of an experiment (each its own seed)."""
    return list(range(int(_experiment(name)["seeds"])))


def get_capacity_settings(wildcards):
    """One capacity point's settings: the sweep's shared keys, its depth, width and seed."""
    shared = {
        k: v
        for k, v in _experiment("capacity").items()
        if k not in ("widths", "depths", "seeds", "epochwise_widths", "gpu")
    }
    return {
        **shared,
        "depth": int(wildcards.depth),
        "width": int(wildcards.width),
        "seed": seed_for("capacity", wildcards.rep),
    }


def get_capacity_gpus(wildcards):
    """GPUs of every capacity point (experiments.capacity.gpu; 0 = CPU)."""
    return int(_experiment("capacity").get("gpu", 0))


def get_capacity_points(wildcards):
    """Every point of the capacity sweep."""
    c = _experiment("capacity")
    return expand(
        results("experiments/capacity/depth{depth}/width{width}_seed{rep}.json"),
        depth=c["depths"],
        width=c["widths"],
        rep=_reps("capacity"),
    )


def _lr_name(lr):
    return f"{float(lr):g}"


def get_optimiser_entry(wildcards):
    """The net entry of an optimiser point (optimiser, schedule and lr come from the wildcards)."""
    return _experiment("optimisers")["nets"][wildcards.opt_net]


def get_optimiser_sizes(wildcards):
    """Training and validation events of every optimiser point (0 = the whole split)."""
    o = _experiment("optimisers")
    return {"n_train": o["n_train"], "n_val": o["n_val"]}


def get_optimiser_seed(wildcards):
    """Seed of repetition `rep`: the same for every optimiser, schedule and lr (paired runs)."""
    return seed_for("optimisers", wildcards.rep)


def get_optimiser_gpus(wildcards):
    return int(get_optimiser_entry(wildcards).get("gpu", 0))


def get_lr_grid_points(wildcards):
    """lr -> summary of the constant-schedule, first-seed run at each rate of the grid."""
    net, opt = wildcards.opt_net, wildcards.optimizer
    grid = _experiment("optimisers")["learning_rates"][opt]
    return {
        _lr_name(lr): results(
            f"experiments/optimisers/{net}/{opt}/constant/lr{_lr_name(lr)}_seed0.json"
        )
        for lr in grid
    }


def get_optimiser_lr_files(wildcards):
    o = _experiment("optimisers")
    return expand(
        results("experiments/optimisers/{net}/{optimizer}/lr.json"),
        net=list(o["nets"]),
        optimizer=list(o["learning_rates"]),
    )


def get_optimiser_runs(wildcards):
    """History of every (net, optimiser, schedule, seed) run at the chosen learning rate.

    The rate is chosen by checkpoint optimiser_lr, so the DAG below it is known once it has run.
    """
    from iactdl.experiments.learning_rate import read_lr

    o = _experiment("optimisers")
    runs = []
    for net in o["nets"]:
        for opt in o["learning_rates"]:
            lr_file = checkpoints.optimiser_lr.get(opt_net=net, optimizer=opt).output.lr
            runs += expand(
                results("experiments/optimisers/{net}/{opt}/{schedule}/lr{lr}_seed{rep}.csv"),
                net=net,
                opt=opt,
                schedule=o["schedules"],
                lr=_lr_name(read_lr(lr_file)),
                rep=_reps("optimisers"),
            )
    return runs


def get_inductive_bias_entry(wildcards):
    return _experiment("inductive_bias")["models"][wildcards.ib_model]


def get_inductive_bias_sizes(wildcards):
    """Sizes of one point: training events (wildcard; 0 = all), and the shared settings."""
    ib = _experiment("inductive_bias")
    return {
        "n_train": 0 if wildcards.n_train == "all" else int(wildcards.n_train),
        "n_val": ib["n_val"],
        "n_test": ib["n_test"],
        "min_steps": ib["min_steps"],
        "max_epochs": ib["max_epochs"],
    }


def get_inductive_bias_seed(wildcards):
    """Seed of repetition `rep`: the same subsets for every model (paired comparison)."""
    return seed_for("inductive_bias", wildcards.rep)


def get_inductive_bias_gpus(wildcards):
    return int(get_inductive_bias_entry(wildcards).get("gpu", 0))


def get_inductive_bias_labels():
    """Model -> legend label (its entry's description, else its name)."""
    models = _experiment("inductive_bias")["models"]
    return {name: entry.get("description") or name for name, entry in models.items()}


def get_inductive_bias_points(wildcards):
    ib = _experiment("inductive_bias")
    return expand(
        results("experiments/inductive_bias/{model}/n{n}_seed{rep}.json"),
        model=list(ib["models"]),
        n=[n if n else "all" for n in ib["train_sizes"]],
        rep=_reps("inductive_bias"),
    )


# --- input functions of the paper rules (paper.smk) ---


def get_paper_figure_pngs(wildcards):
    """The PNG of every figure of the paper (PAPER_FIGURES, as extended by every stage)."""
    return expand(results("figures/{figure}.png"), figure=PAPER_FIGURES)


def caption_file(figure):
    """The report caption of a figure: workflow/report/<figure with / as _>.rst."""
    name = "_".join(PurePosixPath(figure).parts)
    return Path(workflow.basedir, "workflow", "report", f"{name}.rst")


def get_figure_notes(wildcards):
    """Figure -> one sentence for results/paper/figures.md: FIGURE_NOTES, else its caption's first."""
    from iactdl.evaluate.report import first_sentence, render_caption

    notes = {}
    for figure in PAPER_FIGURES:
        path = caption_file(figure)
        if figure in FIGURE_NOTES:
            notes[figure] = FIGURE_NOTES[figure]
        elif path.exists():
            notes[figure] = first_sentence(render_caption(path, config))
        else:
            notes[figure] = f"(no caption: add {path.relative_to(workflow.basedir)})"
    return notes
