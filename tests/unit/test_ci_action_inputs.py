"""Exit check 3 and ``make lint`` on a composite action's ``inputs`` and on steps that run only on failure.

A test inside a local composite action counts only when its ``if:`` is shown true for the run
(``lakehouse.conditions``). ``if: inputs.tests == 'true'`` is shown true when every call of the action that may
have run passes ``with: tests: 'true'`` as literal text, or leaves it to a ``default: 'true'``: GitHub passes inputs
as strings, and an expression's value is the run's. And lint, like the check, does not judge a step under ``if:
failure()``: it runs only once its job has failed, so its ``|| true`` cannot make a red run green.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.conditions import RunFacts, action_inputs, step_condition
from lakehouse.outcome import Status
from lakehouse.workflows import check_file, load_yaml, masked_failure_problems
from tests.fake_github import GUARD_PATH, FakeGitHub, github, sha
from tests.unit.test_ci_conditions import ACTION_STEPS, CHECKOUT, HEADER, ask, serve

__all__ = ["github"]  # the fixture, imported for this module's tests

ACTION = ".github/actions/test/action.yml"
TEST_IF = "inputs.tests == 'true'"


def action(inputs: str = "    description: run the tests\n", run: str = ".venv/bin/pytest tests") -> str:
    """A composite action with one input ``tests`` (``inputs``: its spec) whose one step runs ``run`` under
    ``if: inputs.tests == 'true'``."""
    step = f"    - name: pytest\n      if: {TEST_IF}\n      shell: bash\n      run: {run}\n"
    return ACTION_STEPS.replace("runs:\n", f"inputs:\n  tests:\n{inputs}runs:\n") + step


def uses(with_: str | None = None, condition: str | None = None) -> str:
    """A workflow step using the action, with ``with: tests: <with_>`` (None: no ``with:``) and ``if: condition``."""
    line = f"        if: {condition}\n" if condition is not None else ""
    given = f"        with:\n          tests: {with_}\n" if with_ is not None else ""
    return f"      - name: Run ./.github/actions/test\n{line}        uses: ./.github/actions/test\n{given}"


def serve_guard(github: FakeGitHub, calls: list[str], text: str, shown: dict[str, str] | None = None) -> None:
    """Green runs of a guard whose test job's steps are ``calls`` (each using the action ``text``), listed as
    ``shown`` (default: the one call, concluded success)."""
    workflow = HEADER + "  test:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + "".join(calls)
    steps = shown or {"Run ./.github/actions/test": "success"}
    serve(github, workflow, {"test": steps}, {ACTION: text})


DEFAULT_TRUE = "    description: run the tests\n    default: 'true'\n"
DEFAULT_FALSE = "    description: run the tests\n    default: 'false'\n"

#: case -> (the guard's steps using the action, action.yml, the steps GitHub lists)
HEALTHY: dict[str, tuple[list[str], str, dict[str, str] | None]] = {
    "with: tests: 'true'": ([uses("'true'")], action(), None),
    "with: tests: true (YAML's boolean, passed as the string 'true')": ([uses("true")], action(), None),
    "default: 'true', the caller gives none": ([uses()], action(DEFAULT_TRUE), None),
    "default: true, the caller's with: names another input": (
        [uses().replace("        uses:", "        with:\n          other: x\n        uses:")],
        action("    description: run the tests\n    default: true\n"),
        None,
    ),
    "with: TESTS: 'TRUE' (ids and strings ignore case)": (
        [uses("'TRUE'").replace("tests:", "TESTS:")],
        action(),
        None,
    ),
    "a second call under if: failure() passes 'false': it did not run": (
        [uses("'true'"), uses("'false'", "failure()").replace("name: Run", "name: On failure")],
        action(),
        {"Run ./.github/actions/test": "success", "On failure ./.github/actions/test": "skipped"},
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_test_under_an_input_every_call_passes_literally_counts(github: FakeGitHub, case: str) -> None:
    calls, text, shown = HEALTHY[case]
    serve_guard(github, calls, text, shown)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(ACTION in t and "`.venv/bin/pytest tests`" in t for t in tests), tests


EXPRESSION = "${{ github.event_name == 'push' }}"
#: case -> (calls, action.yml, the steps GitHub lists, the step's fate in the reason)
BROKEN: dict[str, tuple[list[str], str, dict[str, str] | None, str]] = {
    "with: tests: 'false'": ([uses("'false'")], action(), None, "did not run"),
    "default: 'false', the caller gives none": ([uses()], action(DEFAULT_FALSE), None, "did not run"),
    "default: 'true' but with: tests: 'false'": ([uses("'false'")], action(DEFAULT_TRUE), None, "did not run"),
    "with: tests: an expression": ([uses(f'"{EXPRESSION}"')], action(), None, "may not have run"),
    "with: tests: text around an expression": ([uses(f'"x{EXPRESSION}"')], action(), None, "may not have run"),
    "no default and the caller gives none": ([uses()], action(), None, "may not have run"),
    "default: an expression": (
        [uses()],
        action(f'    description: run the tests\n    default: "{EXPRESSION}"\n'),
        None,
        "may not have run",
    ),
    "the only 'true' call is under if: failure(), the one that ran passes 'false'": (
        [uses("'false'"), uses("'true'", "failure()").replace("name: Run", "name: On failure")],
        action(),
        {"Run ./.github/actions/test": "success", "On failure ./.github/actions/test": "skipped"},
        "did not run",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_test_under_an_input_not_shown_true_does_not_count(github: FakeGitHub, case: str) -> None:
    calls, text, shown, fate = BROKEN[case]
    serve_guard(github, calls, text, shown)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    reason = str(outcome.reason)
    assert f"{GUARD_PATH} at {sha(9)[:12]}: no step runs a test" in reason, reason
    assert f"{ACTION}: runs/steps/0: step 'pytest' {fate}" in reason, reason
    assert f"`if: {TEST_IF}`" in reason, reason
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == []


def test_a_step_an_input_shows_to_run_is_judged_for_lost_failures(github: FakeGitHub) -> None:
    """The input shows the step ran: its ``|| true`` loses the tests' failure (red, naming the step and why)."""
    serve_guard(github, [uses("'true'")], action(run=".venv/bin/pytest tests || true"))
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    lost = "step 'pytest', line 1 `.venv/bin/pytest tests || true` succeeds whatever its command did"
    assert f"{ACTION} at {sha(9)[:12]}: runs/steps/0/run: {lost}" in str(outcome.reason), outcome.reason


