"""iactdl.provenance: canonical params (key order never matters, list order does) and source
hashes (a rule script's import closure, code only)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from iactdl import provenance
from iactdl.models.nets.catalog import NETS
from iactdl.provenance import canonical, code_digest, import_closure, script_source_hash


def test_canonical_is_independent_of_key_order_at_every_depth():
    a = {"b": {"y": 1, "x": [3, {"q": 1, "p": 2}]}, "a": 0.5}
    b = {"a": 0.5, "b": {"x": [3, {"p": 2, "q": 1}], "y": 1}}
    assert a == b and repr(a) != repr(b)  # equal values, different repr: Snakemake would rerun
    assert repr(canonical(a)) == repr(canonical(b))
    assert canonical(a) == a  # values untouched


def test_canonical_keeps_list_order_and_a_value_change_shows():
    assert repr(canonical({"f": ["size", "width"]})) != repr(canonical({"f": ["width", "size"]}))
    assert repr(canonical({"C": 1.0})) != repr(canonical({"C": 2.0}))


def test_canonical_copies_yaml_anchors_and_does_not_modify_its_input():
    text = "a: &l [x, y]\nm: {b: 1, a: *l}\n"
    config = yaml.safe_load(text)
    before = repr(config)
    out = canonical(config)
    assert repr(config) == before
    assert out["m"]["a"] == ["x", "y"] and out["m"]["a"] is not config["a"]
    assert list(out["m"]) == ["a", "b"]


# ---- source hashes: each rule's import closure, code only ----
REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"
RULES = REPO / "workflow" / "rules"


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A copy of the package to edit, with provenance pointed at it (restored afterwards)."""
    root = tmp_path / "iactdl"
    shutil.copytree(provenance.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE_ROOT", root)
    monkeypatch.setattr(provenance, "DATA_DIR", root / "data")
    provenance.use_index_cache(None)
    provenance._module_files.cache_clear()
    yield root
    provenance._module_files.cache_clear()
    provenance._index.cache_clear()


def _hash(script: str, **kw) -> str:
    provenance._module_files.cache_clear()
    provenance._index.cache_clear()
    return script_source_hash(SCRIPTS / script, **kw)


def _other_nets(net: str) -> list[str]:
    return [spec.qualified_module for name, spec in NETS.items() if name != net]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_code_digest_ignores_comments_docstrings_and_layout(tmp_path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text('"""Module."""\n\n\ndef f(x):\n    """Doc."""\n    return x + 1  # one\n')
    b.write_text("def f(x):\n\n    return (x +\n            1)\n")
    c.write_text("def f(x):\n    return x + 2\n")
    assert code_digest(a) == code_digest(b)
    assert code_digest(a) != code_digest(c)


def test_train_net_closure_has_what_the_nets_run_and_not_the_stages():
    modules, data = import_closure(SCRIPTS / "train_net.py", unnamed=_other_nets("mlp"))
    # camera (the hexagonal kernel's masks) and provenance (each epoch's shuffling seed) were
    # missing from the hand-written lists
    for needed in ("iactdl.camera", "iactdl.provenance", "iactdl.fit.engine", "iactdl.fit.train"):
        assert needed in modules
    assert "iactdl.models.nets.mlp" in modules
    assert "iactdl.models.nets.settransformer" not in modules
    assert not any(m.startswith(("iactdl.adapt", "iactdl.labelnoise")) for m in modules), modules
    assert "iactdl.evaluate.performance_figures" not in modules
    assert "fact_camera_axial.csv" in data  # read by iactdl.camera


def test_closure_covers_every_module_a_script_imports_when_run():
    """The static closure against Python's own: import each script's imports in a fresh
    interpreter and compare the package modules it loaded (module-level imports)."""
    for script in ("train_net.py", "predict.py", "evaluate.py", "build_features.py"):
        tree = ast.parse((SCRIPTS / script).read_text())
        imports = "\n".join(
            ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
        )
        show = "print(sorted(m for m in sys.modules if m.startswith('iactdl')))"
        code = f"{imports}\nimport sys\n{show}"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        loaded = set(ast.literal_eval(out.stdout.strip().splitlines()[-1]))
        modules, _ = import_closure(SCRIPTS / script)
        assert loaded <= set(modules), f"{script}: loaded but not hashed: {loaded - set(modules)}"


def test_a_docstring_or_comment_edit_changes_no_hash(package):
    before = _hash("train_net.py")
    _edit(package / "fit" / "engine.py", '"""', '"""Edited docstring.\n\n')
    (package / "fit" / "engine.py").write_text(
        (package / "fit" / "engine.py").read_text() + "\n# a comment\n"
    )
    assert _hash("train_net.py") == before


def test_a_code_edit_changes_exactly_the_scripts_that_reach_it(package):
    scripts = ("train_net.py", "train_onoff.py", "figure_roc.py")
    before = {s: _hash(s) for s in scripts}
    (package / "camera.py").write_text((package / "camera.py").read_text() + "\n_EDIT = 1\n")
    after_camera = {s: _hash(s) for s in scripts}
    assert after_camera["train_net.py"] != before["train_net.py"]  # the nets' hexagonal grid
    # stage 6 (the Menon correction): its own rules, not a plain net's
    path = package / "labelnoise" / "correction.py"
    path.write_text(path.read_text() + "\n_EDIT = 1\n")
    after = {s: _hash(s) for s in scripts}
    assert after["train_onoff.py"] != after_camera["train_onoff.py"]
    assert after["train_net.py"] == after_camera["train_net.py"]
    assert after["figure_roc.py"] == after_camera["figure_roc.py"]


def test_one_nets_module_changes_that_nets_hash_only(package):
    mlp = lambda: _hash("train_net.py", unnamed=_other_nets("mlp"))  # noqa: E731
    st = lambda: _hash("train_net.py", unnamed=_other_nets("settransformer"))  # noqa: E731
    before = (mlp(), st())
    path = package / "models" / "nets" / "settransformer.py"
    path.write_text(path.read_text() + "\n_EDIT = 1\n")
    assert mlp() == before[0]
    assert st() != before[1]


def test_a_data_file_edit_changes_the_hash(package):
    before = _hash("build_features.py")
    csv = package / "data" / "fact_camera_axial.csv"
    csv.write_text(csv.read_text() + "\n")
    assert _hash("build_features.py") != before


def test_every_rule_hashes_its_own_script():
    """src("x.py") / model_src("x.py") in a rule must name the rule's own script: a copied rule
    that kept its model's src would hash another script's code."""
    checked = 0
    for smk in RULES.glob("*.smk"):
        text = smk.read_text()
        # a block per rule; `rule:` is a rule named by its `name:` (paper.smk's table pages)
        for block in re.split(r"\n(?= *(?:use rule \w+|rule(?: \w+)?:|checkpoint \w+))", text):
            # a rule's script, or the script param of a rule whose script is "{params.script}"
            # (train_net and the rules that reuse it: `use rule train_net as ... with:`)
            script = re.search(r'script:\s*\n\s*"\.\./scripts/(\w+\.py)"', block) or re.search(
                r'\bscript="(\w+\.py)"', block
            )
            srcs = re.findall(r'src=(?:model_)?src\("([^"]+)"\)', block)
            if script:
                assert srcs == [script[1]], f"{smk.name}: {block.splitlines()[0]}: src {srcs}"
                checked += 1
    assert checked >= 40
