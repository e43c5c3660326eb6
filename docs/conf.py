"""Sphinx configuration of iactdl's API documentation (``sphinx-build -W -n docs <out>``, run by
tests/test_docs.py): autodoc reads the docstrings, numpydoc renders their sections."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# the package from this checkout, as the tests import it (also without ``pip install -e``)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

project = "iactdl"
author = "the iactdl authors"
extensions = ["sphinx.ext.autodoc", "numpydoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"

# members as ``__all__`` lists them, in the order of the source, constants too; signatures without
# annotations (the numpydoc sections give the types; postponed annotations name types that need
# not resolve here); no docstrings inherited from other libraries (torch's name their own labels)
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_inherit_docstrings = False
autodoc_default_options = {"members": True, "undoc-members": True}
# numpydoc: no autosummary tables of methods (they need autosummary's stub pages)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -n (nitpicky): every reference inside iactdl must resolve; references to other libraries cannot,
# offline (no intersphinx inventories), so those alone are exempt
_OTHER_LIBRARIES = (
    "numpy|np|pandas|pd|h5py|torch|nn|scipy|sklearn|matplotlib|astropy|pathlib|os|typing"
    "|collections|numba|yaml|skops|snakemake|ctapipe|pyirf|gammapy|quapy|skada|dataclasses"
)
nitpick_ignore_regex = [("py:.*", rf"({_OTHER_LIBRARIES})(\..*)?")]


def _lookup(name: str):
    """The object that dotted ``name`` names inside iactdl (a module, or an attribute of one, at
    any depth), or None where there is none."""
    if not name.startswith("iactdl"):
        return None
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attribute in parts[i:]:
                value = getattr(value, attribute)
        except AttributeError:
            return None
        return value
    return None


def _defining_name(name: str) -> str | None:
    """Where ``name`` is defined: a package's re-exports (``iactdl.io.read_columns``: its
    ``_LAZY`` table or a plain import) are documented under the module that defines them
    (``iactdl.io.hdf5.read_columns``)."""
    module_name, _, attribute = name.rpartition(".")
    head, _, rest = attribute.partition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    lazy = getattr(module, "_LAZY", {})
    if head in lazy:
        where, _, real = lazy[head].partition(":")
        return ".".join(filter(None, [where, real or head, rest]))
    value = getattr(module, head, None)
    defined_in = getattr(value, "__module__", None)
    if defined_in and defined_in != module_name and hasattr(value, "__qualname__"):
        return ".".join(filter(None, [defined_in, value.__qualname__, rest]))
    return None


_MISSING = object()


def _resolve_reexport(app, env, node, contnode):
    """A reference that Sphinx did not find: linked where the name is defined (a re-export), else
    kept as plain text if it names a real object of iactdl (a constant, a private module: not on
    these pages); a name that does not exist stays a warning, hence an error under ``-W``."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += [f"{module}.{cls}.{target}"] if cls else []
        candidates.append(f"{module}.{target}")
    domain = env.get_domain("py")
    for candidate in candidates:
        real = _defining_name(candidate) if "." in candidate else None
        if real and real != target:
            found = domain.resolve_any_xref(env, node["refdoc"], app.builder, real, node, contnode)
            if found:
                return found[0][1]
    for candidate in candidates:
        if _lookup(candidate) is not None:
            return contnode
    return None


def setup(app):
    app.connect("missing-reference", _resolve_reexport)
