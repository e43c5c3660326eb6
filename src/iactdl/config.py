"""The whole configuration: a strict YAML reader and every check that needs the config alone.

The workflow validates ``config.yaml`` against its JSON schema (types, ranges, unknown keys), then
calls :func:`check_config`, which runs each stage's own validator on its section (the same function
the stage calls when it runs, so the two cannot drift) and the checks that span sections: a model
feature no dataset carries, a task without the samples it needs. Every message names the key. So a
bad config stops before any job, before Snakemake could delete outputs whose params changed.

:func:`load_config` reads a config file as YAML but refuses what YAML lets through silently: a
duplicate key (YAML keeps the last one, so a copied model entry replaces the first without a word)
and names the file and line of a syntax error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

__all__ = [
    "ConfigError",
    "check_config",
    "checked_config",
    "load_config",
    "produced_samples",
    "validate_model",
]

# libyaml's reader where PyYAML has it: config.yaml is read on every snakemake call (10x faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SAMPLES = ("gamma", "gamma_diffuse", "proton", "observed")
GAMMA_SAMPLES = ("gamma", "gamma_diffuse")


class ConfigError(ValueError):
    """A bad configuration: the message names the file and line, or the key, and what is valid."""


# ---- the strict reader ----


def _duplicates(node: yaml.Node, path: str, where: str) -> None:
    """Raise on the first mapping key written twice (merge keys ``<<`` may be overridden)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            here = f"{where}.{key}" if where else str(key)
            if key in seen:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: duplicate key '{here}' (first at line "
                    f"{seen[key] + 1}); YAML would silently keep only the last one. Rename or "
                    "remove one of them."
                )
            seen[key] = key_node.start_mark.line
            _duplicates(value_node, path, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicates(item, path, f"{where}[{i}]")


def load_config(path: str | os.PathLike) -> dict:
    """Read a YAML (or JSON) config file; refuse duplicate keys and name a syntax error's line.

    Raises
    ------
    ConfigError
        ``{path}:{line}: duplicate key 'models.logreg'`` ..., ``{path}:{line}:{column}: YAML
        syntax error`` ..., or a top level that is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = str(err.problem or err.context)
        opened = err.context_mark
        if err.context and opened is not None and opened.line != mark.line:
            what += f" ({err.context} at line {opened.line + 1})"
        raise ConfigError(
            f"{path}:{mark.line + 1}:{mark.column + 1}: YAML syntax error: {what}; tabs, an "
            "unclosed bracket or quote and a missing ':' are the usual causes"
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: YAML syntax error: {err}") from None
    if node is None:
        raise ConfigError(f"{path}: the config file is empty")
    _duplicates(node, str(path), "")
    config = yaml.load(text, Loader=_LOADER)
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"{path}: expected a mapping of sections (seed, source, models, ...) at the top level, "
            f"got {type(config).__name__}"
        )
    return config


# ---- the checks ----


def produced_samples(config: Mapping) -> list[str]:
    """The samples a config produces: when simulating, those with ``simulation.n_events`` > 0 (a
    sample of 0 events is skipped, not simulated empty); when reading FACT, those with a file."""
    if config.get("source", "simulate") == "simulate":
        n_events = (config.get("simulation") or {}).get("n_events") or {}
        return [s for s in SAMPLES if n_events.get(s, 1) > 0]
    files = (config.get("fact") or {}).get("files") or {}
    return [s for s in SAMPLES if files.get(s)]


def _sample_key(config: Mapping, sample: str) -> str:
    if config.get("source", "simulate") == "simulate":
        return f"simulation.n_events.{sample} (0: not simulated)"
    return f"fact.files.{sample} (null: not read)"


def _check_samples(config: Mapping) -> list[str]:
    """A task needs labelled samples of its classes: gammas for both, hadrons for separation."""
    have = set(produced_samples(config))
    tasks: dict[str, list[str]] = {}
    for name, entry in (config.get("models") or {}).items():
        if isinstance(entry, Mapping):
            tasks.setdefault(entry.get("task", "separation"), []).append(name)
    errors = []
    if not have & set(GAMMA_SAMPLES) and tasks:
        keys = " and ".join(_sample_key(config, s) for s in GAMMA_SAMPLES)
        errors.append(f"{keys}: no gamma events, but models {sum(tasks.values(), [])} need them")
    if "proton" not in have and tasks.get("separation"):
        errors.append(
            f"{_sample_key(config, 'proton')}: no hadron events, but the separation models "
            f"{tasks['separation']} need them"
        )
    return errors


def _net_inputs(name: str, entry: Mapping) -> list[str]:
    """The columns a net entry reads; building the net (cheap, on the CPU) also checks settings
    that only the net's constructor can (e.g. a Set Transformer's dim divisible by its heads)."""
    from iactdl.fit.train import heads_for
    from iactdl.models.nets.registry import NETS, build_net, input_columns

    reads = input_columns(entry["net"], list(entry.get("features") or []))
    n_features = len(reads) if NETS[entry["net"]].input_kind == "features" else None
    try:
        build_net(entry["net"], entry.get("settings"), heads_for(entry), n_features=n_features)
    except (ValueError, TypeError) as err:
        raise ValueError(f"config models.{name}.settings: {err}") from None
    return reads


def validate_model(name: str, entry: Mapping) -> None:
    """Check a model entry of any kind and stage: an ON/OFF entry (a ``labelnoise`` section) by
    stage 6 (:func:`iactdl.labelnoise.baselines.labelnoise_settings`), an adapted one (an
    ``adapt`` section) by stage 5 (:func:`iactdl.adapt.settings.adapt_section`), then its base
    entry, like every other entry, by the engine's :func:`iactdl.fit.entry.validate_entry`."""
    from iactdl.fit.entry import validate_entry
    from iactdl.models.common_entry import validate_model_entry

    if isinstance(entry, Mapping) and entry.get("labelnoise") is not None:
        from iactdl.labelnoise.baselines import base_entry, labelnoise_settings

        validate_model_entry(name, entry)
        labelnoise_settings(name, entry)
        entry = base_entry(entry)
    if isinstance(entry, Mapping) and entry.get("adapt") is not None:
        from iactdl.adapt.settings import adapt_section, base_entry

        validate_model_entry(name, entry)
        adapt_section(name, entry)
        entry = base_entry(entry)
    validate_entry(name, entry)


