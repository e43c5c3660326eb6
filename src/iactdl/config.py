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
    "check_name",
    "check_results_dir",
    "check_size",
    "checked_config",
    "load_config",
    "produced_samples",
    "schema_error",
    "validate_model",
    "validate_schema",
]

# libyaml's reader where PyYAML has it: config.yaml is read on every snakemake call (10x faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SAMPLES = ("gamma", "gamma_diffuse", "proton", "observed")
GAMMA_SAMPLES = ("gamma", "gamma_diffuse")


class ConfigError(ValueError):
    """A bad configuration: the message names the file and line, or the key, and what is valid."""


# ---- the strict reader ----

# A config's size with every alias expanded, in YAML nodes (scalars, lists, mappings). The embedded
# default has about 2,000; a "billion laughs" document (aliases of aliases of lists) has 10^9 from a
# few lines, and anything that walks it (the schema check, the config's hash) would never finish.
MAX_NODES = 200_000


def _expanded_size(root, children: Callable) -> int:
    """Nodes of the tree ``root`` would expand to (each alias counted as a copy of its anchor),
    computed on the graph (each shared node once), so it is fast whatever the answer; stops
    counting above :data:`MAX_NODES`."""
    size: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size and not done:
            continue
        kids = children(node)
        if done:
            size[id(node)] = min(1 + sum(size[id(k)] for k in kids), MAX_NODES + 1)
        else:
            size.setdefault(id(node), 1)  # a cycle (a recursive alias) counts once
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in size)
    return size[id(root)]


def _node_children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _object_children(obj) -> list:
    if isinstance(obj, Mapping):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, list | tuple):
        return list(obj)
    return []


def check_size(config, where: str) -> None:
    """Refuse a config that expands (aliases of aliases) to more than :data:`MAX_NODES` nodes,
    before anything walks it; ``config`` is a parsed object or a composed YAML node.

    Parameters
    ----------
    config : object or yaml.Node
        The parsed config (mappings, lists, scalars) or the node ``yaml.compose`` returns; shared
        (aliased) parts are counted once per reference without being expanded.
    where : str
        The config's file(s), named in the error.

    Raises
    ------
    ConfigError
        The config expands to more than :data:`MAX_NODES` values.
    """
    children = _node_children if isinstance(config, yaml.Node) else _object_children
    n = _expanded_size(config, children)
    if n > MAX_NODES:
        raise ConfigError(
            f"{where}: the config expands to over {MAX_NODES:,} values once its YAML aliases "
            "(*name) are replaced by what they point at (aliases of aliases: a 'billion laughs' "
            "document); expected a config of a few thousand values. Write the repeated parts out "
            "or use fewer nested aliases."
        )


