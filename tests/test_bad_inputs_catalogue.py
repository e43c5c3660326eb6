"""benchmarks/bad_inputs.py, the catalogue of bad inputs (issue 23), on a handful of its cases (the
whole catalogue takes minutes): each is refused, names what is wrong, leaves nothing and changes
no input; and a defect is seen as one (a case that cannot fail would be no check)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import bad_inputs
finally:
    sys.path.pop(0)

# one or two per class, the cheap ones: no snakemake, no torch model files, no full disk
HANDFUL = [
    "schema-seed=abc",
    "cli-no-argument",
    "aliases-0",
    "duplicate-seed",
    "results_dir-/",
    "model-name-0",
    "npz-junk",
    "fact-list-glob-nothing",
]
NEEDS_FACT = ["fact-truncated-50", "features-width-nan"]


def test_a_handful_of_the_catalogue(tmp_path):
    cases = HANDFUL + (NEEDS_FACT if bad_inputs.FACT_DATA.exists() else [])
    table = tmp_path / "table.md"
    result = bad_inputs.main(
        ["--no-snakemake", "--cases", ",".join(cases), "--markdown", str(table)]
    )
    rows = {row["id"]: row for row in result["rows"]}
    assert sorted(rows) == sorted(cases)
    for row in rows.values():
        assert row["defect"] == [], row
        assert row["fails"] == (row["expect"] == "refused"), row
        assert row["names_it"] and not row["partial"] and not row["input_modified"], row
    assert rows["schema-seed=abc"]["message"].endswith(
        "config seed: 'abc' is not of type 'integer'"
    )
    text = table.read_text()
    assert f"| **total** | **{len(cases)}** | **0** |" in text
    assert len(re.findall(r"^\| \d+ \| ", text, flags=re.MULTILINE)) == len(cases)  # a row each


def test_a_defect_is_reported(monkeypatch):
    """A reader that leaves a file, changes its input and says nothing of the file is a defect."""

    def make(folder):
        (folder / "in.h5").write_bytes(b"x")

    def act(folder):
        (folder / "in.h5").write_bytes(b"y")
        (folder / "out.h5").write_bytes(b"partial")
        return True, "something went wrong"

    row = bad_inputs.run_case(bad_inputs.Case("fact_files", "x", "x", "in.h5", act, make))
    assert row["defect"] == ["does not name it", "partial output", "input modified"]
    assert row["partial"] == ["out.h5"] and row["input_modified"] == ["in.h5"]
    accepted = bad_inputs.Case("schema", "y", "y", "k", lambda folder: (False, "k"))
    assert bad_inputs.run_case(accepted)["defect"] == ["accepted"]


@pytest.mark.parametrize("cls", list(bad_inputs.CLASSES))
def test_every_class_has_several_inputs(cls):
    cases = [c for c in bad_inputs.catalogue(snakemake=True) if c.cls == cls]
    assert len(cases) >= 4, cls
