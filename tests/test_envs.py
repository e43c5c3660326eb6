"""The conda environments of the rules (envs/*.yaml, used through `conda:` with `--sdm conda`).

They must parse, come from conda-forge, pin every package with ``==``, provide every third-party
module that the package and the workflow scripts import, and the GPU environment must carry a CUDA
build of PyTorch. Every ``conda:`` directive in the rules must point at one of them.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "envs"
ENV_FILES = sorted(ENVS.glob("*.yaml"))
# import name -> conda-forge package names that provide it
PROVIDERS = {
    "numpy": {"numpy"},
    "scipy": {"scipy"},
    "pandas": {"pandas"},
    "h5py": {"h5py"},
    "hdf5plugin": {"hdf5plugin"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "sklearn": {"scikit-learn"},
    "yaml": {"pyyaml"},
    "tqdm": {"tqdm"},
    "torch": {"pytorch", "pytorch-cpu", "pytorch-gpu"},
}
# provided by Snakemake itself (script directive) or by the project
NOT_FROM_ENV = {"iactdl", "snakemake"}
SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*==\s*(?P<version>[0-9][\w.+!]*)(=\S+)?$")


def _deps(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    deps = {}
    for dep in env["dependencies"]:
        assert isinstance(dep, str), f"{path.name}: unexpected non-conda entry {dep!r}"
        m = SPEC.match(dep.strip())
        assert m, f"{path.name}: '{dep}' is not pinned as 'name ==version'"
        deps[m["name"]] = m["version"]
    return deps


def _module_file(name: str) -> Path | None:
    """src/ file of an ``iactdl`` module (package: its __init__.py), None if there is none."""
    base = REPO / "src" / Path(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.exists():
            return cand
    return None


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (``from a import b`` gives a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside the package
                pkg = path.relative_to(REPO / "src").with_suffix("").parts
                pkg = pkg[: len(pkg) - node.level + (path.name == "__init__.py")]
                mod = ".".join([*pkg, node.module] if node.module else pkg)
            else:
                mod = node.module
            names.add(mod)
            names |= {f"{mod}.{a.name}" for a in node.names}
    return names


def _third_party_imports() -> dict[str, set[str]]:
    """Third-party top-level modules the rules import, with the files importing them: every
    import of workflow/scripts/*.py and, transitively, of the iactdl modules they reach (function-
    level imports included: they run when the rule calls the function)."""
    todo = list((REPO / "workflow" / "scripts").glob("*.py"))
    seen: set[Path] = set()
    found: dict[str, set[str]] = {}
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        for name in _imports(f):
            top = name.split(".")[0]
            if top == "iactdl":
                parts = name.split(".")
                # the module itself and the packages above it (their __init__ runs too)
                for i in range(1, len(parts) + 1):
                    mf = _module_file(".".join(parts[:i]))
                    if mf is not None:
                        todo.append(mf)
            elif top not in sys.stdlib_module_names and top not in NOT_FROM_ENV | {"__future__"}:
                found.setdefault(top, set()).add(str(f.relative_to(REPO)))
    return found


def test_there_is_a_cpu_and_a_gpu_env():
    assert {p.name for p in ENV_FILES} >= {"cpu.yaml", "gpu.yaml"}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_parses_from_conda_forge_and_pins_everything(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"][0] == "conda-forge", env["channels"]
    assert "defaults" not in env["channels"], "anaconda defaults channel: licence + mixed builds"
    deps = _deps(path)
    assert "python" in deps
    post = path.with_name(path.stem + ".post-deploy.sh")
    assert post.exists(), f"{post.name} (installs the project into the env) missing"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_provides_every_module_the_rules_import(path):
    deps = set(_deps(path))
    missing = {}
    for module, importers in _third_party_imports().items():
        providers = PROVIDERS.get(module, {module})
        if not providers & deps:
            missing[module] = sorted(importers)
    assert not missing, f"{path.name} lacks packages for imports (module: importers): {missing}"


def test_cpu_and_gpu_envs_pin_the_same_versions():
    cpu, gpu = _deps(ENVS / "cpu.yaml"), _deps(ENVS / "gpu.yaml")
    common = set(cpu) & set(gpu)
    assert {k: (cpu[k], gpu[k]) for k in common if cpu[k] != gpu[k]} == {}


def test_gpu_env_has_a_cuda_build_of_pytorch():
    raw = (ENVS / "gpu.yaml").read_text()
    deps = _deps(ENVS / "gpu.yaml")
    cuda_build = "pytorch-gpu" in deps or re.search(r"pytorch\s*==\S+=\S*cuda", raw)
    assert cuda_build, "gpu.yaml: needs pytorch-gpu (or a pytorch ==X=*cuda* build)"
    assert "cuda-version" in deps
    assert "pytorch-cpu" not in deps


def test_conda_directives_point_at_these_envs():
    rules = REPO / "workflow" / "rules"
    for smk in rules.glob("*.smk"):
        for m in re.finditer(r"^\s+conda:\s*\n\s+\"([^\"]+)\"", smk.read_text(), flags=re.M):
            target = (smk.parent / m[1]).resolve()
            assert target in {p.resolve() for p in ENV_FILES}, f"{smk.name}: conda: {m[1]}"
