"""evidence.html from a recorded evidence.json: every status, every reason, the evidence, no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lakehouse.cli import main as cli_main
from lakehouse.redact import REDACTED, redact_text
from lakehouse.report import load_evidence
from lakehouse.report.artifacts import IMAGE_LIMIT_BYTES, LOG_TAIL_LINES
from tests.report.conftest import DATA, PLANTED, Page, copy_sample, render

SAMPLE = load_evidence(DATA / "evidence.json")


def _section(page: Page, check_id: str) -> str:
    """The HTML of one check's section."""
    m = re.search(rf'<section class="check[^"]*" id="check-{re.escape(check_id)}">(.*?)</section>', page.html, re.S)
    assert m, f"no section for {check_id}"
    return m.group(1)


def test_the_sample_covers_every_status_and_a_kpi() -> None:
    statuses = {c["status"] for c in SAMPLE["checks"]}
    assert statuses == {"passed", "failed", "skipped", "error"}
    assert any(c["id"].startswith("KPI-") for c in SAMPLE["checks"])


def test_page_holds_each_status_and_the_verdict(sample_page: Page) -> None:
    for status in ("passed", "failed", "skipped", "error"):
        assert f'class="badge badge-{status}"' in sample_page.html
    assert 'class="verdict verdict-failed">FAILED<' in sample_page.html
    for check in SAMPLE["checks"]:
        section = _section(sample_page, check["id"])
        assert f'badge-{check["status"]}"' in section, check["id"]


def test_every_reason_is_shown_in_one_sentence_at_the_top_of_its_section(sample_page: Page) -> None:
    for check in SAMPLE["checks"]:
        if check["status"] == "passed":
            continue
        shown = redact_text(check["reason"])
        assert " ".join(shown.split()) in sample_page.text, check["id"]
        section = _section(sample_page, check["id"])
        after_header = section.split("</header>", 1)[1].lstrip()
        assert after_header.startswith(f'<p class="why why-{check["status"]}">'), check["id"]


def test_failures_and_checks_not_run_are_listed_at_the_top(sample_page: Page) -> None:
    top = sample_page.html.split("<h2>Exit criteria</h2>")[0]
    not_run = top.split('<ul class="not-run">')[1].split("</ul>")[0]
    for check in SAMPLE["checks"]:
        linked = f'href="#check-{check["id"]}"' in top
        assert linked == (check["status"] != "passed"), check["id"]
        assert (f'href="#check-{check["id"]}"' in not_run) == (check["status"] == "skipped"), check["id"]


def test_no_planted_secret_reaches_the_page(sample_page: Page) -> None:
    planted_in = {s: [p.name for p in DATA.iterdir() if s.encode() in p.read_bytes()] for s in PLANTED}
    assert all(planted_in.values()), f"the sample lost a planted secret: {planted_in}"
    leaked = [s for s in PLANTED if s in sample_page.html]
    assert not leaked, f"secrets in evidence.html: {leaked}"
    # Key names stay readable, values are replaced.
    assert "SecretAccessKey" in sample_page.text and REDACTED in sample_page.text


def test_exit_criteria_table_lists_the_catalogue_with_statuses(sample_page: Page) -> None:
    table = sample_page.html.split("<h2>Exit criteria</h2>")[1].split("</table>")[0]
    rows = re.findall(r'<tr class="row-(\w+)">\s*<td>(\d+)</td>', table)
    by_id = {c["id"]: c["status"] for c in SAMPLE["checks"]}
    assert rows == [(by_id[f"EXIT-{n}"], str(n)) for n in range(1, 8)]


def test_kpis_get_their_own_table_and_sections(sample_page: Page) -> None:
    kpi_part = sample_page.html.split("<h2>KPIs</h2>")[1].split("<h2>")[0]
    assert "KPI-contracts" in kpi_part and "KPI-p95-latency" in kpi_part
    assert "<h2>KPIs in detail</h2>" in sample_page.html
    assert "143.2 ms" in _section(sample_page, "KPI-p95-latency")


def test_queries_show_sql_rows_and_errors(sample_page: Page) -> None:
    loop = _section(sample_page, "EXIT-2")
    assert "FROM gold.daily_sales" in loop
    assert "<th>total_amount</th>" in loop and "<td>1234.50</td>" in loop
    assert '<td class="null">NULL</td>' in loop
    assert "scanned 47.1 KiB" in loop and "engine 142 ms" in loop
    security = _section(sample_page, "EXIT-6")
    assert re.search(r'<pre class="failure">COLUMN_NOT_FOUND: line 1:8: Column &#39;ssn&#39;', security)
    assert "<td>123-45-6789</td>" in security
    # dict-valued measured/threshold: one row per key, side by side
    assert re.search(
        r'<tr><td>ssn_visible_to_analyst</td><td class="num"><strong>yes</strong></td><td class="num">no</td></tr>',
        security,
    )


