"""One source of every default: the library's; the schema says the same, for every config section.

The library owns the defaults (a user of :mod:`iactdl` in a notebook gets the pipeline's behaviour
without the schema); ``workflow/schemas/config.schema.yaml`` repeats each with its description, and
this test holds the two together. A section of the schema without a library counterpart here fails,
so a new section brings its defaults along.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
# keys only the workflow reads (no library function takes them); the schema is their one source
WORKFLOW_ONLY = {"seed", "source", "results_dir"}


def effective_default(node: dict):
    """The default a validator that fills defaults (Snakemake's ``validate``) produces for an
    absent key: the node's ``default``, with absent keys of an object filled from its properties."""
    default = node.get("default")
    props = node.get("properties")
    if props and (default is None or isinstance(default, dict)):
        filled = dict(default or {})
        for key, sub in props.items():
            if key not in filled and ("default" in sub or "properties" in sub):
                filled[key] = effective_default(sub)
        return filled
    return default


def library_defaults() -> dict:
    from iactdl.adapt.shift import SHIFT_DEFAULTS
    from iactdl.adapt.shift_study import SHIFT_STUDY_DEFAULTS
    from iactdl.adapt.study import STUDY_DEFAULTS
    from iactdl.evaluate import EVALUATION_DEFAULTS
    from iactdl.experiments import EXPERIMENTS_DEFAULTS
    from iactdl.extract import DEFAULTS, FACT_DEFAULTS
    from iactdl.features import DATASETS_DEFAULTS, DEFAULT_CONFIG
    from iactdl.observed_regions import DIRECTIONS_DEFAULTS
    from iactdl.simulate import DEFAULTS as SIMULATION_DEFAULTS

    return {
        "simulation": SIMULATION_DEFAULTS,
        "fact": FACT_DEFAULTS,
        "extract": DEFAULTS,
        "features": DEFAULT_CONFIG,
        "datasets": DATASETS_DEFAULTS,
        "directions": DIRECTIONS_DEFAULTS,
        "evaluation": EVALUATION_DEFAULTS,
        "adaptation": STUDY_DEFAULTS,
        "shift": SHIFT_DEFAULTS,
        "shift_study": SHIFT_STUDY_DEFAULTS,
        "experiments": EXPERIMENTS_DEFAULTS,
    }


def model_kind_defaults() -> dict:
    """Library defaults of the optional keys of a model entry, per kind."""
    from iactdl.fit import NET_DEFAULTS, FitSettings
    from iactdl.models.baselines import BASELINE_DEFAULTS

    fit = {f.name: f.default for f in dataclasses.fields(FitSettings) if f.name != "seed"}
    return {"baseline": BASELINE_DEFAULTS, "net": {**fit, **NET_DEFAULTS}}


def test_every_section_has_a_library_owner():
    sections = set(SCHEMA["properties"])
    owned = set(library_defaults()) | {"models"} | WORKFLOW_ONLY
    assert sections == owned, (
        f"schema sections without a library default: {sorted(sections - owned)}; "
        f"library defaults without a schema section: {sorted(owned - sections)}"
    )


@pytest.mark.parametrize("section", sorted(library_defaults()))
def test_schema_defaults_are_the_librarys(section):
    node = SCHEMA["properties"][section]
    library = library_defaults()[section]
    assert effective_default(node) == library
    # an explicit section default (e.g. the simulation's, written out whole) says the same
    if node.get("default"):
        assert node["default"] == library


NO_DEFAULT_SECTIONS = {"joint"}  # absent = not joint (iactdl.labelnoise.joint.joint_settings)


def _kind_branches() -> dict:
    entry = SCHEMA["properties"]["models"]["additionalProperties"]
    return {b["if"]["properties"]["kind"]["const"]: (entry, b["then"]) for b in entry["allOf"]}


@pytest.mark.parametrize("kind", ["baseline", "net"])
def test_model_entry_defaults_are_the_librarys(kind):
    entry, branch = _kind_branches()[kind]
    required = set(entry["required"]) | set(branch.get("required", []))
    props = branch["properties"]
    # a section that opts an entry into a stage and has no default: a default (null) would join
    # every entry's params and rerun every model once (stage 6's joint section)
    without = {k for k, v in props.items() if k not in required and "default" not in v}
    assert without == NO_DEFAULT_SECTIONS, kind
    optional = {k: v["default"] for k, v in props.items() if k not in required | without}
    assert optional == model_kind_defaults()[kind]


def test_required_model_keys_have_no_library_default():
    # a required key's schema default documents the usual value; the library must not invent one
    for kind, (entry, branch) in _kind_branches().items():
        required = set(entry["required"]) | set(branch.get("required", []))
        assert not required & set(model_kind_defaults()[kind]), kind


def test_config_yaml_image_parameters_are_the_default_features():
    from iactdl.features import DEFAULT_FEATURES
    from iactdl.io.fact import FACT_FEATURES

    # a subset, so a baseline runs on real FACT DL2 too; the order is the models' column order
    assert set(DEFAULT_FEATURES) == set(FACT_FEATURES) - {"delta", "cog_x", "cog_y"}
    for name in ("config.yaml", "tests/config/fact_examples.yaml", "config/fact_open_data.yaml"):
        models = yaml.safe_load((ROOT / name).read_text())["models"]
        assert models["logreg"]["features"] == list(DEFAULT_FEATURES), name
