"""`.github/` is valid: GitHub's schemas (vendored by check-jsonschema) and the house rules.

A broken workflow fails here, in `make test`, before GitHub sees it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.workflows import (
    CODEOWNERS,
    COMPOSITE_ACTION,
    DEPENDABOT,
    REQUIRED_WORKFLOWS,
    check_file,
    check_repository,
    codeowners_problems,
    dependabot_problems,
    load_yaml,
    local_uses,
    main,
    masked_failure_problems,
)

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
    assert upload["if"] == "always()" and "reports/" in upload["with"]["path"].split()
    assert any(s.get("run") == "make smoke" for s in steps)


def test_infra_plans_on_pull_requests_and_applies_on_main_with_oidc() -> None:
    infra = load_yaml((ROOT / ".github/workflows/infra.yml").read_text())
    assert "id-token" not in infra["permissions"]  # per job, not for the workflow
    assert all(infra["jobs"][job]["permissions"]["id-token"] == "write" for job in ("plan", "apply"))
    assert "pull_request" in infra["on"] and infra["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in infra["jobs"]["plan"]["if"]
    assert "refs/heads/main" in infra["jobs"]["apply"]["if"] and infra["jobs"]["apply"]["environment"]


# -- a broken workflow is rejected --------------------------------------------------------------------


def _broken(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    return [str(p) for p in check_file(path, "workflow")]


def test_a_schema_error_is_rejected_naming_where(tmp_path: Path) -> None:
    text = (
        "name: x\non: push\npermissions: {}\nconcurrency: x\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    stepz:\n      - run: echo\n"
    )
    problems = _broken(tmp_path, "bad.yml", text)
    assert problems and all("schema github-workflows" in p for p in problems)
    assert any("jobs/a" in p for p in problems)


def test_invalid_yaml_is_rejected_with_its_line(tmp_path: Path) -> None:
    problems = _broken(tmp_path, "bad.yml", "name: x\non: [push\njobs: {}\n")
    assert len(problems) == 1 and "not valid YAML" in problems[0] and "line " in problems[0]


SHA = "11d5960a326750d5838078e36cf38b85af677262"
HEAD = "name: x\non: push\npermissions:\n  contents: read\nconcurrency: x\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"


def test_actions_not_pinned_by_sha_with_a_version_comment_are_rejected(tmp_path: Path) -> None:
    text = HEAD + (
        "    steps:\n      - uses: actions/setup-python@main\n      - uses: actions/setup-python\n"
        "      - uses: actions/cache@v4\n      - uses: ./.github/actions/common\n"
        f"      - uses: actions/cache@{SHA} # v4.3.0\n"
        f"      - uses: actions/cache@{SHA}\n"
        f"      - uses: actions/cache@{SHA} # latest\n"
        "      - uses: docker://alpine:3.20\n"
        f"      - uses: docker://alpine:3.20@sha256:{'a' * 64}\n"
    )
    problems = _broken(tmp_path, "bad.yml", text)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "jobs/a/steps/0/uses: 'actions/setup-python@main' is not pinned to a full commit SHA (docker: a sha256 digest)",
        "jobs/a/steps/1/uses: 'actions/setup-python' is not pinned to a full commit SHA (docker: a sha256 digest)",
        "jobs/a/steps/2/uses: 'actions/cache@v4' is not pinned to a full commit SHA (docker: a sha256 digest)",
        "jobs/a/steps/7/uses: 'docker://alpine:3.20' is not pinned to a full commit SHA (docker: a sha256 digest)",
        f"line 15: 'actions/cache@{SHA}' has no version comment (`# vX.Y.Z`) after its SHA",
        f"line 16: 'actions/cache@{SHA}' has no version comment (`# vX.Y.Z`) after its SHA",
    ]


def test_checkout_with_credentials_scripts_with_expressions_and_reused_artifact_names_are_rejected(
    tmp_path: Path,
) -> None:
    text = HEAD + (
        f"    steps:\n      - uses: actions/checkout@{SHA} # v4.4.0\n"
        "      - run: terraform init -backend-config=bucket=${{ vars.TF_STATE_BUCKET }}\n"
        f"      - uses: actions/upload-artifact@{SHA} # v4.6.2\n        with:\n"
        "          name: sbom-${{ github.sha }}\n          path: x\n"
    )
    problems = [p.split(": ", 1)[1] for p in _broken(tmp_path, "bad.yml", text)]
    assert problems == [
        "jobs/a/steps/0: actions/checkout without `persist-credentials: false`",
        "jobs/a/steps/1/run: `${{ }}` expanded inside a script: pass it through env:",
        "jobs/a/steps/2/with/name: artifact name without github.run_attempt",
    ]


def test_workflow_wide_id_token_and_missing_concurrency_are_rejected(tmp_path: Path) -> None:
    text = (
        "name: x\non: push\npermissions:\n  contents: read\n  id-token: write\njobs:\n  a:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n      - run: echo\n"
    )
    problems = [p.split(": ", 1)[1] for p in _broken(tmp_path, "bad.yml", text)]
    assert problems == [
        "permissions: id-token: write for the whole workflow: grant it per job",
        "jobs/a: no concurrency group (the workflow's or the job's)",
    ]


def test_every_workflow_of_the_repository_pins_by_sha_and_keeps_no_credentials() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        assert "@v" not in text.replace("# v", ""), path.name
        checkouts = text.count("uses: actions/checkout@")
        assert text.count("persist-credentials: false") == checkouts, path.name


def test_oidc_without_id_token_and_missing_permissions_are_rejected(tmp_path: Path) -> None:
    text = (
        "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-region: us-east-1\n"
    )
    problems = _broken(tmp_path, "bad.yml", text)
    assert any("permissions: missing" in p for p in problems) and any("no concurrency" in p for p in problems)
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


def test_guard_that_lets_a_failure_pass_is_rejected(tmp_path: Path) -> None:
    """What exit check 3 reads from each judged run's commit, caught before it is pushed."""
    text = (ROOT / ".github/workflows/guard.yml").read_text()
    text = text.replace("      - run: make test\n", "      - run: make test\n        continue-on-error: true\n")
    text = text.replace("      - run: make lint\n", "      - run: make lint || true\n")
    text = text.replace(
        "    name: the harness's", "    continue-on-error: ${{ github.event_name == 'push' }}\n    name: the harness's"
    )
    problems = _broken(tmp_path, "guard.yml", text)
    assert [p.split(": ", 2)[1] for p in problems] == [
        "jobs/test/continue-on-error",
        "jobs/lint/steps/2/run",
        "jobs/test/steps/2/continue-on-error",
    ], problems
    assert "step 'make test' has continue-on-error: true" in problems[2]