def test_contracts_show_each_expectation(sample_page: Page) -> None:
    contracts = _section(sample_page, "KPI-contracts")
    assert "<code>silver.orders</code>" in contracts
    assert re.search(r'<tr class="row-failed">\s*<td><code>expect_column_values_to_not_be_null</code>', contracts)
    assert contracts.count('<span class="cell-ok">pass</span>') >= 3


def test_stopwatch_is_a_sorted_per_resource_chart_with_phase_totals(sample_page: Page) -> None:
    deploy = _section(sample_page, "EXIT-1")
    assert "terraform_apply <strong>65.1 s</strong>" in deploy
    seconds = [float(s) for s in re.findall(r'<div class="secs">([\d.]+) s</div>', deploy)]
    assert seconds and seconds == sorted(seconds, reverse=True) and seconds[0] == 55.0
    assert 'style="width: 100.0%"' in deploy


def test_artifacts_png_inline_logs_and_json_collapsible(sample_page: Page) -> None:
    lineage = _section(sample_page, "EXIT-4")
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in lineage
    deploy = _section(sample_page, "EXIT-1")
    assert "<code>terraform-apply-lh-sample.log</code>" in deploy
    assert "info  Apply complete! Resources: 38 added, 0 changed, 0 destroyed." in deploy  # -json log made readable
    assert re.search(r"<summary><code>stopwatch-lh-sample.json</code>", deploy)
    error = _section(sample_page, "EXIT-7")
    assert "EndpointConnectionError: Could not connect to the endpoint URL" in error
    for check in SAMPLE["checks"]:
        for path in check["artifacts"]:
            assert f"<code>{path}</code>" in _section(sample_page, check["id"])


def test_the_stopwatch_heading_shows_the_wall_clock_exit_check_1_measures(tmp_path: Path) -> None:
    evidence = copy_sample(tmp_path / "reports")
    doc = json.loads(evidence.read_text())
    deploy = next(c for c in doc["checks"] if c["id"] == "EXIT-1")
    deploy["details"]["wall_s"] = 71.4
    evidence.write_text(json.dumps(doc))
    assert "wall clock 71.4 s, phases 68.2 s" in _section(render(evidence), "EXIT-1")


def test_everything_is_escaped(tmp_path: Path) -> None:
    evidence = copy_sample(tmp_path / "reports")
    doc = json.loads(evidence.read_text())
    doc["checks"][2]["reason"] = "<script>alert(1)</script> & <b>bold</b>"
    doc["checks"][1]["details"]["queries"][0]["rows"][0][1] = "<img src=x onerror=alert(1)>"
    evidence.write_text(json.dumps(doc))
    page = render(evidence)
    assert "<script>alert(1)</script>" not in page.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert "<img src=x" not in page.html


def test_size_limits_keep_the_page_small(tmp_path: Path) -> None:
    evidence = copy_sample(tmp_path / "reports")
    reports = evidence.parent
    with (reports / "huge.log").open("w") as f:
        for n in range(60_000):
            f.write(f"line {n} of a very chatty log, padding padding padding padding\n")
    (reports / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (IMAGE_LIMIT_BYTES + 1))
    (tmp_path / "outside.txt").write_text("not part of the report")
    doc = json.loads(evidence.read_text())
    doc["checks"][0]["artifacts"] += ["huge.log", "huge.png", "../outside.txt", "gone.json"]
    doc["checks"][1]["details"]["queries"][0]["rows"] = [[n, "x" * 1000] for n in range(2_000)]
    evidence.write_text(json.dumps(doc))
    page = render(evidence)
    assert (reports / "huge.log").stat().st_size > 3_000_000
    assert page.rendered.size_bytes < 1_000_000
    assert f"last {LOG_TAIL_LINES} lines of" in page.text and "line 59999 of" in page.text
    assert "line 59799 of" not in page.text
    assert re.search(r"huge\.png [\d.]+ MiB not inlined: [\d.]+ MiB is over the [\d.]+ MiB limit", page.text)
    assert "../outside.txt outside the reports directory; not read" in page.text
    assert "not part of the report" not in page.html
    assert "gone.json file not found" in page.text
    assert "first 50 of 2000 rows" in page.text