def _duplicates(node: yaml.Node, path: str, where: str, seen_nodes: set | None = None) -> None:
    """Raise on the first mapping key written twice (merge keys ``<<`` may be overridden).

    An aliased node is checked once, where its anchor is: the walk never expands aliases."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
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
            _duplicates(value_node, path, here, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicates(item, path, f"{where}[{i}]", seen_nodes)


def load_config(path: str | os.PathLike) -> dict:
    """Read a YAML (or JSON) config file; refuse duplicate keys and name a syntax error's line.

    Parameters
    ----------
    path : str or os.PathLike
        The config file (UTF-8).

    Returns
    -------
    dict
        The parsed config: a mapping of sections.

    Raises
    ------
    ConfigError
        ``{path}:{line}: duplicate key 'models.logreg'`` ..., ``{path}:{line}:{column}: YAML
        syntax error`` ..., an unreadable or empty file, a config too large to walk
        (:func:`check_size`), or a top level that is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    except UnicodeDecodeError as err:  # a binary file, or text in another encoding
        raise ConfigError(
            f"{path}: not a text file in UTF-8 (byte {err.object[err.start]:#04x} at offset "
            f"{err.start}); expected a YAML config file"
        ) from None
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
    check_size(node, str(path))
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
    sample of 0 events is skipped, not simulated empty) and the observation unless
    ``simulation.observed.hours`` is null; when reading FACT, those with a file.

    Parameters
    ----------
    config : mapping
        The whole config (``source``, ``simulation``, ``fact``; missing sections as default).

    Returns
    -------
    list of str
        The produced samples among ``gamma``, ``gamma_diffuse``, ``proton``, ``observed``, in
        that order.
    """
    if config.get("source", "simulate") == "simulate":
        simulation = config.get("simulation") or {}
        n_events = simulation.get("n_events") or {}
        hours = (simulation.get("observed") or {}).get("hours", 1.0)
        return [
            s for s in SAMPLES if (hours is not None if s == "observed" else n_events.get(s, 1) > 0)
        ]
    files = (config.get("fact") or {}).get("files") or {}
    return [s for s in SAMPLES if files.get(s)]


def _sample_key(config: Mapping, sample: str) -> str:
    if config.get("source", "simulate") == "simulate":
        if sample == "observed":
            return "simulation.observed.hours (null: not simulated)"
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
    stage 6 (:func:`iactdl.labelnoise.baselines.labelnoise_settings`), a joint one (a ``joint``
    section) by stage 6 too (:func:`iactdl.labelnoise.joint.joint_settings`), an adapted one (an
    ``adapt`` section) by stage 5 (:func:`iactdl.adapt.settings.adapt_section`), then its base
    entry, like every other entry, by the engine's :func:`iactdl.fit.entry.validate_entry`.

    Parameters
    ----------
    name : str
        The entry's name under ``models``, named in the errors.
    entry : mapping
        The model entry as written in the config.

    Raises
    ------
    ValueError
        The first problem the validators find, naming ``models.<name>`` and the key.
    """
    from iactdl.fit.entry import validate_entry
    from iactdl.models.common_entry import validate_model_entry

    if isinstance(entry, Mapping) and entry.get("joint") is not None:
        from iactdl.labelnoise.joint import base_entry, joint_settings

        validate_model_entry(name, entry)
        joint_settings(name, entry)
        entry = base_entry(entry)
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


def _check_shift_study(config: Mapping) -> list[str]:
    """The shift study's section (:func:`iactdl.adapt.shift_study.check_shift_study`) and the
    entry of each of its models and methods, checked like the config's own (one seed: the seeds
    differ by their seed alone), so the study's rules cannot fail on their entry."""
    from iactdl.adapt.shift_study import (
        SHIFT_STUDY_DEFAULTS,
        check_shift_study,
        shift_study_entry,
        shift_study_models,
    )

    models = config.get("models") or {}
    study = {**SHIFT_STUDY_DEFAULTS, **dict(config.get("shift_study") or {})}
    errors = check_shift_study(study, models)
    if errors:
        return errors
    for name in shift_study_models(models, {**study, "seeds": 1}):
        model = name.split("~")[0]
        try:
            validate_model(model, models[model])
        except (ValueError, TypeError):
            continue  # reported as the model's own error
        try:
            validate_model(name, shift_study_entry(name, models, study))
        except (ValueError, TypeError) as err:
            errors.append(f"shift_study (study model {name}): {err}")
    return errors


def _check_observed_training(config: Mapping) -> list[str]:
    """Entries trained on observed events (an ``adapt``, ``labelnoise`` or ``joint`` section)
    need them: with no observed sample their rules would fail only once the sims were built."""
    if "observed" in produced_samples(config):
        return []
    return [
        f"config models.{name}.{key}: trains on observed events (observed_train), but "
        f"{_sample_key(config, 'observed')} gives none; drop the section or add observed events"
        for name, entry in (config.get("models") or {}).items()
        if isinstance(entry, Mapping)
        for key in ("adapt", "labelnoise", "joint")
        if entry.get(key) is not None  # labelnoise: {} opts in with every default
    ]