def test_a_composite_action_step_that_may_fail_unseen_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    text = (ROOT / COMPOSITE_ACTION).read_text()
    path.write_text(text.replace("    - name: make venv\n", "    - name: make venv\n      continue-on-error: true\n"))
    problems = [str(p) for p in check_file(path, "action")]
    assert problems == [
        f"{path}: runs/steps/4/continue-on-error: step 'make venv' has continue-on-error: true: it may fail while "
        "its job concludes success"
    ]


def test_local_actions_and_reusable_workflows_are_listed_for_reading_at_the_same_commit() -> None:
    guard = load_yaml((ROOT / ".github/workflows/guard.yml").read_text())
    assert local_uses(guard) == [("action", ".github/actions/common")]
    caller = {"jobs": {"a": {"uses": "./.github/workflows/x.yml"}, "b": {"steps": [{"uses": "./tools/act/"}]}}}
    assert local_uses(caller) == [("workflow", ".github/workflows/x.yml"), ("action", "tools/act")]
    assert masked_failure_problems(Path("guard.yml"), guard) == []


def test_a_broken_composite_action_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    # A composite `run` step needs a shell; and the setup-python pin is removed.
    text = (ROOT / COMPOSITE_ACTION).read_text().replace("      shell: bash\n", "", 1)
    path.write_text(re.sub(r"actions/setup-python@[0-9a-f]{40}", "actions/setup-python@master", text))
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


def test_codeowners_must_own_infra_and_pipeline(tmp_path: Path) -> None:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    assert codeowners_problems(tmp_path) == []
    (tmp_path / CODEOWNERS).write_text("/infra/ @someone\n/pipeline/ @someone\n/pipeline/\n")  # last line wins
    assert [str(p) for p in codeowners_problems(tmp_path)] == [
        f"{tmp_path / CODEOWNERS}: /pipeline/: no owner: changes there need a code owner's review"
    ]
    (tmp_path / CODEOWNERS).unlink()
    assert "missing" in str(codeowners_problems(tmp_path)[0])


