"""Every config error stops before any job, naming the key (or the file and line).

Library level (fast): :func:`iactdl.config.check_config` on many bad variants of the tiny config,
and :func:`iactdl.config.load_config` on duplicate keys and YAML syntax errors. Workflow level:
``snakemake -n`` on bad configs written to a temporary directory: the message names the key, no DAG
is built and nothing is written there. Zero-event samples are skipped, not simulated empty.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from refusal import refused_dry_run

from iactdl.config import ConfigError, check_config, load_config, produced_samples

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"


# Entries the tiny DAG leaves out (one model per training rule there, tests/config/tiny.yaml), put
# back for the config checks: a logistic regression, a separation random forest and the Set
# Transformer have parameters and settings of their own to check.
_CHECKED_ONLY = {
    "logreg": {
        "kind": "baseline", "task": "separation", "estimator": "logistic_regression",
        "params": {"C": 1.0, "max_iter": 1000},
        "derived_features": ["log_size", "width_length", "size_area"],
    },
    "random_forest": {
        "kind": "baseline", "task": "separation", "estimator": "random_forest",
        "params": {"n_estimators": 30, "min_samples_leaf": 3, "max_features": "sqrt"},
        "derived_features": ["log_size", "width_length", "size_area"],
    },
    "settransformer": {
        "kind": "net", "task": "separation", "net": "settransformer",
        "features": ["pixel_set", "pixel_set_mask"], "epochs": 3, "batch_size": 32,
        "settings": {"dim": 16, "heads": 2, "blocks": 1, "inducing_points": 4, "seeds": 1,
                     "head_hidden": 16, "time": "relative"},
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> dict:
    """The tiny config plus the entries of :data:`_CHECKED_ONLY` (features: the tiny models')."""
    config = yaml.safe_load(TINY.read_text())
    features = config["models"]["hist_gbt"]["features"]
    for name, entry in _CHECKED_ONLY.items():
        config["models"][name] = {**entry, "features": entry.get("features", features)}
    return config


def _set(config: dict, dotted: str, value) -> dict:
    bad = copy.deepcopy(config)
    *parents, last = dotted.split(".")
    node = bad
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return bad


# (dotted key, bad value, what the message must say): each a config error the schema lets through
BAD = [
    ("datasets.fractions", {"train": 0.7, "val": 0.2, "test": 0.2}, "datasets.fractions"),
    ("datasets.fractions", {"train": 0.8, "val": 0.0, "test": 0.2}, "datasets.fractions.val"),
    ("datasets.fractions", {"train": 0.0, "val": 0.5, "test": 0.5}, "datasets.fractions.train"),
    ("features.picture_threshold", 2.0, "features.picture_threshold"),
    ("simulation.gamma.e_min_tev", 60.0, "simulation.gamma: e_min_tev"),
    ("simulation.proton.e_max_tev", 0.1, "simulation.proton: e_min_tev"),
    ("evaluation.energy_min", 200.0, "evaluation.energy_min"),
    ("extract.ranges", {"true_energy": [10.0, 1.0]}, "extract.ranges.true_energy"),
    ("datasets.quality_cuts", {"size": [500, 50]}, "datasets.quality_cuts.size"),
    ("models.logreg.params", {"C": 1.0, "n_trees": 3}, "models.logreg"),
    ("models.random_forest.params", {"random_state": 1}, "models.random_forest"),
    ("models.random_forest.estimator", "xgboost", "models.random_forest"),
    ("models.logreg.derived_features", ["log_size", "hadronness"], "models.logreg"),
    ("models.mlp.settings", {"hidden": [16], "widht": 3}, "models.mlp.settings"),
    ("models.settransformer.settings", {"dim": 10, "heads": 4}, "models.settransformer.settings"),
    ("models.deepsets.settings", {"pooling": "median"}, "models.deepsets.settings"),
    ("models.mlp.learning_rate", 0.1, "models.mlp"),
    ("models.hexcnn.features", ["pixel_set"], "models.hexcnn.features"),
    ("models.logreg.features", ["size", "hillas_width"], "models.logreg.features"),
    ("models.mlp.features", ["size", "true_energy"], "models.mlp.features"),
    ("models", {}, "models: empty"),
    ("simulation.n_events.proton", 0, "simulation.n_events.proton"),
    # a candidate of the significance analysis's theta^2 cut that lets the regions overlap
    (
        "directions.theta2_cuts",
        [0.02, 0.1],
        "directions.theta2_cuts: theta2_cut = 0.1 deg^2 lets the ON and "
        "OFF regions overlap (simulation.wobble_offset_deg 0.6, directions.n_off 5); the largest "
        "allowed value is 0.09 deg^2",
    ),
]


@pytest.mark.parametrize("key, value, message", BAD, ids=[f"{k}={v}" for k, v, _ in BAD])
def test_check_config_names_the_key(tiny, key, value, message):
    with pytest.raises(ConfigError) as err:
        check_config(_set(tiny, key, value))
    assert message in str(err.value)


@pytest.mark.parametrize(
    "key, cut", [("theta2_cut", 0.1), ("theta2_cuts", [0.02, 0.1]), ("theta2_cut", "wide")]
)
def test_the_config_refuses_a_theta2_cut_with_the_one_check_of_every_cut(tiny, key, cut):
    """The config's refusal of a theta^2 cut is check_theta2_cut's, citing the config keys: one
    check and one message wherever a cut is checked (config, regions, analysis)."""
    from iactdl.evaluate.theta2 import check_theta2_cut

    config = _set(tiny, f"directions.{key}", cut)
    offset = config["simulation"].get("wobble_offset_deg", 0.6)  # the schema's default
    n_off = config["directions"]["n_off"]
    bad = cut[-1] if isinstance(cut, list) else cut
    with pytest.raises(ValueError) as expected:
        check_theta2_cut(bad, offset, n_off, f"config directions.{key}",
                         keys=("simulation.wobble_offset_deg", "directions.n_off"))  # fmt: skip
    with pytest.raises(ConfigError) as err:
        check_config(config)
    assert str(expected.value) in str(err.value)


def test_check_config_reports_every_error_at_once(tiny):
    bad = _set(tiny, "features.picture_threshold", 1.0)
    bad = _set(bad, "evaluation.energy_max", 0.05)
    with pytest.raises(ConfigError, match=r"2 error\(s\)") as err:
        check_config(bad)
    assert "features.picture_threshold" in str(err.value)
    assert "evaluation.energy_min" in str(err.value)


@pytest.mark.parametrize(
    "name", ["config.yaml", "tests/config/tiny.yaml", "tests/config/fact_examples.yaml"]
)
def test_shipped_configs_pass(name):
    check_config(load_config(ROOT / name))


def test_fact_source_refuses_image_nets_and_unlisted_features(tiny):
    fact = _set(tiny, "source", "fact")
    fact["fact"] = {"files": {"gamma": "g.h5", "proton": "p.h5"}}
    with pytest.raises(ConfigError) as err:
        check_config(fact)
    msg = str(err.value)
    for net in ("hexcnn", "deepsets", "settransformer"):
        assert f"models.{net}.features" in msg
    assert "source: simulate" in msg
    assert "models.logreg" not in msg  # FACT features and derived ones exist in FACT datasets
    fact["models"] = {"logreg": fact["models"]["logreg"]}
    fact["adaptation"] = {**fact["adaptation"], "nets": []}  # it named nets now removed
    fact.pop("shift_study")  # so did the shift study (a target of simulated observations only)
    check_config(fact)
    fact["fact"]["features"] = ["size", "width", "length"]  # no concentration_cog any more
    with pytest.raises(ConfigError) as err:
        check_config(fact)
    assert "fact.quality_cuts.num_pixel_in_shower: column 'num_pixel_in_shower' is not read" in str(
        err.value
    )
    assert re.search(r"models.logreg.features.*concentration_cog", str(err.value))


@pytest.mark.parametrize(
    "n_events, samples",
    [
        ({"gamma_diffuse": 0}, ["gamma", "proton", "observed"]),
        ({"observed": None}, ["gamma", "gamma_diffuse", "proton"]),
        ({"gamma": 0, "observed": None}, ["gamma_diffuse", "proton"]),
    ],
)
def test_zero_event_samples_are_skipped(tiny, n_events, samples):
    config = copy.deepcopy(tiny)
    n_events = dict(n_events)
    if "observed" in n_events:  # the observation is skipped by hours: null
        config["simulation"]["observed"]["hours"] = n_events.pop("observed")
    config["simulation"]["n_events"].update(n_events)
    assert produced_samples(config) == samples
    if "observed" not in samples:
        config["models"] = _sims_only(config["models"])
    check_config(config)


def _sims_only(models):
    """The model entries trained on simulations alone (no adapt, labelnoise or joint section)."""
    return {
        n: e
        for n, e in models.items()
        if all(e.get(s) is None for s in ("adapt", "labelnoise", "joint"))
    }


@pytest.mark.parametrize("section", ["adapt", "labelnoise", "joint"])
def test_training_on_observed_events_without_them_is_refused(tiny, section):
    config = copy.deepcopy(tiny)
    config["simulation"]["observed"] = {"hours": None}
    config["models"] = _sims_only(config["models"])
    if section == "adapt":
        config["models"]["adapted"] = {**tiny["models"]["deepsets"], "adapt": {"method": "dann"}}
    elif section == "labelnoise":
        config["models"]["adapted"] = {**tiny["models"]["logreg"], "labelnoise": {}}
    else:
        config["models"]["adapted"] = {**tiny["models"]["logreg"], "joint": {}}
    with pytest.raises(ConfigError) as err:
        check_config(config)
    assert f"config models.adapted.{section}: trains on observed events" in str(err.value)
    assert "simulation.observed.hours (null: not simulated)" in str(err.value)


def test_no_gammas_is_refused_naming_both_keys(tiny):
    config = copy.deepcopy(tiny)
    config["simulation"]["n_events"].update(gamma=0, gamma_diffuse=0)
    with pytest.raises(ConfigError) as err:
        check_config(config)
    assert "simulation.n_events.gamma " in str(err.value)
    assert "simulation.n_events.gamma_diffuse" in str(err.value)


def test_stages_use_the_same_validators():
    # the rules' own functions refuse what the validation step refuses, with the same message
    import numpy as np

    from iactdl.evaluate.evaluation import energy_bins
    from iactdl.features import image_features
    from iactdl.features.split import split_assignment

    with pytest.raises(ValueError, match="features.picture_threshold"):
        image_features(np.zeros((1, 1440)), np.zeros((1, 1440)), {"picture_threshold": 1.0})
    with pytest.raises(ValueError, match="datasets.fractions.val"):
        split_assignment(10, {"train": 0.9, "val": 0.0, "test": 0.1}, seed=0)
    with pytest.raises(ValueError, match="evaluation.energy_min"):
        energy_bins({"energy_min": 10.0, "energy_max": 1.0})


# ---- the strict YAML reader ----

DUPLICATES = [
    ("seed: 1\nsource: simulate\nseed: 2\n", 3, "'seed'", 1),
    ("models:\n  a: {kind: baseline}\n  b: {}\n  a: {kind: net}\n", 4, "'models.a'", 2),
    ("models:\n  a:\n    params: {C: 1, C: 2}\n", 3, "'models.a.params.C'", 3),
    ("x:\n  - {p: 1, p: 2}\n", 2, "'x[0].p'", 2),
]


@pytest.mark.parametrize("text, line, key, first", DUPLICATES)
def test_duplicate_keys_are_refused_with_key_and_line(tmp_path, text, line, key, first):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: duplicate key {key}")
    assert f"first at line {first}" in msg


def test_merge_keys_may_be_overridden(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("base: &b {lr: 1, epochs: 2}\nnet:\n  <<: *b\n  lr: 3\n")
    assert load_config(path)["net"] == {"lr": 3, "epochs": 2}


SYNTAX = [
    ("seed: 1\nsource: [simulate\nmodels: {}\n", 3),  # unclosed bracket: noticed at line 3
    ("seed: 1\nmodels:\n\tlogreg: {}\n", 3),  # a tab
    ("seed: 1\nmodels:\n  a: 1\n b: 2\n", 4),  # indentation
    ('seed: "1\n', 2),  # unclosed quote
]


@pytest.mark.parametrize("text, line", SYNTAX)
def test_yaml_syntax_error_names_file_and_line(tmp_path, text, line):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"^{path}:{line}:\d+: YAML syntax error"):
        load_config(path)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just a string\n"])
def test_config_that_is_not_a_mapping_is_refused(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


# ---- the workflow: snakemake -n refuses before any job ----


WORKFLOW_BAD = [
    ("features.picture_threshold", 1.0, "features.picture_threshold (1.0 p.e.) must be >="),
    ("datasets.fractions", {"train": 0.5, "val": 0.2, "test": 0.2}, "must sum to 1, got 0.9"),
    ("models.random_forest.params", {"n_estimators": 5, "max_deph": 3}, "['max_deph']"),
    ("models.mlp.settings", {"hidden": [8], "dropuot": 0.1}, "models.mlp.settings"),
    ("models.logreg.features", ["size", "no_such_column"], "models.logreg.features"),
    ("simulation.n_events.proton", 0, "simulation.n_events.proton"),
    ("models", {}, "models: empty"),
    ("directions.theta2_cuts", [0.04, 0.1], "the largest allowed value is 0.09 deg^2"),
]


@pytest.mark.workflow
@pytest.mark.parametrize("key, value, message", WORKFLOW_BAD, ids=[k for k, _, _ in WORKFLOW_BAD])
def test_snakemake_refuses_bad_config_before_any_job(tiny, tmp_path, key, value, message):
    out = refused_dry_run(yaml.safe_dump(_set(tiny, key, value)), tmp_path)
    assert message in out, out[-3000:]


@pytest.mark.workflow
def test_snakemake_refuses_duplicate_model(tmp_path):
    text = TINY.read_text().replace("  hist_gbt_importance:\n", "  hist_gbt:\n", 1)
    out = refused_dry_run(text, tmp_path)
    assert "duplicate key 'models.hist_gbt'" in out, out[-3000:]
    assert "config.yaml:" in out


@pytest.mark.workflow
def test_embedded_config_syntax_error_names_file_and_line(tmp_path):
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "Snakefile", repo)
    shutil.copytree(ROOT / "workflow", repo / "workflow")
    lines = (ROOT / "config.yaml").read_text().splitlines(keepends=True)
    at = next(i for i, s in enumerate(lines) if s.startswith("seed:"))
    lines[at] = "seed: [42\n"
    (repo / "config.yaml").write_text("".join(lines))
    proc = subprocess.run(
        ["snakemake", "-n", "--workflow-profile", "none"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    # the parser notices the unclosed bracket lines later, and says where it was opened
    assert re.search(rf"{repo / 'config.yaml'}:\d+:\d+: YAML syntax error", out), out[-3000:]
    assert f"while parsing a flow sequence at line {at + 1})" in out, out[-3000:]
    assert not (repo / "results").exists() and not (repo / "data").exists()


@pytest.mark.workflow
def test_snakemake_skips_zero_event_samples(tiny, tmp_path):
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    config = copy.deepcopy(tiny)
    config["simulation"]["n_events"].update(gamma_diffuse=0)
    config["simulation"]["observed"]["hours"] = None
    config["models"] = _sims_only(config["models"])  # the others need observed events
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        ["snakemake", "-n", "--configfile", str(path), "--directory", str(tmp_path / "w")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "sample=gamma\n" in out and "sample=proton\n" in out
    assert "gamma_diffuse" not in out and "observed" not in out


# ---- the columns check_config assumes are the columns the stages write ----

FACT = ROOT.parent / "shared" / "fact-data"


def _new_columns(raw: Path, features: Path) -> set[str]:
    from iactdl.io import column_names

    return set(column_names(features)) - set(column_names(raw))


def test_model_input_columns_are_what_build_features_writes(tmp_path):
    from iactdl.features import build_features
    from iactdl.features.columns import model_input_columns
    from iactdl.simulate.run import simulate_sample

    raw, truth = tmp_path / "observed.h5", tmp_path / "truth.h5"
    simulate_sample("observed", None, {"observed": {"hours": 0.0005}}, 1, raw, truth_path=truth)
    build_features(raw, tmp_path / "f.h5", {"pixel_set_size": 8})
    expected = model_input_columns("simulate") - {"event_id", "source_x", "source_y"}
    assert _new_columns(raw, tmp_path / "f.h5") == expected


@pytest.mark.skipif(not (FACT / "gamma.hdf5").exists(), reason=f"{FACT} not found")
def test_model_input_columns_of_fact_source_are_what_the_stages_write(tmp_path):
    from iactdl.extract import FACT_DEFAULTS, extract_events
    from iactdl.features import build_features
    from iactdl.features.columns import model_input_columns
    from iactdl.io import TRUTH_COLUMNS, column_names

    for features in (FACT_DEFAULTS["features"], ["size", "width", "length", "delta"]):
        fact = {"features": features, "extra_columns": ["pointing_position_zd"], "quality_cuts": {}}
        events, out = tmp_path / "events.h5", tmp_path / "features.h5"
        extract_events("fact", FACT / "gamma.hdf5", events, {}, fact, sample="gamma")
        build_features(events, out)
        have = set(column_names(out)) - set(TRUTH_COLUMNS)
        assert have == model_input_columns("fact", features, fact["extra_columns"])


def test_full_adaptation_study_config_is_an_overlay_of_the_study_section():
    """config/adaptation_study.yaml holds the section `adaptation` alone, merged over config.yaml
    (``--configfile config.yaml config/adaptation_study.yaml``), so the study reuses the default
    run's datasets and models and cannot drift from them; merged, it passes the schema and its
    grid is larger than the default's."""
    from snakemake.utils import update_config

    from iactdl.adapt.study import study_models

    overlay = yaml.safe_load((ROOT / "config" / "adaptation_study.yaml").read_text())
    assert set(overlay) == {"adaptation"}
    merged = load_config(ROOT / "config.yaml")
    default_study = study_models(merged["models"], merged["adaptation"])
    update_config(merged, overlay)
    check_config(merged)
    full = study_models(merged["models"], merged["adaptation"])
    assert set(default_study) < set(full) and len(full) >= 3 * len(default_study)


def test_full_shift_study_config_is_an_overlay_of_the_study_section():
    """config/shift_study.yaml holds the section `shift_study` alone, merged over config.yaml; it
    studies every shift alone and all together, and its grid is larger than the default's."""
    from snakemake.utils import update_config

    from iactdl.adapt.shift_study import shift_study_models
    from iactdl.simulate.settings import SHIFTS

    overlay = yaml.safe_load((ROOT / "config" / "shift_study.yaml").read_text())
    assert set(overlay) == {"shift_study"}
    merged = load_config(ROOT / "config.yaml")
    default_grid = shift_study_models(merged["models"], merged["shift_study"])
    update_config(merged, overlay)
    check_config(merged)
    assert merged["shift_study"]["shifts"] == [*SHIFTS, "all"]
    full = shift_study_models(merged["models"], merged["shift_study"])
    assert set(default_grid) < set(full) and len(full) >= 3 * len(default_grid)


def test_crab_sample_conditions_overlay_keeps_only_the_shifts_fact_measures():
    """config/crab_sample_conditions.yaml, merged over config.yaml, passes the schema and gives an
    observed detector that differs from the simulated one exactly in the keys of the three shifts
    FACT's real files show (zenith range, trigger timing, dead pixels): sigma per sqrt(hour) under
    these conditions is the one to set beside FACT's open Crab analysis."""
    from snakemake.utils import update_config

    from iactdl.simulate.settings import SHIFTS, detector_config

    overlay = yaml.safe_load((ROOT / "config" / "crab_sample_conditions.yaml").read_text())
    assert set(overlay) == {"simulation"}
    merged = load_config(ROOT / "config.yaml")
    update_config(merged, overlay)
    check_config(merged)
    simulated = detector_config(merged["simulation"], observed=False)
    observed = detector_config(merged["simulation"], observed=True)
    differing = {k for k in simulated if simulated[k] != observed[k]}
    kept = {"zenith", "trigger_timing", "dead_pixels"}
    shifted = merged["simulation"]["observed"]["detector"]
    assert differing == {k for n in kept for k in SHIFTS[n][0] if shifted[k] != simulated[k]}
    assert differing >= {"dead_pixel_fraction", "trigger_walk_ns", "zenith_max_deg"}
    assert not differing & {"nsb_pe", "gain", "psf_sigma_mm", "trigger_threshold_factor"}
