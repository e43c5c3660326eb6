"""Seeds and source hashes: what makes a rule's output reproducible and its reruns exact.

- :func:`rule_seed` derives a rule's own seed from the one seed in config and the rule's name (and
  wildcards), so rules are independent streams and adding a rule changes no other rule's numbers.
- :func:`script_source_hash` hashes the code a rule runs: the package modules its script reaches
  through imports (module- and function-level), found by reading the code, not by running it.
  Snakemake cannot see edits to an installed package; the hash goes into each rule's ``params`` so
  that an edit reruns exactly the rules whose scripts reach the edited module. Code only: each
  module is hashed as its syntax tree without docstrings, so a comment, docstring or formatting
  edit reruns nothing. Content only: no mtimes, no absolute paths.
- :func:`canonical` puts a config (or any params value) in one key order, so that Snakemake, which
  compares a rule's params by their ``repr``, reruns a rule for a changed value and never for keys
  written in another order.

How the import closure is read (:func:`import_closure`): ``import iactdl.a.b`` and ``from iactdl.a
import b`` reach ``iactdl/__init__``, ``iactdl/a/__init__`` and ``iactdl/a/b`` (Python runs every
parent package); a name that a package imports lazily (a module-level ``_LAZY = {name: module}``
table, :mod:`iactdl._lazy`) reaches the module the table names; a string constant that is
the full name of a package module (``"iactdl.models.nets.mlp"`` in the nets' catalogue) reaches
that module, since code that imports by name spells it so (so does a qualified name in it, such as
a trusted type of skops' loader); a string naming a file of
``iactdl/data`` reaches that file. Nets are the one deliberate narrowing: a rule that trains or
loads one net passes its sibling nets' modules as ``unnamed`` and its hash covers that net's own
module and what all nets share, not its siblings.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "PACKAGE",
    "PACKAGE_ROOT",
    "canonical",
    "code_digest",
    "import_closure",
    "module_path",
    "rule_seed",
    "script_source_hash",
    "save_index_cache",
    "source_hash",
    "use_index_cache",
]

PACKAGE = "iactdl"
PACKAGE_ROOT = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_ROOT / "data"
_PYTHON = ".".join(map(str, sys.version_info[:2]))


def rule_seed(seed: int, *names: str) -> int:
    """A 32-bit seed from the global seed and a rule's name (plus wildcards): stable across runs.

    The first 4 bytes (little-endian) of ``SHA-256("{seed}:{name1}:{name2}...")``.

    Parameters
    ----------
    seed : int
        The config's global seed.
    *names : str
        The rule's name, then its wildcards' values, in a fixed order.

    Returns
    -------
    int
        A seed in [0, 2**32).
    """
    h = hashlib.sha256(f"{int(seed)}:{':'.join(names)}".encode()).digest()
    return int.from_bytes(h[:4], "little")


# ---- reading the package's code ----

_CACHE_FILE: Path | None = None
_CACHE_STALE = False  # the index in memory differs from the cache file's


def use_index_cache(path: str | os.PathLike | None) -> None:
    """Read the package's code index (each module's digest and imports) from file ``path``, valid
    while no file of the package changes (size and mtime of each), and let
    :func:`save_index_cache` write it there. Planning the workflow reads it instead of parsing
    ~150 modules on every ``snakemake`` call; None: no file (the default).

    Parameters
    ----------
    path : str, os.PathLike or None
        The cache file (JSON); need not exist yet. None: no cache file.
    """
    global _CACHE_FILE
    _CACHE_FILE = None if path is None else Path(path)
    _index.cache_clear()


def save_index_cache() -> None:
    """Write the code index to the file of :func:`use_index_cache`, if it changed. Called once
    the workflow is known to be valid, so that a refused config writes nothing."""
    global _CACHE_STALE
    if _CACHE_FILE is None or not _CACHE_STALE:
        return
    # not iactdl.io.atomic (a layer above this module): the same steps, with this process's own
    # temporary name (SLURM jobs may write it at once) removed on any failure (a full disk)
    _CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
    tmp = _CACHE_FILE.with_name(f"{_CACHE_FILE.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(_index()))
        os.replace(tmp, _CACHE_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    _CACHE_STALE = False


@functools.cache
def _module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    files = {}
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(PACKAGE_ROOT).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        files[".".join((PACKAGE, *parts))] = path
    return files


def module_path(name: str) -> Path | None:
    """The file of package module ``name`` (``"iactdl.fit.train"``), or None if there is none.

    Parameters
    ----------
    name : str
        Dotted module name, with the package's name.

    Returns
    -------
    pathlib.Path or None
        The module's ``.py`` file (a package's ``__init__.py``), or None.
    """
    return _module_files().get(name)


def _data_files() -> list[Path]:
    return sorted(p for p in DATA_DIR.iterdir() if p.is_file()) if DATA_DIR.is_dir() else []


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` without the docstring of the module and of every class and function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                # keep a body that was only a docstring valid: ``pass`` hashes the same everywhere
                node.body = body[1:] or [ast.Pass()]
    return tree


def _parent_packages(name: str) -> list[str]:
    """``"iactdl.a.b"`` -> ``["iactdl", "iactdl.a"]``: the packages Python runs first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute module of ``from X import ...`` (relative imports resolved) in ``module``."""
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _lazy_assignment(tree: ast.Module) -> ast.expr | None:
    """The value of a package's module-level ``_LAZY = {...}`` (see :mod:`iactdl._lazy`)."""
    for stmt in tree.body:
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
        if isinstance(target, ast.Name) and target.id == "_LAZY" and stmt.value is not None:
            return stmt.value
    return None