def _check_augment(config: Mapping) -> list[str]:
    """Augmented entries (``adapt: {method: augment}``) re-simulate the training showers through
    the estimated detector: only the built-in simulator can (config ``source: simulate``)."""
    if config.get("source", "simulate") == "simulate":
        return []
    return [
        f"config models.{name}.adapt: method augment re-simulates the training samples with the "
        f"built-in simulator, but source is {config.get('source')!r}; use source: simulate"
        for name, entry in (config.get("models") or {}).items()
        if isinstance(entry, Mapping)
        and isinstance(entry.get("adapt"), Mapping)
        and entry["adapt"].get("method") == "augment"
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


def _check_directions(config: Mapping) -> list[str]:
    """The theta^2 cut of the observed events' ON/OFF regions and the candidates of the
    significance analysis (``theta2_cuts``), each checked by
    :func:`iactdl.evaluate.theta2.check_theta2_cut`: > 0 deg^2 and small enough that the regions
    around the simulated source (``simulation.wobble_offset_deg``) do not overlap (FACT data:
    checked per chunk on the files' source positions, iactdl.observed_regions, and when counted,
    iactdl.evaluate.theta2_analysis)."""
    from iactdl.evaluate.theta2 import check_theta2_cut

    section = config.get("directions") or {}
    cut, n_off = section.get("theta2_cut", 0.025), section.get("n_off", 5)
    candidates = section.get("theta2_cuts")
    cuts = {"theta2_cut": [cut]}
    if candidates is not None:
        cuts["theta2_cuts"] = candidates if isinstance(candidates, list) else [candidates]
    offset = (config.get("simulation") or {}).get("wobble_offset_deg", 0.6)
    # the overlap is known before any job only for the simulated source, with valid geometry
    # (an invalid offset or n_off is the schema's error, not this one's)
    known = (
        config.get("source", "simulate") == "simulate"
        and isinstance(n_off, int)
        and n_off >= 1
        and isinstance(offset, int | float)
        and offset > 0
    )
    errors = []
    for key, values in cuts.items():
        for c in values:
            try:
                check_theta2_cut(
                    c,
                    offset if known else None,
                    n_off if known else None,
                    f"config directions.{key}",
                    keys=("simulation.wobble_offset_deg", "directions.n_off"),
                )
            except ValueError as err:
                errors.append(str(err))
    return errors


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
    errors += _check_shift_study(config)
    errors += _check_observed_training(config)
    errors += _check_augment(config)
    errors += _check_shift(config)
    if any(".features: no dataset has" in e for e in errors):
        errors.append(f"(the datasets of this config have the columns {sorted(available)})")
    return errors


# ---- names: every name that becomes part of a path passes one rule ----

# A letter, then letters, digits and _: a folder or file name on every filesystem, a Snakemake
# wildcard value that cannot swallow a "/" or a ".", and no "~", "@" or "-" (the adaptation
# study's names join a net's name, a method and a seed with those). The schema's propertyNames of
# `models` is the same pattern (tests/test_bad_input.py holds the two together).
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


def check_name(name, key: str) -> str | None:
    """None if ``name`` (the value at config ``key``) may become part of a path; else the
    message, naming the key and the rule.

    Parameters
    ----------
    name : object
        The value to check: valid is a str of a letter, then letters, digits or ``_``.
    key : str
        Its key in the config (e.g. ``models.mlp``), named in the message.

    Returns
    -------
    str or None
        None for a valid name, else the error message.
    """
    import re

    if isinstance(name, str) and re.fullmatch(NAME_PATTERN, name):
        return None
    return (
        f"config {key}: {name!r} is not a valid name; expected a letter, then letters, digits "
        "or _ (it becomes part of file paths: results/models/NAME/...), e.g. mlp_small"
    )


def _names(config: Mapping) -> list[tuple[str, object]]:
    """(key, name) of every config name that becomes part of a path."""
    names: list[tuple[str, object]] = [
        (f"models.{n} (the model's name)", n) for n in config.get("models") or {}
    ]
    study = config.get("adaptation") or {}
    names += [(f"adaptation.nets[{i}]", n) for i, n in enumerate(study.get("nets") or [])]
    shift_study = config.get("shift_study") or {}
    names += [
        (f"shift_study.models[{i}]", n) for i, n in enumerate(shift_study.get("models") or [])
    ]
    experiments = config.get("experiments") or {}
    optimisers = experiments.get("optimisers") or {}
    names += [
        (f"experiments.optimisers.nets.{n} (the net's name)", n)
        for n in optimisers.get("nets") or {}
    ]
    bias = experiments.get("inductive_bias") or {}
    names += [
        (f"experiments.inductive_bias.models.{n} (the model's name)", n)
        for n in bias.get("models") or {}
    ]
    files = (config.get("fact") or {}).get("files") or {}
    n_events = (config.get("simulation") or {}).get("n_events") or {}
    names += [(f"fact.files.{n} (a sample)", n) for n in files]
    names += [(f"simulation.n_events.{n} (a sample)", n) for n in n_events]
    return names


def _check_names(config: Mapping) -> list[str]:
    errors = [e for key, name in _names(config) if (e := check_name(name, key))]
    for key, table in [
        ("fact.files", (config.get("fact") or {}).get("files") or {}),
        ("simulation.n_events", (config.get("simulation") or {}).get("n_events") or {}),
    ]:
        unknown = [s for s in table if s not in SAMPLES and not check_name(s, key)]
        if unknown:
            errors.append(
                f"config {key}: unknown sample(s) {unknown}; the samples are {list(SAMPLES)}"
            )
    return errors


def _check_references(config: Mapping) -> list[str]:
    """Every config value that names a model or net names one that exists (the key named)."""
    from iactdl.adapt.shift.diagnostics import SHIFT_DEFAULTS
    from iactdl.adapt.study import STUDY_DEFAULTS

    models = config.get("models") or {}
    errors = []
    nets = list((config.get("adaptation") or {}).get("nets") or [])
    # the default list names the embedded config's nets: a config without image nets skips those
    if nets != list(STUDY_DEFAULTS["nets"]):
        for i, name in enumerate(nets):
            entry = models.get(name)
            if not isinstance(name, str) or check_name(name, ""):
                continue  # reported by the name rule
            if entry is None:
                errors.append(
                    f"config adaptation.nets[{i}]: {name!r} is not a model of `models`; expected "
                    f"the name of a net entry, one of {_net_names(models)}"
                )
            elif isinstance(entry, Mapping) and entry.get("kind") != "net":
                errors.append(
                    f"config adaptation.nets[{i}]: {name!r} is a {entry.get('kind')!r} entry of "
                    f"`models`; expected a net entry, one of {_net_names(models)}"
                )
    quantifier = (config.get("shift") or {}).get("quantifier_model")
    # the default names the embedded config's baseline: a config without observed events (no
    # shift diagnostics) need not have it; with them, check_shift_config says more
    observed = "observed" in produced_samples(config)
    default = SHIFT_DEFAULTS["quantifier_model"]
    if quantifier not in (None, default) and not observed and quantifier not in models:
        baselines = sorted(
            n
            for n, e in models.items()
            if isinstance(e, Mapping)
            and e.get("kind") == "baseline"
            and e.get("task", "separation") == "separation"
        )
        errors.append(
            f"config shift.quantifier_model: {quantifier!r} is not a model of `models`; expected "
            f"the name of a separation baseline, one of {baselines}"
        )
    bias = (config.get("experiments") or {}).get("inductive_bias") or {}
    if bias.get("models") and bias.get("reference") not in bias["models"]:
        errors.append(
            f"config experiments.inductive_bias.reference: {bias.get('reference')!r} is not a "
            "model of experiments.inductive_bias.models; expected one of "
            f"{sorted(bias['models'])}"
        )
    return errors


def _net_names(models: Mapping) -> list[str]:
    return sorted(n for n, e in models.items() if isinstance(e, Mapping) and e.get("kind") == "net")


# ---- results_dir: never a system folder ----

# folders an output tree must not be (their contents are the system's or everyone's) ...
_SYSTEM = (
    "/",
    "/home",
    "/Users",
    "/root",
    "/tmp",
    "/var",
    "/opt",
    "/srv",
    "/mnt",
    "/media",
    "/run",
)
# ... nor lie in
_SYSTEM_TREES = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
    "/System",
)