def _check_study(config: Mapping) -> list[str]:
    """The adaptation study's entries (a net entry with a method's changes), one per net and
    method: checked like the config's own, so the study's rules cannot fail on their entry."""
    from iactdl.adapt.study import SEPARATOR, STUDY_DEFAULTS, lambda_grid, study_entry, study_models

    models = config.get("models") or {}
    study = {**STUDY_DEFAULTS, **dict(config.get("adaptation") or {})}
    try:
        lambda_grid(study)  # the names of the grid's candidates need it whole
    except ValueError as err:
        return [str(err)]
    errors = []
    for name in study_models(models, {**study, "seeds": 1}):
        net = name.split(SEPARATOR)[0]
        try:
            validate_model(net, models[net])
        except (ValueError, TypeError):
            continue  # reported as the net's own error
        try:
            validate_model(name, study_entry(name, models, study))
        except (ValueError, TypeError) as err:
            errors.append(f"adaptation (study model {name}): {err}")
    return errors


def _check_observed_training(config: Mapping) -> list[str]:
    """Entries trained on observed events (an ``adapt`` or ``labelnoise`` section) need them: with
    no observed sample their rules would fail only once the sims were built."""
    if "observed" in produced_samples(config):
        return []
    return [
        f"config models.{name}.{key}: trains on observed events (observed_train), but "
        f"{_sample_key(config, 'observed')} gives none; drop the section or add observed events"
        for name, entry in (config.get("models") or {}).items()
        if isinstance(entry, Mapping)
        for key in ("adapt", "labelnoise")
        if entry.get(key) is not None  # labelnoise: {} opts in with every default
    ]


