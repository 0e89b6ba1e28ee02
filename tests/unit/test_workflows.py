"""`.github/` is valid: GitHub's schemas (vendored by check-jsonschema) and the house rules.

A broken workflow fails here, in `make test`, before GitHub sees it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.workflows import COMPOSITE_ACTION, REQUIRED_WORKFLOWS, check_file, check_repository, load_yaml, main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = ROOT / ".venv" / "bin" / "check-jsonschema"


def test_the_repository_passes_every_check() -> None:
    problems = check_repository(ROOT)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_is_valid(path: Path) -> None:
    assert check_file(path, "workflow") == []


def test_the_design_s_workflows_and_the_composite_action_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= set(REQUIRED_WORKFLOWS)
    assert (ROOT / COMPOSITE_ACTION).is_file()


@pytest.mark.skipif(not CHECK_JSONSCHEMA.exists(), reason="check-jsonschema is not installed in .venv")
def test_the_check_jsonschema_cli_that_make_lint_runs_agrees() -> None:
    workflows = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr
    action = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-actions", str(ROOT / COMPOSITE_ACTION)],
        capture_output=True,
        text=True,
    )
    assert action.returncode == 0, action.stdout + action.stderr


def test_smoke_uploads_reports_whatever_the_outcome() -> None:
    smoke = load_yaml((ROOT / ".github/workflows/smoke.yml").read_text())
    steps = [s for job in smoke["jobs"].values() for s in job["steps"]]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    assert any(s.get("run") == "make smoke" for s in steps)


def test_infra_plans_on_pull_requests_and_applies_on_main_with_oidc() -> None:
    infra = load_yaml((ROOT / ".github/workflows/infra.yml").read_text())
    assert infra["permissions"]["id-token"] == "write"
    assert "pull_request" in infra["on"] and infra["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in infra["jobs"]["plan"]["if"]
    assert "refs/heads/main" in infra["jobs"]["apply"]["if"] and infra["jobs"]["apply"]["environment"]


# -- a broken workflow is rejected --------------------------------------------------------------------


def _broken(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    return [str(p) for p in check_file(path, "workflow")]


def test_a_schema_error_is_rejected_naming_where(tmp_path: Path) -> None:
    text = "name: x\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: echo\n"
    problems = _broken(tmp_path, "bad.yml", text)
    assert problems and all("schema github-workflows" in p for p in problems)
    assert any("jobs/a" in p for p in problems)


def test_invalid_yaml_is_rejected_with_its_line(tmp_path: Path) -> None:
    problems = _broken(tmp_path, "bad.yml", "name: x\non: [push\njobs: {}\n")
    assert len(problems) == 1 and "not valid YAML" in problems[0] and "line " in problems[0]


def test_unpinned_and_branch_pinned_actions_are_rejected(tmp_path: Path) -> None:
    text = (
        "name: x\non: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@main\n      - uses: actions/setup-python\n"
        "      - uses: actions/cache@v4\n      - uses: ./.github/actions/common\n"
        "      - uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab\n"
    )
    problems = _broken(tmp_path, "bad.yml", text)
    assert len(problems) == 2
    assert "'actions/checkout@main' is not pinned" in problems[0]
    assert "'actions/setup-python' is not pinned" in problems[1]


def test_oidc_without_id_token_and_missing_permissions_are_rejected(tmp_path: Path) -> None:
    text = (
        "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-region: us-east-1\n"
    )
    problems = _broken(tmp_path, "bad.yml", text)
    assert any("permissions: missing" in p for p in problems)
    assert any("without id-token: write" in p for p in problems)


def test_smoke_without_the_reports_artifact_is_rejected(tmp_path: Path) -> None:
    text = (ROOT / ".github/workflows/smoke.yml").read_text().replace("if: always()", "if: failure()")
    problems = _broken(tmp_path, "smoke.yml", text)
    assert problems == [
        f"{tmp_path / 'smoke.yml'}: jobs: no step uploads reports/ with actions/upload-artifact and `if: always()`"
    ]


def test_guard_that_does_not_run_on_main_is_rejected(tmp_path: Path) -> None:
    text = (ROOT / ".github/workflows/guard.yml").read_text().replace("branches: [main]", "branches: [develop]")
    assert any("guard must run on pushes to main" in p for p in _broken(tmp_path, "guard.yml", text))


def test_a_broken_composite_action_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    # A composite `run` step needs a shell; and the setup-python pin is removed.
    text = (ROOT / COMPOSITE_ACTION).read_text().replace("      shell: bash\n", "", 1)
    path.write_text(text.replace("actions/setup-python@v5", "actions/setup-python@master"))
    problems = [str(p) for p in check_file(path, "action")]
    assert any("schema github-actions" in p for p in problems)
    assert any("'actions/setup-python@master' is not pinned" in p for p in problems)


def test_cli_fails_on_a_broken_copy_of_the_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    assert main([str(tmp_path)]) == 0
    (tmp_path / ".github/workflows/sbom.yml").unlink()
    (tmp_path / ".github/workflows/guard.yml").write_text("on: push\njobs: 3\n")
    assert main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "sbom.yml: missing (a workflow the design requires)" in err
    assert "guard.yml: jobs:" in err