def check_results_dir(value) -> None:
    """``results_dir`` must be a folder of its own: not the filesystem root in any spelling
    (``//``, ``/./``, ``/..``), a system folder (``/etc``, ``/usr``, ...), the home folder itself
    or the working directory itself; ``~`` is not expanded, so it is refused.

    Parameters
    ----------
    value : str, os.PathLike or None
        Config ``results_dir``, relative to the working directory or absolute; None: the default,
        not checked.

    Raises
    ------
    ValueError
        ``value`` names one of the refused folders (as written or with links resolved).
    """
    if value is None:
        return
    text = str(value)
    if text.startswith("~"):
        raise ValueError(
            f"config results_dir: {text!r}: '~' is not expanded (a folder named '~' would be "
            "made); expected the absolute path, e.g. /home/me/iactdl-results"
        )
    spelled = os.path.normpath(os.path.join(os.getcwd(), text))
    real = os.path.realpath(spelled)
    home = os.path.normpath(os.path.expanduser("~"))
    for path in dict.fromkeys([spelled, real]):
        posix = path.replace(os.sep, "/")
        if posix.startswith("//"):  # POSIX keeps a leading "//"; it is still the root
            posix = "/" + posix.lstrip("/")
        tree = next((t for t in _SYSTEM_TREES if posix == t or posix.startswith(t + "/")), None)
        if posix in _SYSTEM or path == home or tree:
            what = (
                "the filesystem root"
                if posix == "/"
                else (
                    "the home folder itself"
                    if path == home
                    else f"the system folder {tree or posix}"
                )
            )
            raise ValueError(
                f"config results_dir: {text!r} is {what}"
                + (f" ({path})" if path != text else "")
                + "; every output, log and temporary file of the pipeline goes there: expected a "
                "folder of its own, e.g. results or /data/me/iactdl-results"
            )
    if spelled == os.path.normpath(os.getcwd()):
        raise ValueError(
            f"config results_dir: {text!r} is the working directory itself; expected a folder "
            "of its own in it, e.g. results"
        )


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

    Parameters
    ----------
    config : mapping
        The whole config, after the schema's defaults are filled in (:func:`validate_schema`).

    Raises
    ------
    ConfigError
        Listing every error found, one line each, naming the key.
    """
    errors = []
    for section, check in _section_checks(config):
        try:
            check(config.get(section))
        except (ValueError, TypeError) as err:
            errors.append(str(err))
    try:
        check_results_dir(config.get("results_dir"))
    except ValueError as err:
        errors.append(str(err))
    errors += _check_names(config)
    errors += _check_references(config)
    errors += _check_models(config)
    errors += _check_samples(config)
    errors += _check_directions(config)
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

    Parameters
    ----------
    config : mapping
        The config as Snakemake merged it from ``files``.
    files : list of str or os.PathLike
        The config files it was read from (their bytes enter the cache key).
    schema : str or os.PathLike
        The JSON schema file (``workflow/schemas/config.schema.yaml``).
    validate : callable
        The schema check, called on a shallow copy of ``config`` and filling in its defaults
        (e.g. Snakemake's ``validate``).
    cache_dir : str or os.PathLike
        Folder of the cached results, one YAML file per key.

    Returns
    -------
    dict
        The validated config with the schema's defaults, in canonical form
        (:func:`iactdl.provenance.canonical`).

    Raises
    ------
    ConfigError
        A duplicate key or syntax error in a file, a too large config, or a failed check.
    RuntimeError
        The child process failed otherwise (e.g. a missing package).
    """
    import hashlib
    import subprocess
    import sys

    from iactdl.provenance import canonical, source_hash

    check_size(config, " and ".join(map(str, files)) or "the config")  # before anything walks it
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
    from iactdl.io.atomic import write_text_atomic  # standard library only: planning stays light

    # concurrent: SLURM jobs may write the same file at once (another's temporary is no leftover)
    write_text_atomic(cached, text, concurrent=True)
    return checked