def _check_shift(config: Mapping) -> list[str]:
    """The shift diagnostics' section and its quantifier (a separation baseline of ``models``);
    only when the config has observed events, as only then do the diagnostics run."""
    from iactdl.adapt.shift import check_shift_config

    if "observed" not in produced_samples(config):
        return []
    try:
        check_shift_config(config.get("shift"), config.get("models") or {})
    except (ValueError, TypeError) as err:
        return [str(err)]
    return []


def _check_models(config: Mapping) -> list[str]:
    from iactdl.features.columns import IMAGE_PRODUCTS, model_input_columns
    from iactdl.io import TRUTH_COLUMNS
    from iactdl.models import derived_inputs

    # columns of the labelled splits that are the answer, not an input (no observed event has them)
    labels = {*TRUTH_COLUMNS, "is_gamma", "sample", "region"}

    models = config.get("models")
    if not models:
        return ["models: empty; configure at least one model (see config.yaml for entries)"]
    source = config.get("source", "simulate")
    fact = config.get("fact") or {}
    if source == "fact":
        from iactdl.extract import FACT_DEFAULTS

        fact = {**FACT_DEFAULTS, **dict(fact)}
    available = model_input_columns(source, fact.get("features", ()), fact.get("extra_columns", ()))
    errors = []
    for name, entry in models.items():
        try:
            validate_model(name, entry)
        except (ValueError, TypeError) as err:
            errors.append(str(err))
            continue
        if entry["kind"] == "net":
            try:
                reads = _net_inputs(name, entry)
            except (ValueError, TypeError) as err:
                errors.append(str(err))
                continue
        else:
            reads = list(entry.get("features") or [])
            derived = derived_inputs(entry.get("derived_features") or [])
            reads += [c for c in derived if c not in reads]
        missing = [c for c in reads if c not in available]
        if missing:
            hint = ""
            if any(c in IMAGE_PRODUCTS for c in missing):
                hint = " (grid images and pixel sets exist only with source: simulate)"
            elif set(missing) & labels:
                hint = " (truth and labels are no features: observed events have none)"
            elif source == "fact":
                hint = " (source fact: add FACT columns to fact.features or fact.extra_columns)"
            where = f"config models.{name}.features"
            errors.append(f"{where}: no dataset has column(s) {missing}{hint}")
    errors += _check_study(config)
    errors += _check_observed_training(config)
    errors += _check_shift(config)
    if any(".features: no dataset has" in e for e in errors):
        errors.append(f"(the datasets of this config have the columns {sorted(available)})")
    return errors


def _section_checks(config: Mapping) -> list:
    """(section, validator) pairs: each stage's own check of its section."""
    from iactdl.evaluate.evaluation import check_evaluation_config
    from iactdl.extract import check_extract_config, check_fact_config
    from iactdl.features.pipeline import check_features_config
    from iactdl.features.split import check_datasets_config
    from iactdl.simulate.settings import check_config as check_simulation_config

    checks = [
        ("extract", check_extract_config),
        ("features", check_features_config),
        ("datasets", check_datasets_config),
        ("evaluation", check_evaluation_config),
    ]
    if config.get("source", "simulate") == "simulate":
        checks.insert(0, ("simulation", check_simulation_config))
    else:
        checks.insert(0, ("fact", check_fact_config))
    return checks


def check_config(config: Mapping) -> None:
    """Run every check of a whole config; raise :class:`ConfigError` listing each error found.

    The sections' validators are the stages' own (``iactdl.simulate.settings.check_config``,
    ``iactdl.extract.check_extract_config`` and ``check_fact_config``,
    ``iactdl.features.pipeline.check_features_config``,
    ``iactdl.features.split.check_datasets_config``, :func:`validate_model`,
    ``iactdl.evaluate.evaluation.check_evaluation_config``);
    across sections: ``models`` is not empty, every model's features (and the inputs of its derived
    features) are columns the datasets of this config carry, and the samples a task needs are
    produced (``simulation.n_events`` > 0 or a ``fact.files`` path).
    """
    errors = []
    for section, check in _section_checks(config):
        try:
            check(config.get(section))
        except (ValueError, TypeError) as err:
            errors.append(str(err))
    errors += _check_models(config)
    errors += _check_samples(config)
    if errors:
        lines = "\n".join(f"  - {e}" for e in errors)
        raise ConfigError(f"invalid config ({len(errors)} error(s)):\n{lines}")