def _parse(path: Path) -> tuple[str, ast.Module]:
    """Digest of a file's code (no docstrings, comments or layout) and its syntax tree (without
    docstrings: prose that names a module is no import)."""
    tree = _strip_docstrings(ast.parse(path.read_bytes(), filename=str(path)))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest(), tree


def _read(path: Path, module: str | None, lazy_tables: dict[str, dict[str, str]]) -> dict:
    """What the code of ``path`` is and reaches: its digest, the package modules it imports, the
    package modules it names in a string, the data files it names. ``module``: its dotted name
    (None for a script); ``lazy_tables``: every package's ``_LAZY`` table."""
    digest, tree = _parse(path)
    is_package = path.name == "__init__.py"
    lazy = _lazy_assignment(tree) if is_package else None
    lazy_strings = {id(n) for n in ast.walk(lazy)} if lazy is not None else set()
    data_names = {p.name for p in _data_files()}
    imports: set[str] = set()
    named: set[str] = set()
    data: set[str] = set()

    def reach(name: str) -> None:
        if name.split(".")[0] != PACKAGE:
            return
        imports.update(p for p in _parent_packages(name) if module_path(p))
        if module_path(name):
            imports.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                reach(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, module or "", is_package)
            if not base or base.split(".")[0] != PACKAGE:
                continue
            reach(base)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if module_path(sub):
                    reach(sub)
                elif alias.name in lazy_tables.get(base, {}):
                    reach(lazy_tables[base][alias.name].partition(":")[0])
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in lazy_strings
        ):
            if node.value.startswith(f"{PACKAGE}."):
                # a module's name, or a qualified name in one (a trusted type of skops' loader)
                for name in (node.value, node.value.rpartition(".")[0]):
                    if module_path(name):
                        named.add(name)
                        break
            elif node.value in data_names:
                data.add(node.value)
    return {
        "digest": digest,
        "imports": sorted(imports),
        "named": sorted(named),
        "data": sorted(data),
    }


def _stat_signature(paths: list[Path]) -> str:
    """Changes when a file is added, removed or written (path, size, mtime of each)."""
    digest = hashlib.sha256()
    for p in paths:
        st = p.stat()
        digest.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@functools.cache
def _index() -> dict:
    """Every package module's :func:`_read` record and every data file's digest, from the cache
    file while it matches the package's files, else computed (and the cache file rewritten)."""
    files = _module_files()
    signature = _stat_signature([*files.values(), *_data_files()])
    if _CACHE_FILE is not None and _CACHE_FILE.is_file():
        try:
            cached = json.loads(_CACHE_FILE.read_text())
        except (OSError, ValueError):
            cached = {}
        if cached.get("signature") == signature and cached.get("python") == _PYTHON:
            return cached
    lazy_tables = {}
    for name, path in files.items():
        if path.name == "__init__.py":
            value = _lazy_assignment(_parse(path)[1])
            if value is not None:
                lazy_tables[name] = ast.literal_eval(value)
    index = {
        "signature": signature,
        "python": _PYTHON,  # the syntax tree's dump, and so each digest, depends on the version
        "lazy": lazy_tables,
        "modules": {name: _read(path, name, lazy_tables) for name, path in files.items()},
        "data": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in _data_files()},
    }
    global _CACHE_STALE
    _CACHE_STALE = True
    return index


def _script_record(path: Path) -> dict:
    """:func:`_read` of a rule script, from the index cache while its size and mtime match."""
    st = path.stat()
    stamp = [st.st_size, st.st_mtime_ns]
    scripts = _index().setdefault("scripts", {})
    cached = scripts.get(str(path))
    if cached is not None and cached["stamp"] == stamp:
        return cached["record"]
    scripts[str(path)] = {"stamp": stamp, "record": _read(path, None, _index()["lazy"])}
    global _CACHE_STALE
    _CACHE_STALE = True
    return scripts[str(path)]["record"]


