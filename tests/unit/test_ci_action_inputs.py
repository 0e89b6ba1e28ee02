"""Exit check 3 and ``make lint`` on the ``inputs`` of a composite action or local reusable workflow, and on steps
that run only on failure.

A test inside a local composite action counts only when its ``if:`` is shown true for the run
(``lakehouse.conditions``). ``if: inputs.tests == 'true'`` is shown true for a call that passes ``with: tests:
'true'`` as literal text, or leaves it to a ``default: 'true'``: GitHub passes an action's inputs as strings, and an
expression's value is the run's. Each call is judged on its own: the step's tests count when one call shown to run
makes it true, and it is judged for lost failures unless every call makes it false. A local reusable workflow's
``inputs`` resolve the same way from its caller's ``with:`` (else ``on.workflow_call.inputs.*.default``), typed as
declared. And lint, like the check, does not judge a step under ``if: failure()``: it runs only once its job has
failed, so its ``|| true`` cannot make a red run green.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.conditions import Call, RunFacts, call_inputs, step_condition
from lakehouse.outcome import Status
from lakehouse.workflows import check_file, load_yaml, masked_failure_problems
from tests.fake_github import GUARD_PATH, FakeGitHub, github, sha
from tests.unit.test_ci_conditions import ACTION_STEPS, CHECKOUT, HEADER, Steps, ask, serve

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
BOTH_RAN = {"Run ./.github/actions/test": "success", "Lint ./.github/actions/test": "success"}


def second(step: str) -> str:
    """``step`` (from :func:`uses`) as a second call of the action, named apart."""
    return step.replace("name: Run", "name: Lint")


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
    "one call passes 'true', another 'false': the first ran the tests": (
        [uses("'true'"), second(uses("'false'"))],
        action(),
        BOTH_RAN,
    ),
    "the 'false' call first, then the 'true' one": ([uses("'false'"), second(uses("'true'"))], action(), BOTH_RAN),
    "default: 'true', one call gives none, another 'false'": (
        [uses(), second(uses("'false'"))],
        action(DEFAULT_TRUE),
        BOTH_RAN,
    ),
    "one call passes 'true', another an expression": (
        [uses('"${{ github.sha }}"'), second(uses("'true'"))],
        action(),
        BOTH_RAN,
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
    "both calls pass 'false'": ([uses("'false'"), second(uses("'false'"))], action(), BOTH_RAN, "did not run"),
    "one call passes 'false', the other an expression": (
        [uses("'false'"), second(uses(f'"{EXPRESSION}"'))],
        action(),
        BOTH_RAN,
        "may not have run",
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


def test_a_step_one_of_two_calls_shows_to_run_is_judged_for_lost_failures(github: FakeGitHub) -> None:
    """One call passes ``'false'``, the other ``'true'``: the step ran once, and its ``|| true`` lost its failure."""
    calls = [uses("'false'"), second(uses("'true'"))]
    serve_guard(github, calls, action(run=".venv/bin/pytest tests || true"), BOTH_RAN)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    lost = "step 'pytest', line 1 `.venv/bin/pytest tests || true` succeeds whatever its command did"
    assert f"{ACTION} at {sha(9)[:12]}: runs/steps/0/run: {lost}" in str(outcome.reason), outcome.reason


OUTER = ".github/actions/outer/action.yml"


def outer(condition: str | None) -> str:
    """A composite action calling the test action twice: ``tests: 'true'`` under ``if: condition`` (None: none),
    then ``tests: 'false'``."""
    line = f"      if: {condition}\n" if condition is not None else ""
    first = f"    - uses: ./.github/actions/test\n{line}      with:\n        tests: 'true'\n"
    return ACTION_STEPS + first + "    - uses: ./.github/actions/test\n      with:\n        tests: 'false'\n"


def serve_outer(github: FakeGitHub, text: str) -> None:
    workflow = HEADER + "  test:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT
    workflow += "      - uses: ./.github/actions/outer\n"
    serve(github, workflow, {"test": {"Run ./.github/actions/outer": "success"}}, {OUTER: text, ACTION: action()})


def test_an_action_another_action_calls_with_true_and_false_ran_its_tests(github: FakeGitHub) -> None:
    serve_outer(github, outer(None))
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(ACTION in t and "`.venv/bin/pytest tests`" in t for t in tests), tests


def test_an_action_whose_true_call_is_not_shown_to_run_did_not_count(github: FakeGitHub) -> None:
    """The outer action's ``tests: 'true'`` call is under ``if: inputs.x == 'y'``, which only the run knows."""
    serve_outer(github, outer("inputs.x == 'y'"))
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert f"{GUARD_PATH} at {sha(9)[:12]}: no step runs a test" in reason, reason
    assert f"{ACTION}: runs/steps/0: step 'pytest' may not have run" in reason, reason
    assert "call 1 (not shown to run)" in reason, reason


PUSH = RunFacts("push", "refs/heads/main")


