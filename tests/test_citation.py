"""The repository as a publication: LICENSE, CITATION.cff and the Snakemake workflow catalog's file.

- CITATION.cff (Citation File Format 1.2.0) has the keys the format requires, its version and
  licence are pyproject.toml's, its abstract is the README's first paragraph, and it references
  the works whose methods the pipeline implements.
- LICENSE is the licence pyproject.toml declares, and pyproject ships it as its licence file.
- .snakemake-workflow-catalog.yml parses as the catalog reads it (``usage.mandatory-flags``,
  ``usage.software-stack-deployment``, ``usage.report``) and says the workflow makes a report; the
  README has the "Usage" section the catalog points readers to.

Plain YAML and TOML reading (no cffconvert): the whole file runs in well under a second.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# the works the pipeline implements, by first author and year
REFERENCES = {
    ("Ganin", 2016),  # domain-adversarial training (iactdl.adapt.dann)
    ("Menon", 2015),  # class-conditional label noise (iactdl.labelnoise)
    ("Li", 1983),  # significance of an ON/OFF excess (iactdl.evaluate)
    ("Hillas", 1985),  # image moments (iactdl.features)
    ("Lessard", 2001),  # disp direction reconstruction (iactdl.models.disp)
    ("Anderhub", 2013),  # the FACT telescope (iactdl.camera)
}


@pytest.fixture(scope="module")
def project() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


@pytest.fixture(scope="module")
def cff() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> dict:
    return yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text(encoding="utf-8"))


def _license_id(project: dict) -> str:
    """pyproject's licence: an SPDX expression (PEP 639) or the older ``{text = ...}`` table."""
    lic = project["license"]
    return lic if isinstance(lic, str) else lic["text"]


def _author_ok(author: dict) -> bool:
    """A CFF person (family-names) or entity (name)."""
    return bool(author.get("family-names") or author.get("name"))


def test_cff_has_the_required_keys(cff):
    assert str(cff["cff-version"]) == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff.get(key), f"CITATION.cff lacks {key!r}"
    assert cff.get("type", "software") == "software"
    assert all(_author_ok(a) for a in cff["authors"])
    assert {"name": "the iactdl authors"} in cff["authors"]


def test_cff_version_and_license_are_pyprojects(cff, project):
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == _license_id(project)


def test_cff_abstract_is_the_readmes_first_paragraph(cff):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paragraphs = [p for p in readme.split("\n\n") if p.strip() and not p.startswith("#")]
    first = re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", paragraphs[0])  # links -> their text
    assert " ".join(cff["abstract"].split()) == " ".join(first.split())


def test_cff_keywords_are_pyprojects(cff, project):
    assert cff["keywords"] and all(isinstance(k, str) and k for k in cff["keywords"])
    assert cff["keywords"] == project["keywords"]


def test_cff_references_the_implemented_works(cff):
    refs = cff["references"]
    for ref in refs:
        assert ref.get("type") and ref.get("title"), ref
        assert ref.get("authors") and all(_author_ok(a) for a in ref["authors"]), ref["title"]
        assert isinstance(ref.get("year"), int), ref["title"]
    found = {(ref["authors"][0].get("family-names"), ref["year"]) for ref in refs}
    assert REFERENCES <= found, f"missing: {sorted(REFERENCES - found)}"


def test_license_file_names_pyprojects_license(project):
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert _license_id(project) == "MIT"
    assert text.splitlines()[0].strip() == "MIT License"
    assert re.search(r"^Copyright \(c\) \d{4} the iactdl authors$", text, re.M)
    assert "LICENSE" in project.get("license-files", ["LICENSE"])


def test_pyproject_metadata(project):
    assert project["readme"] == "README.md" and (REPO / "README.md").is_file()
    assert {"name": "the iactdl authors"} in project["authors"]
    classifiers = set(project["classifiers"])
    assert {
        "Intended Audience :: Science/Research",
        "Topic :: Scientific/Engineering :: Astronomy",
        "Topic :: Scientific/Engineering :: Physics",
        "Programming Language :: Python :: 3.11",
    } <= classifiers
    # setuptools refuses a "License ::" classifier beside an SPDX licence expression
    if isinstance(project["license"], str):
        assert not any(c.startswith("License ::") for c in classifiers)


def test_catalog_file_parses_and_names_the_report(catalog):
    usage = catalog["usage"]
    # the catalog reads `report` beside (not inside) software-stack-deployment
    assert usage["report"] is True
    flags = usage["mandatory-flags"]
    assert isinstance(flags["desc"], str) and flags["desc"]
    assert isinstance(flags["flags"], str | list)
    deployment = usage["software-stack-deployment"]
    assert set(deployment) <= {"conda", "apptainer", "apptainer+conda"}
    assert any(deployment.values()), "the catalog needs at least one deployment method"
    if deployment.get("conda"):
        assert sorted(p.name for p in (REPO / "envs").glob("*.yaml")), "conda: true without envs/"


def test_readme_has_the_usage_section_the_catalog_expects():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    # what the catalog's crawler looks for in a README
    assert "snakemake" in readme.lower() and "workflow" in readme.lower()
    m = re.search(r"^## Usage\n(.*?)(?=^## )", readme, re.M | re.S)
    assert m, "README.md has no '## Usage' section"
    usage = m.group(1)
    for step in ("Deploy", "Configure", "Run", "Report"):
        assert f"**{step}.**" in usage, step
    assert "snakemake --report report.html" in usage