# ---- the JSON schema (the workflow's first check), for the command line and Snakemake's error ----

# where the schema lives in a checkout: <repo>/workflow/schemas/, next to <repo>/src/iactdl/
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _key_of(error) -> str:
    """The dotted config key of a jsonschema error (``models.mlp.settings``), or ``(top level)``."""
    where = ""
    for part in error.absolute_path:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where or "(top level)"


def schema_message(error) -> str:
    """One line for a jsonschema ``ValidationError``: the key, and what was expected (an unknown
    key is named as such, with the keys allowed there; the instance is never dumped whole)."""
    import re

    key = _key_of(error)
    if error.validator == "additionalProperties":
        unknown = re.findall(r"'([^']*)'", error.message.split("(")[-1])
        allowed = sorted((error.schema.get("properties") or {}).keys())
        where = "" if key == "(top level)" else f" in {key}"
        return (
            f"unknown config key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}{where} "
            f"(a typo? the keys allowed there are {', '.join(allowed)})"
        )
    if error.validator == "pattern" and error.validator_value == NAME_PATTERN:
        # the schema's propertyNames of models: the name rule in words, not its regex
        return check_name(error.instance, key)
    message = error.message
    if len(message) > 200:
        message = message[:200] + " ..."
    return f"config {key}: {message}"