def checked_config(
    config: Mapping,
    files: list[str | os.PathLike],
    schema: str | os.PathLike,
    validate: Callable[[dict], None],
    cache_dir: str | os.PathLike,
) -> dict:
    """``config`` (read from the config ``files``) read strictly (:func:`load_config` of each
    file), validated against ``schema`` (with its defaults filled in) and checked by
    :func:`check_config`, computed once per config, its files, schema and code of the checks.

    Planning the workflow must not import torch or scikit-learn (seconds on every ``snakemake``
    call and every SLURM job's start), but the checks need them: a net's settings are checked by
    building the net, a baseline's by its estimator. So the checks run in a child process
    (``python -m iactdl.config --stdin``), after ``validate`` (the workflow's JSON-schema check,
    which fills in the defaults) ran here. The result is kept in ``cache_dir``, named by the hash of
    the config, the schema and the checks' code (:func:`iactdl.provenance.source_hash` of this
    module's import closure), so the next call with the same three reads it and imports nothing.
    A failed check keeps nothing and raises :class:`ConfigError` with the child's message.
    """
    import hashlib
    import subprocess
    import sys

    from iactdl.provenance import canonical, source_hash

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(canonical(dict(config)), Dumper=dumper, sort_keys=True, allow_unicode=True)
    key = hashlib.sha256(source_hash("config").encode() + Path(schema).read_bytes())
    for path in files:
        key.update(f"\0{path}\0".encode() + Path(path).read_bytes())
    key = key.hexdigest()[:32] + hashlib.sha256(text.encode()).hexdigest()[:32]
    cached = Path(cache_dir) / f"{key}.yaml"
    if cached.is_file():
        try:
            return yaml.load(cached.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, yaml.YAMLError):
            pass  # damaged (an interrupted disk): check again
    for path in files:  # a duplicate key, which Snakemake's reader lets through, names its line
        load_config(path)
    checked = dict(config)
    validate(checked)
    checked = canonical(checked)
    text = yaml.dump(checked, Dumper=dumper, sort_keys=True, allow_unicode=True)
    proc = subprocess.run(
        [sys.executable, "-m", "iactdl.config", "--stdin"],
        input=text,
        capture_output=True,
        text=True,
    )
    if proc.returncode == 1:
        raise ConfigError(proc.stderr.strip().removeprefix("<stdin>: "))
    if proc.returncode != 0:
        raise RuntimeError(f"checking the config failed in {sys.executable}:\n{proc.stderr}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, cached)  # atomic: concurrent jobs (SLURM) may write the same file
    return checked


def main(argv: list[str] | None = None) -> int:
    """``python -m iactdl.config FILE...``: read each config file strictly and check it, naming
    the file and line of a YAML error (Snakemake's reader of ``--configfile`` does not)."""
    import sys

    paths = sys.argv[1:] if argv is None else argv
    if paths == ["--stdin"]:  # one config as YAML on stdin (check_config_once's child)
        try:
            check_config(
                yaml.load(sys.stdin.read(), Loader=_LOADER)
            )  # written by safe_dump: no duplicates
        except ConfigError as err:
            print(f"<stdin>: {err}", file=sys.stderr)
            return 1
        return 0
    status = 0
    for path in paths:
        try:
            check_config(load_config(path))
        except ConfigError as err:
            print(f"{path}: {err}" if not str(err).startswith(str(path)) else err, file=sys.stderr)
            status = 1
        else:
            print(f"{path}: ok")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