def test_dependabot_must_watch_pip_actions_and_terraform(tmp_path: Path) -> None:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    assert dependabot_problems(tmp_path) == []
    text = (ROOT / DEPENDABOT).read_text().replace("package-ecosystem: terraform", "package-ecosystem: npm")
    (tmp_path / DEPENDABOT).write_text(text)
    assert [str(p) for p in dependabot_problems(tmp_path)] == [
        f"{tmp_path / DEPENDABOT}: updates: no 'terraform' ecosystem"
    ]
    (tmp_path / DEPENDABOT).write_text("version: 2\nupdates:\n  - package-ecosystem: pip\n")
    assert any("schema dependabot" in str(p) for p in dependabot_problems(tmp_path))


def test_the_run_steps_github_shows_are_named_as_github_names_them() -> None:
    from lakehouse.workflows import displayed_run_steps

    document = {
        "jobs": {
            "lint": {"name": "lint", "steps": [{"uses": "actions/checkout@x"}, {"run": "make lint"}]},
            "test": {"steps": [{"run": "set -e\nmake test\n"}, {"name": "Upload", "run": "cp a b"}]},
            "matrix": {"name": "py ${{ matrix.python }}", "steps": [{"run": "make"}]},
        }
    }
    assert displayed_run_steps(document) == {"lint": ["Run make lint"], "test": ["Run set -e", "Upload"]}


