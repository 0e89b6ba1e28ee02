"""The exit-criteria catalogue comes from the feature files, and bad features are named precisely."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lakehouse.cli import main as cli_main
from lakehouse.config import project_root
from lakehouse.criteria import CriteriaError, catalogue, markdown_table, read_feature

ROOT = project_root()


def test_the_plan_has_seven_exit_checks_in_order() -> None:
    checks = catalogue(ROOT / "features")
    exits = [c for c in checks if c.id.startswith("EXIT-")]
    assert [c.id for c in exits] == [f"EXIT-{n}" for n in range(1, 8)]
    assert all(c.pass_condition and c.verifier for c in exits)
    assert {c.id for c in exits if not c.pending} >= {"EXIT-1", "EXIT-5"}


def test_readme_table_matches_the_features() -> None:
    assert cli_main(["docs", "--check"]) == 0


def test_markdown_table_has_a_row_per_exit_check() -> None:
    table = markdown_table(catalogue(ROOT / "features"))
    assert table.count("\n| ") == 7


def _feature(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "x.feature"
    path.write_text(textwrap.dedent(body))
    return path


def test_missing_pass_condition_names_file_line_and_field(tmp_path: Path) -> None:
    path = _feature(
        tmp_path,
        """\
        Feature: f
          @EXIT-9
          Scenario: something
            Verifier: a test
            Given x
    """,
    )
    with pytest.raises(CriteriaError, match=rf"{path}:3: .*EXIT-9.*'Pass condition:'"):
        read_feature(path)


def test_gherkin_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _feature(tmp_path, "Feature: f\n  Scenario: s\n    Given x\n  Bogus line here\n")
    with pytest.raises(CriteriaError, match=str(path)):
        read_feature(path)


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    body = "Feature: f\n  @EXIT-1\n  Scenario: s\n    Pass condition: p\n    Verifier: v\n    Given x\n"
    (tmp_path / "a.feature").write_text(body)
    (tmp_path / "b.feature").write_text(body)
    with pytest.raises(CriteriaError, match="already used"):
        catalogue(tmp_path)


def test_pending_tag_gives_the_reason(tmp_path: Path) -> None:
    path = _feature(
        tmp_path,
        """\
        Feature: f
          @EXIT-2 @pending:issue-3
          Scenario: s
            Pass condition: p
            Verifier: v
            Given x
    """,
    )
    [crit] = read_feature(path)
    assert crit.pending == "issue 3"
