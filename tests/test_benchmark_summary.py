"""iactdl.benchmark_summary: benchmark TSVs -> results/benchmarks/summary.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


@pytest.fixture(scope="module")
def mod():
    from iactdl import benchmark_summary

    return benchmark_summary


def _bench(path: Path, *rows: tuple[float, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{s}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t0\t0\n" for s, rss in rows)
    path.write_text(HEADER + body)


def test_rows_have_rule_wildcards_seconds_and_max_rss(mod, tmp_path):
    root = tmp_path / "results" / "benchmarks"
    _bench(root / "predict" / "mlp" / "test.tsv", (2.0, 100.0), (4.0, 300.5))
    _bench(root / "extract" / "gamma_diffuse.tsv", (1.5, 50.0))
    _bench(root / "stale" / "x.tsv", (1.0, 1.0))
    patterns = {
        "predict": f"{root.as_posix()}/predict/{{model}}/{{split}}.tsv",
        "extract": f"{root.as_posix()}/extract/{{sample}}.tsv",
    }
    out = tmp_path / "summary.csv"
    assert mod.summarise_benchmarks(patterns, root, out) == 2
    rows = list(csv.DictReader(out.open()))
    assert [r["rule"] for r in rows] == ["extract", "predict"]
    assert rows[0]["wildcards"] == "sample=gamma_diffuse"
    assert rows[1]["wildcards"] == "model=mlp,split=test"
    assert float(rows[1]["seconds"]) == pytest.approx(3.0)  # mean over repeats
    assert float(rows[1]["max_rss_mb"]) == pytest.approx(300.5)  # max over repeats
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "summary.csv"]  # no temp


def test_pattern_with_wildcard_regex(mod):
    rx = mod.pattern_regex("results/benchmarks/train/{model,[a-z]+}.tsv")
    assert rx.search("results/benchmarks/train/mlp.tsv")["model"] == "mlp"
    assert rx.search("results/benchmarks/train/mlp2.tsv") is None


def test_not_a_benchmark_file_is_named(mod, tmp_path):
    bad = tmp_path / "b" / "r" / "x.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match=r"x\.tsv.*max_rss"):
        mod.summarise_benchmarks({"r": "b/r/{x}.tsv"}, tmp_path / "b", tmp_path / "s.csv")