PUSH = RunFacts("push", "refs/heads/main")


@pytest.mark.parametrize(
    ("inputs", "calls", "shown"),
    [
        ({"tests": {"default": "true"}}, [{}], (("tests", "true"),)),
        ({"tests": {"default": "true"}}, [{"tests": "no"}], (("tests", "no"),)),
        ({"Tests": {}}, [{"TESTS": False}], (("tests", "false"),)),
        ({"tests": {}}, [{"tests": "a"}, {"tests": "a"}], (("tests", "a"),)),
        ({"tests": {}}, [{"tests": "a"}, {"tests": "b"}], ()),  # the calls disagree: the run's
        ({"tests": {}}, [{}], ()),  # no value, no default
        ({"tests": {"default": "true"}}, [{"tests": None}], ()),  # `tests:` given nothing
        ({"tests": {}}, [{"tests": 1}], ()),  # a number: GitHub keeps its text
        ({"tests": {}}, [{"tests": "${{ inputs.x }}"}], ()),
        ({"tests": {"default": "${{ github.token }}"}}, [{}], ()),
        ({"tests": {}}, ["${{ fromJSON(vars.WITH) }}"], ()),
        ({"tests": {"default": "true"}}, [], ()),  # no call may have run
    ],
)
def test_action_inputs_shows_only_literal_strings_every_call_agrees_on(
    inputs: dict[str, Any], calls: list[Any], shown: tuple[tuple[str, str], ...]
) -> None:
    assert action_inputs({"inputs": inputs, "runs": {"using": "composite"}}, calls) == shown


def test_a_workflow_s_inputs_stay_unknown_and_an_action_s_are_read_ignoring_case() -> None:
    assert step_condition({"if": TEST_IF}, PUSH).value is None
    facts = RunFacts("push", "refs/heads/main", (("tests", "true"),))
    verdict = step_condition({"if": "${{ inputs.TESTS == 'True' && inputs.other != 'x' }}"}, facts)
    assert verdict.value is None, verdict  # `other` is not shown
    verdict = step_condition({"if": TEST_IF}, facts)
    assert verdict.value is True and "inputs tests='true'" in verdict.why, verdict


# -- make lint: a step that runs only on failure cannot lose one -------------------------------------------------

STEPS = (
    "    steps:\n" + CHECKOUT + "      - name: Test\n        run: .venv/bin/pytest tests\n"
    "      - name: Logs\n        if: {condition}\n        run: docker logs db || true\n"
)
GUARD = HEADER + "  test:\n    runs-on: ubuntu-24.04\n    concurrency: guard\n" + STEPS


@pytest.mark.parametrize("condition", ["failure()", "${{ failure() }}", "cancelled()", "${{ !success() }}"])
def test_lint_does_not_judge_a_step_that_runs_only_on_failure(tmp_path: Path, condition: str) -> None:
    document = load_yaml(GUARD.format(condition=condition))
    assert masked_failure_problems(Path("guard.yml"), document) == []
    assert lint(tmp_path, GUARD.format(condition=condition)) == []


@pytest.mark.parametrize("condition", ["always()", "success() || failure()", "github.event_name == 'push'"])
def test_lint_judges_a_step_that_may_run_in_a_green_run(tmp_path: Path, condition: str) -> None:
    document = load_yaml(GUARD.format(condition=condition))
    assert [p.where for p in masked_failure_problems(Path("guard.yml"), document)] == ["jobs/test/steps/2/run"]
    problems = lint(tmp_path, GUARD.format(condition=condition))
    assert any("step 'Logs', line 1 `docker logs db || true` succeeds whatever" in p for p in problems), problems


def test_lint_does_not_judge_a_composite_action_step_that_runs_only_on_failure() -> None:
    text = ACTION_STEPS + "    - if: failure()\n      shell: bash\n      run: docker logs db || true\n"
    assert masked_failure_problems(Path("action.yml"), load_yaml(text), action_folder=".github/actions/t") == []
    judged = load_yaml(text.replace("failure()", "always()"))
    assert [p.where for p in masked_failure_problems(Path("action.yml"), judged)] == ["runs/steps/0/run"]


def lint(root: Path, guard: str) -> list[str]:
    """What ``make lint`` says of ``guard`` as a checkout's guard.yml about lost failures (its other rules, which
    this guard meets or not, are not asked)."""
    path = root / ".github" / "workflows" / "guard.yml"
    path.parent.mkdir(parents=True)
    path.write_text(guard, encoding="utf-8")
    return [str(p) for p in check_file(path, "workflow") if "/run:" in str(p) or "continue-on-error" in str(p)]