def test_missing_and_odd_shapes_still_render(tmp_path: Path) -> None:
    doc = {
        "schema_version": 1,
        "run": {"target": "aws"},
        "checks": [
            {"id": "EXIT-1", "status": "passed", "details": None},
            {
                "id": "EXIT-2",
                "status": "failed",
                "reason": "no rows",
                "details": {
                    "queries": ["SELECT 1", {"rows": [{"a": 1, "b": None}]}, {"sql": "SELECT 2", "rows": 7}],
                    "contracts": ["odd", {"expectations": [{"expectation_type": "expect_x"}, "bare"]}],
                    "apply": {"resources": [{"address": "x", "elapsed_s": "n/a"}]},
                },
            },
            {"id": "KPI-odd"},
        ],
    }
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(doc))
    page = render(evidence)
    assert "SELECT 1" in page.text and "(no SQL recorded)" in page.text and "expect_x" in page.text
    rows = re.findall(r'<tr class="row-(\w+)">\s*<td>(\d+)</td>', page.html.split("<h2>KPIs</h2>")[0])
    assert [s for s, _ in rows] == ["passed", "failed"] + ["missing"] * 5  # catalogue rows without evidence


def test_a_contract_part_not_judged_shows_as_error_with_its_reason(tmp_path: Path) -> None:
    """``status: error`` (``lakehouse.contracts``): neither a pass nor a fail, its reason shown as text."""
    contract = {
        "table": "silver.orders",
        "success": False,
        "status": "error",
        "expectations": [
            {
                "expectation": "expect_column_values_to_be_unique",
                "column": "order_id",
                "success": True,
                "status": "passed",
            },
            {
                "expectation": "expect_table_row_count_to_be_between",
                "success": False,
                "status": "error",
                "details": "no rows of bronze.orders_csv to count",
            },
        ],
    }
    doc = {
        "schema_version": 1,
        "run": {"target": "aws"},
        "checks": [{"id": "EXIT-2", "details": {"contracts": [contract]}}],
    }
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(doc))
    html = render(evidence).html
    assert "1 passed, 0 failed, 1 not judged of 2" in html
    assert re.search(
        r'<tr class="row-failed">\s*<td><code>expect_table_row_count_to_be_between</code></td>\s*<td></td>\s*'
        r'<td><span class="cell-bad">error</span></td>\s*<td class="num"></td>\s*'
        r'<td><code class="small">no rows of bronze.orders_csv to count</code></td>',
        html,
    ), html


def test_unreadable_catalogue_is_said_on_the_page(tmp_path: Path) -> None:
    evidence = copy_sample(tmp_path / "reports")
    bad = tmp_path / "features"
    bad.mkdir()
    (bad / "x.feature").write_text("Feature: f\n  @EXIT-1\n  Scenario: s\n    Given x\n")
    from lakehouse.report import render_report

    html = render_report(evidence, features_dir=bad).path.read_text()
    assert "exit-criteria catalogue not read" in html and "has no &#39;Pass condition:&#39; line" in html


def test_cli_report_renders_and_names_a_missing_file(tmp_path: Path, capsys: object) -> None:
    evidence = copy_sample(tmp_path / "reports")
    out = tmp_path / "page.html"
    assert cli_main(["report", "--evidence", str(evidence), "--out", str(out)]) == 0
    assert "<!DOCTYPE html>" in out.read_text()
    assert cli_main(["report", "--evidence", str(tmp_path / "nope.json")]) == 3  # a runtime error, not usage


def test_stack_components_get_their_own_table_and_sections(tmp_path: Path) -> None:
    """A v0.9 component (``@STACK-model``) is neither an exit check nor a KPI: it has its own table."""
    features = tmp_path / "features"
    features.mkdir()
    (features / "x.feature").write_text(
        "Feature: f\n"
        "  @KPI-cost\n  Scenario: cost\n    Pass condition: a\n    Verifier: b\n    Given x\n"
        "  @STACK-model\n  Scenario: model served\n    Pass condition: the registered version serves\n"
        "    Verifier: SageMaker + MLflow APIs\n    Given x\n"
        "  @EXIT-1\n  Scenario: deploy\n    Pass condition: c\n    Verifier: d\n    Given x\n"
    )
    from lakehouse.criteria import catalogue
    from lakehouse.report import render_report

    assert [c.id for c in catalogue(features)] == ["EXIT-1", "STACK-model", "KPI-cost"]
    doc = {
        "schema_version": 1,
        "run": {"target": "local"},
        "checks": [
            {"id": "EXIT-1", "status": "passed"},
            {"id": "STACK-model", "status": "failed", "reason": "endpoint serves version 1, registry has 2"},
            {"id": "KPI-cost", "status": "passed"},
        ],
    }
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(doc))
    html = render_report(evidence, features_dir=features).path.read_text()
    table = html.split("<h2>Stack components</h2>")[1].split("</table>")[0]
    assert "model" in table and "row-failed" in table
    assert "STACK-model" not in html.split("<h2>Exit criteria</h2>")[1].split("</table>")[0]
    detail = html.split("<h2>Stack components in detail</h2>")[1].split("<h2>")[0]
    assert "endpoint serves version 1, registry has 2" in detail
