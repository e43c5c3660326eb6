"""Seeds and source hashes: what makes a rule's output reproducible and its reruns exact.

- :func:`rule_seed` derives a rule's own seed from the one seed in config and the rule's name (and
  wildcards), so rules are independent streams and adding a rule changes no other rule's numbers.
- :func:`source_hash` hashes the content of the package modules a rule uses. Snakemake cannot see
  edits to an installed package; the hash goes into each rule's ``params`` so that an edit reruns
  exactly the rules that import the edited module. Content only: no mtimes, no absolute paths.
- :func:`canonical` puts a config (or any params value) in one key order, so that Snakemake, which
  compares a rule's params by their ``repr``, reruns a rule for a changed value and never for keys
  written in another order.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["canonical", "rule_seed", "source_hash", "PACKAGE_ROOT"]

PACKAGE_ROOT = Path(__file__).resolve().parent


def rule_seed(seed: int, *names: str) -> int:
    """A 32-bit seed from the global seed and a rule's name (plus wildcards): stable across runs."""
    h = hashlib.sha256(f"{int(seed)}:{':'.join(names)}".encode()).digest()
    return int.from_bytes(h[:4], "little")


def source_hash(*modules: str) -> str:
    """SHA-256 (16 hex digits) of the source of package modules or sub-packages, e.g.
    ``source_hash("simulate", "io")`` covers ``iactdl/simulate/**.py`` and ``iactdl/io/**.py``.

    Files are hashed by their path relative to the package and their bytes, in sorted order.
    """
    digest = hashlib.sha256()
    for module in sorted(set(modules)):
        base = PACKAGE_ROOT / module.replace(".", "/")
        if base.is_dir():
            files = sorted(p for p in base.rglob("*") if p.suffix in {".py", ".csv"})
        elif base.with_suffix(".py").exists():
            files = [base.with_suffix(".py")]
        else:
            raise ValueError(
                f"source_hash: no module or package 'iactdl.{module}' in {PACKAGE_ROOT}"
            )
        for p in files:
            digest.update(p.relative_to(PACKAGE_ROOT).as_posix().encode())
            digest.update(p.read_bytes())
    return digest.hexdigest()[:16]


def canonical(value):
    """``value`` with every mapping, at any depth, rebuilt in sorted key order (keys as ``str``).

    Lists and tuples keep their order (a feature list's order is the model's column order) but
    their elements are made canonical too; other values are returned as they are. The result is a
    new object: YAML anchors shared between entries become independent copies.
    """
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return type(value)(canonical(v) for v in value)
    return value