@pytest.mark.parametrize(
    ("inputs", "call", "shown"),
    [
        ({"tests": {"default": "true"}}, {}, (("tests", "true"),)),
        ({"tests": {"default": "true"}}, {"tests": "no"}, (("tests", "no"),)),
        ({"Tests": {}}, {"TESTS": False}, (("tests", "false"),)),
        ({"tests": {}}, {}, ()),  # no value, no default
        ({"tests": {"default": "true"}}, {"tests": None}, ()),  # `tests:` given nothing
        ({"tests": {}}, {"tests": 1}, ()),  # a number: GitHub keeps its text
        ({"tests": {}}, {"tests": "${{ inputs.x }}"}, ()),
        ({"tests": {"default": "${{ github.token }}"}}, {}, ()),
        ({"tests": {}}, "${{ fromJSON(vars.WITH) }}", ()),
    ],
)
def test_call_inputs_shows_only_an_action_s_literal_strings(
    inputs: dict[str, Any], call: Any, shown: tuple[tuple[str, str], ...]
) -> None:
    assert call_inputs({"inputs": inputs, "runs": {"using": "composite"}}, call) == shown


@pytest.mark.parametrize(
    ("spec", "call", "shown"),
    [
        ({"type": "boolean", "default": True}, {}, (("tests", True),)),
        ({"type": "boolean"}, {"tests": False}, (("tests", False),)),
        ({"type": "boolean"}, {"tests": "true"}, ()),  # not a boolean: GitHub refuses the call
        ({"type": "string", "default": "true"}, {}, (("tests", "true"),)),
        ({"type": "string"}, {"tests": "${{ github.ref }}"}, ()),
        ({"type": "number", "default": 1}, {}, (("tests", 1),)),
        ({"type": "number"}, {"tests": "1"}, ()),  # not a number: GitHub refuses the call
        # nothing given, no default: the type's default (docs.github.com, on.workflow_call.inputs.<input_id>.type)
        ({"type": "boolean"}, {}, (("tests", False),)),
        ({"type": "string"}, {}, (("tests", ""),)),
        ({"type": "number"}, {}, (("tests", 0),)),
        ({"type": "string", "default": None}, {}, ()),  # `default:` given nothing: not judged
        ({"type": "boolean"}, "${{ fromJSON(vars.WITH) }}", ()),  # the run's
    ],
)
def test_call_inputs_keeps_a_reusable_workflow_s_declared_types(
    spec: dict[str, Any], call: Any, shown: tuple[tuple[str, Any], ...]
) -> None:
    workflow = {"on": {"workflow_call": {"inputs": {"tests": spec}}}, "jobs": {}}
    assert call_inputs(workflow, call) == shown


TRUE_CALL, FALSE_CALL = Call((("tests", "true"),), True), Call((("tests", "false"),), True)


@pytest.mark.parametrize(
    ("calls", "value"),
    [
        ((TRUE_CALL, FALSE_CALL), True),  # one call shown to run made it true: it ran, once
        ((FALSE_CALL, TRUE_CALL), True),
        ((FALSE_CALL, FALSE_CALL), False),  # false for every call: it never ran
        ((FALSE_CALL, Call((("tests", "true"),), False)), None),  # the true call is not shown to run
        ((FALSE_CALL, Call((), True)), None),  # a call shows no value
        ((Call((("tests", "true"),), False),), None),
    ],
)
def test_a_step_is_judged_per_call(calls: tuple[Call, ...], value: bool | None) -> None:
    verdict = step_condition({"if": TEST_IF}, RunFacts("push", "refs/heads/main", calls=calls))
    assert verdict.value is value, verdict
    assert f"`if: {TEST_IF}`" in verdict.why, verdict


def test_a_workflow_s_inputs_stay_unknown_and_an_action_s_are_read_ignoring_case() -> None:
    assert step_condition({"if": TEST_IF}, PUSH).value is None
    facts = RunFacts("push", "refs/heads/main", (("tests", "true"),))
    verdict = step_condition({"if": "${{ inputs.TESTS == 'True' && inputs.other != 'x' }}"}, facts)
    assert verdict.value is None, verdict  # `other` is not shown
    verdict = step_condition({"if": TEST_IF}, facts)
    assert verdict.value is True and "inputs tests='true'" in verdict.why, verdict


# -- a local reusable workflow's inputs, from each caller's `with:` ------------------------------------------------

CALLED_PATH = ".github/workflows/tests.yml"


def called(inputs: str, steps: str) -> str:
    """A reusable workflow declaring ``inputs`` (``on.workflow_call.inputs``) whose job ``unit`` runs ``steps``."""
    on = f"  workflow_call:\n    inputs:\n{inputs}"
    return (
        HEADER.replace("  push:\n    branches: [main]\n", on)
        + "  unit:\n    runs-on: ubuntu-24.04\n    steps:\n"
        + steps
    )


