"""The API documentation: numpydoc sections on the documented public API, and the Sphinx build.

- ``test_public_api_has_numpydoc_sections``: every public function, class and method of the
  packages in :data:`DOCUMENTED` (what their modules' ``__all__`` export) passes numpydoc's
  validation for the checks in :data:`CHECKS`: a docstring, every parameter documented and none
  unknown, a Returns (Yields) section where it returns (yields) a value.
- ``test_sphinx_builds_without_warnings``: ``sphinx-build -W -n`` of ``docs/`` (every package's
  page; ``-n``: every reference inside iactdl resolves, see docs/conf.py), warnings as errors.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# every package and top-level module of iactdl: its whole public API (what ``__all__`` exports) is
# held to numpydoc's sections (issue 19)
DOCUMENTED = tuple(
    info.name
    for info in pkgutil.iter_modules(importlib.import_module("iactdl").__path__, "iactdl.")
    if not info.name.rsplit(".", 1)[1].startswith("_")
)
# numpydoc.validate codes: GL08 no docstring; PR01 a parameter not documented; PR02 a documented
# parameter that does not exist; RT01 no Returns section (for code that returns a value); YD01 no
# Yields section (for a generator)
CHECKS = {"GL08", "PR01", "PR02", "RT01", "YD01"}


def _modules(package: str) -> list[str]:
    """``package`` and its modules and sub-packages, at any depth, without private ones (a module:
    itself)."""
    found = [package]
    if not hasattr(importlib.import_module(package), "__path__"):
        return found  # a module
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, f"{package}."):
        if not info.name.rsplit(".", 1)[1].startswith("_"):
            found += _modules(info.name) if info.ispkg else [info.name]
    return found


def public_api(packages=DOCUMENTED) -> list[str]:
    """Dotted names of the public functions, classes and their public methods and properties:
    what each module's ``__all__`` exports and defines (re-exports are checked where defined)."""
    names = set()
    for package in packages:
        for name in _modules(package):
            module = importlib.import_module(name)
            for attribute in getattr(module, "__all__", ()):
                obj = getattr(module, attribute)
                # functools.cache and lru_cache wrappers are functions too (camera.fact_camera)
                function = inspect.isfunction(inspect.unwrap(obj)) if callable(obj) else False
                if not (function or inspect.isclass(obj)):
                    continue
                if obj.__module__ != name:
                    continue
                names.add(f"{name}.{obj.__qualname__}")
                if inspect.isclass(obj):
                    names |= {
                        f"{name}.{obj.__qualname__}.{k}"
                        for k, v in vars(obj).items()
                        if not k.startswith("_")
                        and (inspect.isfunction(v) or isinstance(v, property | classmethod))
                    }
    return sorted(names)


def test_public_api_has_numpydoc_sections():
    validate = pytest.importorskip("numpydoc.validate").validate
    names = public_api()
    assert len(names) >= 500, len(names)  # the whole package's API was found
    failing = {}
    for name in names:
        errors = [f"{code} {text}" for code, text in validate(name)["errors"] if code in CHECKS]
        if errors:
            failing[name] = errors
    assert not failing, f"{len(failing)} of {len(names)} fail numpydoc's checks:\n" + "\n".join(
        f"{name}: {'; '.join(errors)}" for name, errors in sorted(failing.items())
    )


def test_every_module_with_a_public_api_has_its_page():
    """docs/api/{package}.rst documents each module of the package that has an ``__all__``."""
    packages = sorted(
        info.name
        for info in pkgutil.iter_modules(importlib.import_module("iactdl").__path__, "iactdl.")
        if info.ispkg
    )
    missing = []
    for package in packages:
        page = REPO / "docs" / "api" / f"{package.split('.')[1]}.rst"
        text = page.read_text() if page.exists() else ""
        missing += [
            f"{page.relative_to(REPO)}: {name}"
            for name in _modules(package)
            if hasattr(importlib.import_module(name), "__all__")
            and f".. automodule:: {name}\n" not in text
        ]
    toplevel = (REPO / "docs" / "api" / "toplevel.rst").read_text()
    missing += [
        f"docs/api/toplevel.rst: {name}"
        for name in DOCUMENTED
        if not hasattr(importlib.import_module(name), "__path__")
        and hasattr(importlib.import_module(name), "__all__")
        and f".. automodule:: {name}\n" not in toplevel
    ]
    assert not missing, "modules missing from the API pages:\n" + "\n".join(missing)


def test_sphinx_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    cmd = [sys.executable, "-m", "sphinx", "-W", "-n", "-E", "-q", "-b", "html"]
    proc = subprocess.run(
        [*cmd, str(REPO / "docs"), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert (tmp_path / "html" / "api" / "adapt.html").exists()