def code_digest(path: str | Path) -> str:
    """SHA-256 of the code of one Python file: its syntax tree without docstrings, so comments,
    docstrings and formatting do not change it, any change of what the code does does.

    Parameters
    ----------
    path : str or pathlib.Path
        A Python source file.

    Returns
    -------
    str
        Hex digest of ``ast.dump`` of the file's syntax tree, docstrings removed.
    """
    return _parse(Path(path))[0]


def import_closure(
    script: str | Path | None = None,
    modules: Iterable[str] = (),
    unnamed: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """The package modules (dotted names) and data files (under ``iactdl/data``) that ``script``
    and/or ``modules`` reach, each sorted.

    ``unnamed``: modules that count only when reached by a real import, not by a string naming
    them: a rule that runs one net passes its sibling nets' modules, which the nets' catalogue
    names (``iactdl.models.nets.catalog``), so that its hash covers its own net alone.

    Parameters
    ----------
    script : str or pathlib.Path, optional
        A rule script (any Python file, inside the package or not).
    modules : iterable of str
        Package modules to start from, dotted, with or without the leading ``iactdl.``.
    unnamed : iterable of str
        Dotted names of modules reached only by a real import, not by a string naming them.

    Returns
    -------
    modules : list of str
        The dotted names of the modules reached (``modules`` included; not the script).
    data : list of str
        The names of the files under ``iactdl/data`` reached.

    Raises
    ------
    ValueError
        A name in ``modules`` that is no module of the package.
    """
    index = _index()["modules"]
    other_nets = set(unnamed)
    seen: set[str] = set()
    data: set[str] = set()
    todo: list[dict] = []
    if script is not None:
        todo.append(_script_record(Path(script).resolve()))
    for name in modules:
        name = name if name.startswith(f"{PACKAGE}.") or name == PACKAGE else f"{PACKAGE}.{name}"
        if name not in index:
            raise ValueError(f"import_closure: no module {name!r} in {PACKAGE_ROOT}")
        seen.add(name)
        todo.append(index[name])
    while todo:
        record = todo.pop()
        data.update(record["data"])
        for name in [*record["imports"], *(n for n in record["named"] if n not in other_nets)]:
            if name not in seen:
                seen.add(name)
                todo.append(index[name])
    return sorted(seen), sorted(data)


def _hash_modules(modules: Iterable[str], data: Iterable[str]) -> str:
    index = _index()
    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(f"{name}\0{index['modules'][name]['digest']}\0".encode())
    for name in sorted(data):
        digest.update(f"data/{name}\0{index['data'][name]}\0".encode())
    return digest.hexdigest()[:16]


def script_source_hash(
    script: str | Path, unnamed: Iterable[str] = (), modules: Iterable[str] = ()
) -> str:
    """SHA-256 (16 hex digits) of the package code a rule script runs: every module of its import
    closure (:func:`import_closure`), as code without docstrings, plus the data files it reads.

    ``unnamed``: see :func:`import_closure`; ``modules``: package modules the script loads by a
    name it reads at run time (a model's loader in its ``model.json``), with their closures.
    The script's own text is not in it: Snakemake already reruns a rule whose script changed.

    Parameters
    ----------
    script : str or pathlib.Path
        The rule's script.
    unnamed : iterable of str
        Modules reached only by a real import (:func:`import_closure`).
    modules : iterable of str
        Further package modules the script loads by name at run time.

    Returns
    -------
    str
        The first 16 hex digits of SHA-256 over each module's name and code digest
        (:func:`code_digest`) and each data file's name and digest, sorted by name.
    """
    return _hash_modules(*import_closure(script, modules=modules, unnamed=unnamed))


def source_hash(*modules: str) -> str:
    """SHA-256 (16 hex digits) of package modules and everything they import, e.g.
    ``source_hash("simulate")`` covers ``iactdl.simulate`` and its import closure.

    Parameters
    ----------
    *modules : str
        Package modules, dotted, with or without the leading ``iactdl.``.

    Returns
    -------
    str
        The first 16 hex digits of SHA-256 over the closure's modules and data files, as
        :func:`script_source_hash` computes it.
    """
    return _hash_modules(*import_closure(modules=modules))


def canonical(value):
    """``value`` with every mapping, at any depth, rebuilt in sorted key order (keys as ``str``).

    Lists and tuples keep their order (a feature list's order is the model's column order) but
    their elements are made canonical too; other values are returned as they are. The result is a
    new object: YAML anchors shared between entries become independent copies.

    Parameters
    ----------
    value : object
        A config or params value: dicts, lists, tuples and scalars, nested.

    Returns
    -------
    object
        The same structure with every dict's keys in the order of ``sorted(keys, key=str)``
        (the keys themselves unchanged); tuples stay tuples, lists lists.
    """
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return type(value)(canonical(v) for v in value)
    return value