def test_lint_reads_the_makefile_targets_guard_runs(tmp_path: Path) -> None:
    """`make lint` judges the checkout's Makefile as exit check 3 judges it at each run's commit."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ROOT / ".github" / "workflows" / "guard.yml", workflows / "guard.yml")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (tmp_path / "Makefile").write_text(makefile.replace("\t$(BIN)/pytest tests/ -n", "\t-$(BIN)/pytest tests/ -n"))
    problems = [str(p) for p in check_file(workflows / "guard.yml", "workflow")]
    assert any("(target 'test') starts with '-': make ignores its failure" in p for p in problems), problems


# -- scripts whose failures are lost (lakehouse.shellstatus, under each step's shell) -------------------------


def _workflow(steps: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {"on": "push", "jobs": {"t": {"runs-on": "ubuntu-24.04", "steps": steps, **extra}}}


def _messages(document: dict[str, object]) -> list[str]:
    return [f"{p.where}: {p.message}" for p in masked_failure_problems(Path("guard.yml"), document)]


def test_a_run_step_whose_failure_is_lost_is_named_with_its_step_line_and_command() -> None:
    steps = [
        {"name": "tests", "run": 'make lint\nmake test || echo "tests failed"\n'},
        {"run": "make test | tee test.log"},
        {"name": "loose", "run": "set +e\nmake test\nmake lint\n"},
    ]
    assert _messages(_workflow(steps)) == [
        "jobs/t/steps/0/run: step 'tests', line 2 `make test || echo \"tests failed\"` succeeds whatever its "
        'command did: its `||` alternative `echo "tests failed"` always succeeds',
        "jobs/t/steps/1/run: step 'make test | tee test.log', line 1 `make test` fails unseen: it is piped into "
        "`tee test.log` and without pipefail (no `shell:`: GitHub runs `bash -e {0}`) a pipeline's status is its "
        "last command's",
        "jobs/t/steps/2/run: step 'loose', line 1 `set +e` turns -e off: after it a failing command no longer "
        "stops the script, and only the last command's status counts",
    ]


@pytest.mark.parametrize(
    "where",
    ["step", "job", "workflow"],
)
def test_shell_bash_from_the_step_the_job_or_the_workflow_defaults_has_pipefail(where: str) -> None:
    step: dict[str, object] = {"run": "make test | tee test.log"}
    document = _workflow([step])
    if where == "step":
        step["shell"] = "bash"
    elif where == "job":
        document["jobs"]["t"]["defaults"] = {"run": {"shell": "bash"}}  # type: ignore[index]
    else:
        document["defaults"] = {"run": {"shell": "bash"}}
    assert _messages(document) == []


def test_the_step_shell_decides_e_and_pipefail() -> None:
    def lost(shell: str, script: str) -> list[str]:
        return _messages(_workflow([{"run": script, "shell": shell}]))

    assert lost("sh", "make test | tee log") and "`shell: sh`: `sh -e {0}`" in lost("sh", "make test | tee log")[0]
    assert lost("sh", "make test; echo done") == []  # sh -e stops at the failing command
    assert "fails unseen: another line follows it" in lost("bash {0}", "make test\necho done")[0]  # no -e
    assert lost("bash -eo pipefail {0}", "make test | tee log") == []
    assert lost("pwsh", "make test | tee log") == []  # not an sh-like shell: not judged
    assert lost("${{ matrix.shell }}", "make test || echo x")  # an expression: judged as bash -eo pipefail


@pytest.mark.parametrize(
    "script",
    [
        "make test && echo ok",
        "make test || exit 1",
        "if command -v a >/dev/null || command -v b >/dev/null; then\n  echo found\nfi\nmake test\n",
        "make test; echo done",
        "set -e\nmake lint\nmake test\n",
    ],
)
def test_healthy_run_steps_are_not_flagged(script: str) -> None:
    assert _messages(_workflow([{"run": script}])) == []


def test_composite_action_steps_are_judged_under_their_own_shell() -> None:
    action = {"runs": {"using": "composite", "steps": [{"run": "make venv | tee v.log", "shell": "sh"}]}}
    assert [p.where for p in masked_failure_problems(Path("action.yml"), action)] == ["runs/steps/0/run"]
    action["runs"]["steps"][0]["shell"] = "bash"  # type: ignore[index]
    assert masked_failure_problems(Path("action.yml"), action) == []


MAKEFILE = """\
.PHONY: test lint
test: lint
\t@scripts/ensure-chromium || echo "no browser"
\tpytest tests/ | tee test.log
\tpytest tests/; echo done
\t$(MAKE) --no-print-directory lint && echo ok
lint:
\truff check \\
\t  lakehouse; echo linted
"""


def test_makefile_recipes_are_judged_under_make_s_default_sh_c() -> None:
    from lakehouse.makefiles import makefile_masking

    problems = makefile_masking(MAKEFILE, ["test"])
    assert problems == [
        "Makefile, line 3 (target 'test') `scripts/ensure-chromium || echo \"no browser\"` succeeds whatever its "
        'command did: its `||` alternative `echo "no browser"` always succeeds',
        "Makefile, line 4 (target 'test') `pytest tests/` fails unseen: it is piped into `tee test.log` and "
        "without pipefail (make runs `/bin/sh -c`) a pipeline's status is its last command's",
        "Makefile, line 5 (target 'test') `pytest tests/` fails unseen: `;` follows it and without -e (make runs "
        "`/bin/sh -c`) only the last command's status counts",
        # a continued line is named by its first line
        "Makefile, line 8 (target 'lint') `ruff check lakehouse` fails unseen: `;` follows it and without -e "
        "(make runs `/bin/sh -c`) only the last command's status counts",
    ]


def test_a_makefile_with_bash_and_eo_pipefail_loses_no_pipeline_or_sequence() -> None:
    from lakehouse.makefiles import makefile_masking, makefile_shell

    strict = "SHELL := bash\n.SHELLFLAGS := -eo pipefail -c\n" + MAKEFILE
    assert makefile_shell(strict).errexit and makefile_shell(strict).pipefail
    problems = makefile_masking(strict, ["test"])
    assert len(problems) == 1 and "line 5 (target 'test') `scripts/ensure-chromium || echo" in problems[0]
    assert makefile_masking("SHELL = /bin/bash\n.SHELLFLAGS = -euo pipefail -c\n" + MAKEFILE, ["lint"]) == []
    errexit_only = makefile_shell(".POSIX:\n" + MAKEFILE)  # GNU make: .SHELLFLAGS -ec under .POSIX
    assert (errexit_only.errexit, errexit_only.pipefail) == (True, False)
    # GNU make 4.3: a `+=` without `override` leaves an override variable as it is (`-c`: `false; true` is green);
    # with `override` it appends (`-c -e`: make fails)
    assert not makefile_shell("override .SHELLFLAGS := -c\n.SHELLFLAGS += -e\n").errexit
    assert makefile_shell("override .SHELLFLAGS := -c\noverride .SHELLFLAGS += -e\n").errexit


def test_a_oneshell_recipe_is_one_script() -> None:
    from lakehouse.makefiles import makefile_masking

    makefile = ".ONESHELL:\ntest:\n\tpytest tests/\n\techo done\n"
    assert makefile_masking(makefile, ["test"]) == [
        "Makefile, line 3 (target 'test') `pytest tests/` fails unseen: another line follows it and without -e "
        "(make runs `/bin/sh -c`) only the last command's status counts"
    ]
    assert makefile_masking(".ONESHELL:\n.SHELLFLAGS := -ec\n" + makefile.split("\n", 1)[1], ["test"]) == []


def test_the_repository_s_own_guard_files_lose_no_failure() -> None:
    """FakeGitHub serves these at every commit: a healthy project stays green under the rules."""
    from lakehouse.makefiles import makefile_masking

    assert makefile_masking((ROOT / "Makefile").read_text(encoding="utf-8"), ["test", "lint"]) == []
    guard = ROOT / ".github/workflows/guard.yml"
    assert masked_failure_problems(guard, load_yaml(guard.read_text(encoding="utf-8"))) == []
    action = ROOT / COMPOSITE_ACTION
    assert masked_failure_problems(action, load_yaml(action.read_text(encoding="utf-8"))) == []


# -- the repository's shell scripts a guard step or recipe runs (lakehouse.shellscripts) -------------------

GUARD_TEMPLATE = """\
name: guard
on:
  push:
    branches: [main]