def caller(*calls: str | None) -> str:
    """A guard whose jobs ``call1``, ``call2``... call the reusable workflow, each ``with: tests: <call>`` (None:
    no ``with:``)."""
    jobs = [
        f"  call{n}:\n    uses: ./{CALLED_PATH}\n" + (f"    with:\n      tests: {given}\n" if given is not None else "")
        for n, given in enumerate(calls, start=1)
    ]
    return HEADER + "".join(jobs)


STRING_INPUT = "      tests:\n        type: string\n"
BOOLEAN_INPUT = "      tests:\n        type: boolean\n"
TESTS_UNDER = "      - name: Test\n        if: {condition}\n        run: .venv/bin/pytest tests\n"
STRING_TESTS = called(STRING_INPUT, CHECKOUT + TESTS_UNDER.format(condition=TEST_IF))
RAN_THEN_SKIPPED = {"call1 / unit": {"Test": "success"}, "call2 / unit": {"Test": "skipped"}}
LOGS = "      - name: Logs\n        if: inputs.logs == 'true'\n        run: docker logs db || true\n"
LOGS_INPUT = "      logs:\n        type: string\n        default: 'false'\n"
WITH_LOGS = called(LOGS_INPUT, CHECKOUT + "      - name: Test\n        run: .venv/bin/pytest tests\n" + LOGS)

#: case -> (guard.yml, the jobs GitHub lists, the called workflow)
CALLED_HEALTHY: dict[str, tuple[str, dict[str, Steps], str]] = {
    "one call passes 'true' (its tests ran), another 'false' (skipped)": (
        caller("'true'", "'false'"),
        RAN_THEN_SKIPPED,
        STRING_TESTS,
    ),
    "a boolean input: true, then false": (
        caller("true", "false"),
        RAN_THEN_SKIPPED,
        called(BOOLEAN_INPUT, CHECKOUT + TESTS_UNDER.format(condition="${{ inputs.tests }}")),
    ),
    "on.workflow_call's default: 'false', one call passes 'true'": (
        caller("'true'", None),
        RAN_THEN_SKIPPED,
        called(STRING_INPUT + "        default: 'false'\n", CHECKOUT + TESTS_UNDER.format(condition=TEST_IF)),
    ),
    "a `|| true` step under an input no call sets (default: 'false')": (
        caller(None),
        {"call1 / unit": {"Test": "success", "Logs": "skipped"}},
        WITH_LOGS,
    ),
}


@pytest.mark.parametrize("case", list(CALLED_HEALTHY))
def test_a_reusable_workflow_s_inputs_resolve_from_each_call(github: FakeGitHub, case: str) -> None:
    workflow, jobs, text = CALLED_HEALTHY[case]
    serve(github, workflow, jobs, {CALLED_PATH: text})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(CALLED_PATH in t and "`.venv/bin/pytest tests`" in t for t in tests), tests


#: case -> (guard.yml, jobs, the called workflow, what the reason names)
CALLED_BROKEN: dict[str, tuple[str, dict[str, Steps], str, str]] = {
    "both calls pass 'false'": (
        caller("'false'", "'false'"),
        {"call1 / unit": {"Test": "skipped"}, "call2 / unit": {"Test": "skipped"}},
        STRING_TESTS,
        f"{CALLED_PATH}: jobs/unit/steps/1: step 'Test' did not run (`if: {TEST_IF}` is false for every call",
    ),
    "the 'true' call's tests skipped": (
        caller("'true'", "'false'"),
        {"call1 / unit": {"Test": "skipped"}, "call2 / unit": {"Test": "skipped"}},
        STRING_TESTS,
        "step 'Test' of job 'call1 / unit' concluded skipped: the guard did not run it",
    ),
    "a call passes an expression and its tests are skipped": (
        caller("'true'", f'"{EXPRESSION}"'),
        RAN_THEN_SKIPPED,
        STRING_TESTS,
        "step 'Test' of job 'call2 / unit' concluded skipped: the guard did not run it",
    ),
    "a string passed to a boolean input is not read as one": (
        caller("'true'", "'false'"),
        RAN_THEN_SKIPPED,
        called(BOOLEAN_INPUT, CHECKOUT + TESTS_UNDER.format(condition="${{ inputs.tests }}")),
        "step 'Test' of job 'call2 / unit' concluded skipped: the guard did not run it",
    ),
    "the `|| true` step under an input a call sets 'true'": (
        caller(None).replace("    uses:", "    with:\n      logs: 'true'\n    uses:"),
        {"call1 / unit": {"Test": "success", "Logs": "success"}},
        WITH_LOGS,
        "step 'Logs', line 1 `docker logs db || true` succeeds whatever its command did",
    ),
}


@pytest.mark.parametrize("case", list(CALLED_BROKEN))
def test_a_reusable_workflow_s_step_a_call_did_not_rule_out_is_judged(github: FakeGitHub, case: str) -> None:
    workflow, jobs, text, named = CALLED_BROKEN[case]
    serve(github, workflow, jobs, {CALLED_PATH: text})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    assert named in str(outcome.reason), (case, outcome.reason)


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
