"""The adaptation study: which models it trains (nets x methods x seeds) and each one's entry.

A study model is named ``{net}~{method}~s{seed}`` after a plain net entry of ``config.yaml:
models`` (``deepsets~iwdann~s2``); its entry is that net's entry with the method's changes, so the
methods of one net differ in nothing but the method. Methods:

============  ====================================================================================
``source``    the net as it is (trained on the simulations alone; rule ``train_net``)
``relative``  source-only with time relative to the event (pixel-level nets; the input-fix ablation)
``importance``, ``dann``, ``iwdann``  adapted (rule ``train_adapted``, :mod:`iactdl.fit.adapt`)
``oracle``    trained on observed_train with its hidden truth (rule ``train_oracle``; the ceiling)
============  ====================================================================================
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from iactdl.models.nets import NETS

__all__ = ["STUDY_DEFAULTS", "STUDY_METHODS", "SEPARATOR", "study_models", "study_entry"]

SEPARATOR = "~"
STUDY_METHODS = ("source", "relative", "importance", "dann", "iwdann", "oracle")
ADAPTED = ("importance", "dann", "iwdann")
STUDY_DEFAULTS = {
    "nets": ["mlp", "hexcnn", "deepsets", "settransformer"],
    "methods": list(STUDY_METHODS),
    "seeds": 3,
    "lambda_max": 0.3,
}


def study_models(models: Mapping, study: Mapping, methods=None) -> list[str]:
    """Names of the study's models; ``relative`` only for the pixel-level nets. Nets that are not
    plain net entries of ``models`` (a config without image nets) are left out."""
    names = []
    for net in study["nets"]:
        if models.get(net, {}).get("kind") != "net" or models[net].get("adapt") is not None:
            continue
        pixel_level = NETS[models[net]["net"]][2] != "features"
        for method in methods or study["methods"]:
            if method == "relative" and not pixel_level:
                continue
            for seed in range(1, int(study["seeds"]) + 1):
                names.append(SEPARATOR.join([net, method, f"s{seed}"]))
    return names


def parse(name: str) -> tuple[str, str, int] | None:
    parts = name.split(SEPARATOR)
    if len(parts) != 3 or parts[1] not in STUDY_METHODS or not parts[2].startswith("s"):
        return None
    return parts[0], parts[1], int(parts[2][1:])


def study_entry(name: str, models: Mapping, study: Mapping) -> dict:
    """The model entry of study model ``name`` (see the module doc)."""
    parsed = parse(name)
    if parsed is None or parsed[0] not in models:
        raise ValueError(f"{name!r} is not a study model ({{net}}{SEPARATOR}{{method}}~s{{seed}})")
    net, method, _ = parsed
    entry = copy.deepcopy(dict(models[net]))
    entry.pop("adapt", None)
    if method == "relative":
        entry["settings"] = {**entry.get("settings", {}), "time": "relative"}
    elif method in ("dann", "iwdann"):
        entry["adapt"] = {"method": method, "lambda_max": study["lambda_max"]}
    elif method == "importance":
        entry["adapt"] = {"method": "importance"}
    entry["description"] = f"adaptation study: {net}, {method}"
    return entry