permissions:
  contents: read
concurrency:
  group: guard
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: {run}
"""


def _repository(tmp_path: Path, run: str, files: dict[str, str]) -> list[str]:
    """A checkout with a guard workflow whose one step is ``run`` and ``files`` (a Makefile, scripts): its problems."""
    guard = tmp_path / ".github" / "workflows" / "guard.yml"
    guard.parent.mkdir(parents=True)
    guard.write_text(GUARD_TEMPLATE.format(run=run), encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [f"{p.where}: {p.message}" if p.where else p.message for p in check_file(guard, "workflow")]


ALTERNATIVE = "succeeds whatever its command did: its `||` alternative `true` always succeeds"


@pytest.mark.parametrize(
    ("run", "files", "expected"),
    [
        (
            "./scripts/test.sh",
            {"scripts/test.sh": "#!/usr/bin/env bash\nset -e\npytest tests || true\n"},
            "jobs/test/steps/0/run: step './scripts/test.sh', line 1 `./scripts/test.sh` runs scripts/test.sh: "
            f"scripts/test.sh:3 `pytest tests || true` {ALTERNATIVE}",
        ),
        (  # `bash x`: bash without -e, whatever the #! line says; `exit 0` after the tests
            "bash scripts/test.sh --all",
            {"scripts/test.sh": "#!/bin/bash -e\npytest tests\nexit 0\n"},
            "jobs/test/steps/0/run: step 'bash scripts/test.sh --all', line 1 `bash scripts/test.sh --all` runs "
            "scripts/test.sh: scripts/test.sh:2 `pytest tests` fails unseen: another line follows it and without -e "
            "(`bash scripts/test.sh`) only the last command's status counts",
        ),
        (  # through make: the recipe's script, with no #! line
            "make test",
            {"Makefile": ".PHONY: test\ntest:\n\t@sh ci/run-tests unit\n", "ci/run-tests": "pytest tests\nexit 0\n"},
            "jobs/test/steps/0/run: step 'make test', line 1 `make test` runs Makefile: Makefile, line 3 (target "
            "'test') `sh ci/run-tests unit` runs ci/run-tests: ci/run-tests:1 `pytest tests` "
            "fails unseen: another line follows it and without -e (`sh ci/run-tests`) only the last command's status "
            "counts",
        ),
        (  # a script run by a script, from its own folder; pipefail is not in `#!/bin/bash -e`
            "scripts/ci.sh",
            {
                "scripts/ci.sh": '#!/usr/bin/env bash\nset -eu\n"$(dirname "$0")/unit.sh"\necho done\n',
                "scripts/unit.sh": "#!/bin/bash -e\npytest tests 2>&1 | tee unit.log\n",
            },
            "jobs/test/steps/0/run: step 'scripts/ci.sh', line 1 `scripts/ci.sh` runs scripts/ci.sh: scripts/ci.sh:3 "
            '`"$(dirname "$0")/unit.sh"` runs scripts/unit.sh: scripts/unit.sh:2 `pytest tests 2>&1` fails unseen: it '
            "is piped into `tee unit.log` and without pipefail (`#!/bin/bash -e` of scripts/unit.sh) a pipeline's "
            "status is its last command's",
        ),
        (  # sourced: runs in the step's own shell
            "source ./ci/env.sh && make test",
            {"ci/env.sh": "pip install -e . || echo 'no install'\n", "Makefile": "test:\n\tpytest\n"},
            "jobs/test/steps/0/run: step 'source ./ci/env.sh && make test', line 1 `source ./ci/env.sh` runs "
            "ci/env.sh: ci/env.sh:1 `pip install -e . || echo 'no install'` succeeds whatever its command did: its "
            "`||` alternative `echo 'no install'` always succeeds",
        ),
        (  # a string a script hands to bash -c
            "./scripts/test.sh",
            {"scripts/test.sh": "#!/bin/sh -e\nbash -c 'pytest tests || true'\n"},
            "jobs/test/steps/0/run: step './scripts/test.sh', line 1 `./scripts/test.sh` runs scripts/test.sh: "
            f"scripts/test.sh:2 `pytest tests || true` {ALTERNATIVE} (in the string `bash -c` runs)",
        ),
        (  # a script runs make: the recipe of the Makefile is judged
            "./ci/run",
            {"ci/run": "#!/bin/sh -e\nmake test\n", "Makefile": "test:\n\t-pytest\n"},
            "jobs/test/steps/0/run: step './ci/run', line 1 `./ci/run` runs ci/run: ci/run:2 `make test` runs "
            "Makefile: Makefile, line 2 (target 'test') starts with '-': make ignores its failure",
        ),
        (  # ci/test.sh, not the healthy test.sh of the root
            "cd ci && ./test.sh",
            {"ci/test.sh": "#!/bin/sh -e\npytest || true\n", "test.sh": "#!/bin/sh -e\npytest\n"},
            "jobs/test/steps/0/run: step 'cd ci && ./test.sh', line 1 `./test.sh` runs ci/test.sh: ci/test.sh:2 "
            f"`pytest || true` {ALTERNATIVE}",
        ),
        (
            "nice -n 5 timeout 600 /usr/bin/env bash x.sh",
            {"x.sh": "pytest || true\n"},
            "jobs/test/steps/0/run: step 'nice -n 5 timeout 600 /usr/bin/env bash x.sh', line 1 `nice -n 5 timeout 600 "
            f"/usr/bin/env bash x.sh` runs x.sh: x.sh:1 `pytest || true` {ALTERNATIVE}",
        ),
    ],
    ids=[
        "or-true",
        "bash-x-exit-0",
        "make-sh-x",
        "script-runs-script",
        "source",
        "bash-c-in-script",
        "script-runs-make",
        "cd-then-script",
        "wrappers",
    ],
)
def test_a_script_the_guard_runs_that_loses_a_failure_is_rejected_naming_its_file_and_line(
    tmp_path: Path, run: str, files: dict[str, str], expected: str
) -> None:
    assert _repository(tmp_path, run, files) == [expected]


@pytest.mark.parametrize(
    ("run", "files"),
    [
        (
            "./scripts/test.sh",
            {"scripts/test.sh": "#!/usr/bin/env bash\nset -euo pipefail\npytest | tee log\necho ok\n"},
        ),
        ("./scripts/test.sh", {"scripts/test.sh": "#!/bin/sh -e\npytest tests\necho done\n"}),
        ("./scripts/test.sh", {"scripts/test.sh": "#!/usr/bin/env -S bash -e\npytest tests\necho done\n"}),
        (  # exits with the tests' status
            "sh scripts/test.sh",
            {"scripts/test.sh": 'pytest tests\nstatus=$?\necho "tests: $status"\nexit $status\n'},
        ),
        ("./scripts/test.sh", {"scripts/test.sh": "#!/bin/sh\nexec pytest tests\n"}),
        (  # GitHub's bash -e without pipefail, the pipeline checked through PIPESTATUS
            "./scripts/test.sh 2>&1 | tee test.log; test ${PIPESTATUS[0]} -eq 0",
            {"scripts/test.sh": "#!/bin/sh -e\npytest\n"},
        ),
        ("make test", {"Makefile": "test:\n\t./scripts/test.sh\n", "scripts/test.sh": "#!/bin/sh\npytest\n"}),
        ("./scripts/test.py", {"scripts/test.py": "#!/usr/bin/env python3\nimport sys\nsys.exit(0)\n"}),  # not sh
        ("./scripts/missing.sh", {}),  # fails the step where it runs: nothing masked
        ("cd ci && ./test.sh", {"ci/test.sh": "#!/bin/sh -e\npytest\n", "test.sh": "pytest || true\n"}),  # not run
        ("./ci/run", {"ci/run": '#!/bin/sh -e\ncd "$(dirname "$0")/.."\nmake\n', "Makefile": "all:\n\tpytest\n"}),
    ],
    ids=[
        "euo-pipefail",
        "sh-e",
        "env-S",
        "exit-status",
        "exec",
        "pipestatus",
        "make",
        "python",
        "missing",
        "cd-then-script",
        "script-cds-to-root",
    ],
)
def test_a_script_the_guard_runs_that_carries_its_failures_is_not_flagged(
    tmp_path: Path, run: str, files: dict[str, str]
) -> None:
    assert _repository(tmp_path, run, files) == []


def test_scripts_are_followed_to_a_depth_and_through_a_cycle_without_end(tmp_path: Path) -> None:
    from lakehouse.shellscripts import MAX_DEPTH, ScriptFollower, checkout_reader

    chain = {f"s{i}.sh": f"#!/bin/sh -e\n./s{i + 1}.sh\n" for i in range(MAX_DEPTH + 2)}
    chain[f"s{MAX_DEPTH + 2}.sh"] = "pytest || true\n"  # deeper than followed
    cycle = {"a.sh": "#!/bin/sh -e\n./b.sh\n", "b.sh": "#!/bin/sh -e\n./a.sh\npytest || true\n"}
    for name, text in {**chain, **cycle}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    follower = ScriptFollower(checkout_reader(tmp_path))
    assert lost_failures_of(follower, "./s0.sh") == []
    assert "more than" in follower.notes[f"s{MAX_DEPTH}.sh"]
    found = lost_failures_of(follower, "./a.sh")
    assert found == [f"runs a.sh: a.sh:2 `./b.sh` runs b.sh: b.sh:3 `pytest || true` {ALTERNATIVE}"]
    assert follower.notes["a.sh"].startswith("judged") and "a cycle (a.sh -> b.sh -> a.sh)" in str(follower.notes)


def lost_failures_of(follower: object, command: str) -> list[str]:
    from lakehouse.shellscripts import ScriptFollower
    from lakehouse.shellstatus import Shell, lost_failures

    assert isinstance(follower, ScriptFollower)
    return [f.message for f in lost_failures(command, Shell(True, False, "bash -e", True), follower.hook())]


def test_what_is_not_judged_is_noted(tmp_path: Path) -> None:
    from lakehouse.shellscripts import ScriptFollower, checkout_reader

    (tmp_path / "t.py").write_text("#!/usr/bin/env python3\n", encoding="utf-8")
    follower = ScriptFollower(checkout_reader(tmp_path))
    assert lost_failures_of(follower, "./t.py; ./gone.sh; ../up.sh; /usr/bin/x.sh; $(BIN)/pytest; pytest") == []
    assert follower.notes == {
        "t.py": "not a shell script (#!/usr/bin/env python3): not judged",
        "gone.sh": "not in the tree (or not text): not judged; the step fails where it runs it",
    }


def test_what_cd_or_make_leaves_unjudged_is_noted(tmp_path: Path) -> None:
    from lakehouse.shellscripts import ScriptFollower, checkout_reader

    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "Makefile").write_text("test:\n\t-pytest\n", encoding="utf-8")
    follower = ScriptFollower(checkout_reader(tmp_path))
    script = '(cd "$RUNNER_TEMP" && ./t.sh); (cd / && make test); make -n -C ci test; make -C nowhere test'
    assert lost_failures_of(follower, script) == []
    assert follower.notes == {
        "./t.sh": "not judged: run after `cd $RUNNER_TEMP`, a folder not named in the tree",
        "`make test`": "not judged: make runs in `/`, a folder not named in the tree",
        "`make -n -C ci test`": "not judged: make runs none of its recipes (-n, -q, -t)",
        "nowhere/GNUmakefile or nowhere/makefile or nowhere/Makefile": "no such makefile in the tree: not judged; "
        "make fails where it runs",
    }


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "      - run: make test\n",
            '      - run: cd "$TESTS_DIR" && make test\n',
            "cannot tell whether a failure is lost: jobs/test/steps/2/run: "
            "step 'cd \"$TESTS_DIR\" && make test', line 1: "
            "`make test` runs in `$TESTS_DIR`, a folder only the run knows",
        ),
        (
            "\njobs:\n",
            "\nenv:\n  MAKEFLAGS: -i\njobs:\n",
            "`make test` runs `make test` with MAKEFLAGS=-i in its environment: -i ignores every failure",
        ),
        ("      - run: make test\n", "      - run: env -C ci make test\n", "runs ci/Makefile: ci/Makefile, line 2"),
    ],
    ids=["runtime-folder", "workflow-env-makeflags", "env-C"],
)
def test_lint_follows_make_where_the_guard_runs_it_and_says_what_it_cannot_follow(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    guard = (ROOT / ".github" / "workflows" / "guard.yml").read_text(encoding="utf-8")
    assert old in guard
    (workflows / "guard.yml").write_text(guard.replace(old, new, 1))
    (tmp_path / "Makefile").write_text((ROOT / "Makefile").read_text(encoding="utf-8"))
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "Makefile").write_text("test:\n\t-pytest\n")
    problems = [str(p) for p in check_file(workflows / "guard.yml", "workflow")]
    assert any(said in p for p in problems), problems


SWALLOWS = "#!/usr/bin/env bash\nset -euo pipefail\npytest tests || true\n"
CARRIES = "#!/usr/bin/env bash\nset -euo pipefail\npytest tests\n"


@pytest.mark.parametrize(
    ("run", "folder"),
    [
        ('"$GITHUB_ACTION_PATH/test.sh"', ""),
        ("${{ github.action_path }}/test.sh", ""),
        ("cd $GITHUB_ACTION_PATH && ./test.sh", ""),
        ("./test.sh", "${{ github.action_path }}"),
    ],
    ids=["variable", "expression", "cd", "working-directory"],
)
def test_lint_reads_the_script_of_the_composite_actions_own_folder(tmp_path: Path, run: str, folder: str) -> None:
    """``make lint`` judges the composite action's ``$GITHUB_ACTION_PATH/test.sh`` as exit check 3 does: the
    action's own script, not the root's (healthy here)."""
    action = tmp_path / COMPOSITE_ACTION
    action.parent.mkdir(parents=True)
    directory = f"      working-directory: {folder}\n" if folder else ""
    text = (ROOT / COMPOSITE_ACTION).read_text().replace("      run: make venv\n", f"{directory}      run: {run}\n")
    action.write_text(text)
    (action.parent / "test.sh").write_text(SWALLOWS)
    (tmp_path / "test.sh").write_text(CARRIES)
    problems = [str(p) for p in check_file(action, "action") if "`${{ }}` expanded inside a script" not in str(p)]
    assert len(problems) == 1 and problems[0].startswith(f"{action}: runs/steps/4/run: step 'make venv', line 1 "), (
        problems
    )
    assert ".github/actions/common/test.sh:3 `pytest tests || true` succeeds whatever" in problems[0]
    (action.parent / "test.sh").write_text(CARRIES)
    (tmp_path / "test.sh").write_text(SWALLOWS)
    assert [str(p) for p in check_file(action, "action") if "`${{ }}`" not in str(p)] == []


def test_lint_says_a_guard_step_running_the_action_path_cannot_be_followed(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    guard = (ROOT / ".github" / "workflows" / "guard.yml").read_text(encoding="utf-8")
    (workflows / "guard.yml").write_text(
        guard.replace("      - run: make test\n", '      - run: "$GITHUB_ACTION_PATH/t.sh"\n')
    )
    (tmp_path / "Makefile").write_text((ROOT / "Makefile").read_text(encoding="utf-8"))
    problems = [str(p) for p in check_file(workflows / "guard.yml", "workflow")]
    said = (
        "cannot tell whether a failure is lost: jobs/test/steps/2/run: step '$GITHUB_ACTION_PATH/t.sh', line 1: "
        "`$GITHUB_ACTION_PATH/t.sh` runs a file of the action's folder, which only a composite action's step names"
    )
    assert any(said in p for p in problems), problems


GLOB_LOOP = 'for f in tests/*.sh; do bash "$f"; done'


def test_make_lint_judges_the_scripts_a_for_glob_runs_in_the_checkout(tmp_path: Path) -> None:
    """``make lint`` expands the glob over the checkout on disk as bash would there: the swallowing file it matches
    is red, named with its line; a hidden one ``*`` does not match is not run."""
    files = {"tests/a.sh": "#!/bin/bash -e\npytest\n", "tests/b.sh": "#!/bin/bash -e\npytest || true\n"}
    assert _repository(tmp_path, GLOB_LOOP, files) == [
        f"jobs/test/steps/0/run: step '{GLOB_LOOP}', line 1 `bash \"$f\"` runs tests/b.sh: "
        f"tests/b.sh:2 `pytest || true` {ALTERNATIVE}"
    ]


def test_make_lint_passes_a_for_glob_whose_scripts_all_keep_their_failure(tmp_path: Path) -> None:
    files = {"tests/a.sh": "#!/bin/bash -e\npytest\n", "tests/.wip.sh": "#!/bin/bash -e\npytest || true\n"}
    assert _repository(tmp_path, GLOB_LOOP, files) == []