def validate_schema(config: dict, schema: str | os.PathLike | None = None) -> None:
    """Check ``config`` against the workflow's JSON schema (types, ranges, unknown keys) and fill
    in its defaults in place, as Snakemake's ``validate`` does; raise :class:`ConfigError` listing
    every error, one line each, naming the key.

    ``schema``: the schema file; by default that of the checkout this package is in
    (``workflow/schemas/config.schema.yaml``). An installed package (no checkout) has none: pass it.

    Parameters
    ----------
    config : dict
        The whole config; the schema's defaults are filled in, in place.
    schema : str or os.PathLike, optional
        The schema file; default :data:`SCHEMA`.

    Raises
    ------
    ConfigError
        No schema file, or every error of ``config`` against it, one line each.
    """
    import jsonschema

    path = Path(schema) if schema is not None else SCHEMA
    if not path.is_file():
        raise ConfigError(
            f"{path}: no config schema there (iactdl is installed without its repository?); "
            "pass the schema of your checkout: --schema REPO/workflow/schemas/config.schema.yaml"
        )
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    base = jsonschema.validators.validator_for(document)
    properties = base.VALIDATORS["properties"]

    def with_defaults(validator, props, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, sub["default"])
        yield from properties(validator, props, instance, subschema)

    validator = jsonschema.validators.extend(base, {"properties": with_defaults})(document)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {schema_message(e)}" for e in errors)
        raise ConfigError(f"invalid config ({len(errors)} error(s) against {path.name}):\n{lines}")


def schema_error(err: Exception) -> Exception:
    """Snakemake's ``WorkflowError`` of ``validate`` (which would print the whole schema and
    config) as a one-line :class:`ConfigError` naming the key; any other error as it is.

    Parameters
    ----------
    err : Exception
        The error raised by the schema validation (its cause or context chain is searched for
        jsonschema's ``ValidationError``).

    Returns
    -------
    Exception
        A :class:`ConfigError` with one line naming the key, or ``err`` itself.
    """
    import jsonschema

    seen = err
    while seen is not None:  # Snakemake raises it while handling jsonschema's error
        if isinstance(seen, jsonschema.ValidationError):
            return ConfigError(schema_message(seen))
        seen = seen.__cause__ or seen.__context__
    for line in str(err).splitlines():  # or only its text: keep its one line
        if line.startswith("ValidationError: "):
            return ConfigError(f"config: {line.removeprefix('ValidationError: ')}")
    return err


def main(argv: list[str] | None = None) -> int:
    """``python -m iactdl.config FILE...``: read each config file strictly (naming the file and
    line of a YAML error, which Snakemake's reader of ``--configfile`` does not), check it against
    the JSON schema (filling in its defaults) and then by :func:`check_config`."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m iactdl.config",
        description="Check iactdl config files as the workflow does, before any job: strict YAML "
        "(duplicate keys, nested aliases), the JSON schema, then every stage's checks.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="config files (YAML or JSON)")
    parser.add_argument(
        "--schema",
        default=None,
        help=f"the JSON schema (default: the checkout's, {SCHEMA})",
    )
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="check one config, already validated against the schema, read from stdin "
        "(used by the workflow's child process)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.stdin:  # one config as YAML on stdin (checked_config's child)
        if args.files:
            parser.error("--stdin takes no FILE")
        try:
            check_config(
                yaml.load(sys.stdin.read(), Loader=_LOADER)
            )  # written by safe_dump: no duplicates
        except ConfigError as err:
            print(f"<stdin>: {err}", file=sys.stderr)
            return 1
        return 0
    if not args.files:
        parser.error("give at least one config FILE (e.g. config.yaml)")
    status = 0
    for path in args.files:
        try:
            config = load_config(path)
            validate_schema(config, args.schema)
            check_config(config)
        except ConfigError as err:
            print(f"{path}: {err}" if not str(err).startswith(str(path)) else err, file=sys.stderr)
            status = 1
        else:
            print(f"{path}: ok")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
