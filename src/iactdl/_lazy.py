"""Lazy exports of a package (PEP 562), so that importing one light submodule stays light.

Python runs every parent package of a module it imports: without this, planning the workflow
(``iactdl.adapt.study``, ``iactdl.models.nets.catalog``, ``iactdl.evaluate.report``) would import
torch, scikit-learn and matplotlib through the packages' ``__init__`` re-exports. A package
lists its re-exports in a module-level ``_LAZY = {name: "module"}`` table (``"module:attribute"``
where the name differs) and hands it to :func:`lazy_exports`; :mod:`iactdl.provenance` reads the
same table to follow ``from package import name`` to the module that defines the name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for the names of ``table``."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = table[name].partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        namespace[name] = value  # once: the next lookup finds it without coming here
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
