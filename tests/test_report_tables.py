"""The paper's tables inside the report: ``snakemake --report`` shows an HTML result inline and
offers a CSV only as a download, so each table reaches the report as an HTML page
(iactdl.evaluate.report.write_table_html, rules table_html_<name> of paper.smk)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from iactdl.evaluate.report import write_table_html

ROOT = Path(__file__).resolve().parents[1]


def test_table_page_shows_every_row_rounded_and_links_the_csv(tmp_path):
    csv = tmp_path / "summary.csv"
    table = pd.DataFrame(
        {
            "model": ["hist_gbt", "mlp", "cnn <hex>"],
            "roc_auc": [0.912345678, 0.88, float("nan")],
            "n_events": [1000, 2000, 3000],
        }
    )
    table.to_csv(csv, index=False)
    page = tmp_path / "summary.html"
    write_table_html(csv, page, title="summary")
    text = page.read_text()
    assert text.count("<tr>") == 1 + 3  # the header and every row
    assert "<th>roc_auc</th>" in text and '<td class="num">0.9123</td>' in text
    assert "cnn &lt;hex&gt;" in text  # escaped, not markup
    link = re.search(r'href="data:text/csv;base64,([^"]+)" download="summary.csv"', text)
    assert link and base64.b64decode(link.group(1)) == csv.read_bytes()  # every digit


def test_a_missing_value_is_an_empty_cell_not_nan(tmp_path):
    csv = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.5, float("nan")], "b": ["x", None]}).to_csv(csv, index=False)
    write_table_html(csv, tmp_path / "t.html", title="t")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", (tmp_path / "t.html").read_text())
    assert cells == ["1.5", "x", "", ""]


def test_an_unreadable_table_names_its_file(tmp_path):
    csv = tmp_path / "empty.csv"
    csv.write_text("")
    with pytest.raises(ValueError, match="empty.csv"):
        write_table_html(csv, tmp_path / "e.html", title="e")
    assert not (tmp_path / "e.html").exists()


def test_no_rule_puts_a_bare_csv_into_the_report():
    """A report(...) of a CSV is a download link; the table's page is what the report shows."""
    found = []
    for smk in sorted((ROOT / "workflow" / "rules").rglob("*.smk")):
        for m in re.finditer(r"report\(\s*results\(\s*\"([^\"]+)\"", smk.read_text()):
            if m.group(1).endswith((".csv", ".tsv")):
                found.append(f"{smk.relative_to(ROOT)}: {m.group(1)}")
    assert not found, found


def _figure_captions() -> set[str]:
    """The caption files of the figures in the report (a report(...) of a .png)."""
    pattern = r"report\(\s*results\(\s*\"[^\"]+\.png\"\),\s*caption=\"\.\./report/([^\"]+)\""
    found = set()
    for smk in (ROOT / "workflow" / "rules").rglob("*.smk"):
        found |= set(re.findall(pattern, smk.read_text()))
    return found


@pytest.mark.parametrize(
    "table", ["summary", "significance", "comparison", "optimisers", "inductive_bias",
              "adaptation", "adaptation_lambda", "shift_study"],
)  # fmt: skip
def test_every_report_table_has_a_caption_of_its_own(table):
    """The caption paper.smk's table_caption_file gives a table (the first of these that exists)
    describes the table, not a figure: the adaptation table once took the bar chart's caption."""
    report = ROOT / "workflow" / "report"
    names = [f"{table}_table.rst", f"experiments_{table}_table.rst", f"{table}.rst"]
    chosen = next((n for n in names if (report / n).exists()), None)
    assert chosen is not None, f"no caption for table {table}"
    figures = _figure_captions()
    assert "adaptation.rst" in figures  # the pattern finds the figures' captions
    assert chosen not in figures, f"table {table} would take the figure caption {chosen}"
