"""The package's import graph: arrows point one way.

Every ``import`` in ``src/iactdl`` (module level and inside functions, relative ones resolved) is an
edge between top-level units of the package (a sub-package such as ``iactdl.fit`` or a module such
as ``iactdl.camera``). A cycle between units would mean two concepts own each other; the layering
of the design (data <- features <- models <- fit <- adapt, labelnoise; evaluate reads predictions)
is checked for the units it names, and the two stage packages import neither each other nor
anything that imports them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "iactdl"

# lower layers first; a unit may import only units in its own or a lower layer. Units not listed
# here (new ones) are checked for cycles only.
LAYERS = (
    {"camera", "provenance", "rule_log", "data"},
    {"io", "metrics", "benchmark_summary"},  # benchmark_summary writes through io's atomic_path
    {"simulate", "extract"},
    {"features"},
    {"models"},
    {"fit"},
    {"evaluate"},
    # the stages, 5 (domain adaptation) and 6 (label noise): on top of the engine and evaluation's
    # tools; nothing below imports them, and neither the other (test_stages_stand_alone)
    {"adapt", "labelnoise"},
)
STAGES = ("adapt", "labelnoise")


def _unit(module: str) -> str | None:
    """Top-level unit of a dotted module name inside iactdl (``None`` outside, ``""`` the root)."""
    parts = module.split(".")
    if parts[0] != "iactdl":
        return None
    return parts[1] if len(parts) > 1 else ""


def _imported_modules(path: Path, root: Path) -> list[tuple[str, int]]:
    """(absolute module name, line) of every import in ``path``, relative ones resolved."""
    rel = path.relative_to(root.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import is relative to
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # `from iactdl import fit` imports the unit fit, not the root
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, list[str]]]:
    """unit -> imported unit -> ['file:line', ...], for imports between different units."""
    units = {p.stem for p in root.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    units.discard("__init__")
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(root.rglob("*.py")):
        src = _unit(".".join(path.relative_to(root.parent).with_suffix("").parts))
        src = "" if src == "__init__" else src
        for module, line in _imported_modules(path, root):
            dst = _unit(module)
            if dst is None or dst not in units or dst == src:
                continue  # outside iactdl, a name from the root (__version__), or within a unit
            graph[src][dst].append(f"{path.relative_to(root).as_posix()}:{line}")
    return graph


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_a_cycle_through_a_function_level_relative_import_is_found(tmp_path):
    pkg = tmp_path / "iactdl"
    for unit in ("low", "high"):
        (pkg / unit).mkdir(parents=True)
        (pkg / unit / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("__version__ = '0'\n")
    (pkg / "camera.py").write_text("from iactdl import __version__\n")
    (pkg / "high" / "a.py").write_text("from ..low import b\n")
    (pkg / "low" / "b.py").write_text("def f():\n    from iactdl.high.a import g\n")
    graph = import_graph(pkg)
    assert graph["high"]["low"] == ["high/a.py:1"]
    assert graph["low"]["high"] == ["low/b.py:2"]
    assert "" not in graph["camera"]  # __version__ is a name of the root, not a unit
    assert _cycles(graph) == [["high", "low"]]


def test_no_import_cycle_between_units():
    graph = import_graph()
    cycles = _cycles(graph)
    detail = [
        f"{a} -> {b}: {', '.join(graph[a][b])}"
        for cycle in cycles
        for a in cycle
        for b in cycle
        if b in graph[a]
    ]
    assert not cycles, f"import cycles between units of iactdl: {cycles}\n" + "\n".join(detail)


def test_imports_follow_the_layers():
    layer = {unit: i for i, units in enumerate(LAYERS) for unit in units}
    upward = [
        f"{a} imports {b} ({', '.join(where)})"
        for a, targets in import_graph().items()
        for b, where in targets.items()
        if a in layer and b in layer and layer[b] > layer[a]
    ]
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_stages_stand_alone():
    """The engine and what it stands on (``fit``, ``models``, ``features``, ``io``, ...) import
    neither stage package, and the stage packages do not import each other: each stage hands the
    engine what differs (stage 5 a ``prepare`` hook, stage 6 a ``labels`` function), and
    ``iactdl.config`` alone dispatches an entry's section to its stage."""
    graph = import_graph()
    below = {unit for units in LAYERS for unit in units} - set(STAGES)
    assert {"fit", "models", "features", "io", "evaluate"} <= below
    wrong = [
        f"{a} imports {b} ({', '.join(where)})"
        for a, targets in graph.items()
        for b, where in targets.items()
        if b in STAGES and (a in below or a in STAGES)
    ]
    assert not wrong, "a stage package imported from below or by the other stage:\n" + "\n".join(
        wrong
    )


def test_no_package_exports_a_name_of_its_own_submodule():
    """Importing submodule ``p.x`` sets attribute ``x`` of package ``p`` to the module, so a
    function ``p.x`` (a lazy export, ``iactdl._lazy``, or one defined in ``__init__``) would turn
    into the module once anything imports ``p.x`` (``iactdl.features.hillas`` was one)."""
    clashes = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        pkg = init.parent
        submodules = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
        submodules |= {p.name for p in pkg.iterdir() if (p / "__init__.py").exists()}
        exported = set()
        for node in ast.parse(init.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                exported.add(node.name)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("_LAZY", "__all__") for t in node.targets
            ):
                keys = node.value.keys if isinstance(node.value, ast.Dict) else []
                elts = getattr(node.value, "elts", [])
                exported |= {k.value for k in [*keys, *elts] if isinstance(k, ast.Constant)}
        clashes += [
            f"{pkg.relative_to(PACKAGE.parent)}: {n}" for n in sorted(exported & submodules)
        ]
    assert not clashes, "exports named as a submodule of their package:\n" + "\n".join(clashes)
