"""Which commands of a shell script may fail while the script succeeds (lakehouse.shellstatus)."""

from __future__ import annotations

import pytest

from lakehouse.shellstatus import Shell, lost_failures, shell_flags, tokens

GITHUB = Shell(errexit=True, pipefail=False, label="bash -e")  # a run: step with no shell:
BASH = Shell(errexit=True, pipefail=True, label="bash -eo pipefail")  # shell: bash
MAKE = Shell(errexit=False, pipefail=False, label="sh -c")  # a Makefile recipe line, GNU make's defaults


def _found(script: str, shell: Shell) -> list[tuple[int, str, str]]:
    return [(f.line, f.command, f.message) for f in lost_failures(script, shell)]


@pytest.mark.parametrize(
    ("script", "command", "alternative"),
    [
        ('make test || echo "tests failed"', 'make test || echo "tests failed"', 'echo "tests failed"'),
        ("make test || printf 'failed\\n' >&2", "make test || printf 'failed\\n' >&2", "printf 'failed\\n' >&2"),
        ("make test || { echo x; }", "make test || { echo x; }", "{ echo x; }"),
        ("make test || (echo x; true)", "make test || (echo x; true)", "(echo x; true)"),
        ("make test || exit 0; echo more", "make test || exit 0", "exit 0"),
        ("make test || true", "make test || true", "true"),
        ("make test || :  # fine", "make test || :", ":"),
        ("a || b || true", "a || b || true", "true"),
        ("a && b || echo x && c", "a && b || echo x", "echo x"),
    ],
)
def test_an_or_alternative_that_always_succeeds_loses_the_failure(script: str, command: str, alternative: str) -> None:
    for shell in (GITHUB, BASH, MAKE):
        assert _found(script, shell) == [
            (1, command, f"succeeds whatever its command did: its `||` alternative `{alternative}` always succeeds")
        ]


@pytest.mark.parametrize(
    "script",
    [
        "make test || exit 1",
        "make test || exit 3",
        "make test || exit",  # exits with make's own status
        "make test || false",
        'make test || { echo "tests failed" >&2; exit 1; }',
        "make test || (echo x; false)",
        "command -v a || command -v b",
        "if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then\n  echo found\nfi",
        "if make test || true; then echo a; fi",  # a condition: its failure is the script's to decide
        'while read -r x || [ -n "$x" ]; do echo $x; done < f',
        "cmd && other",
        "echo 'a || true' \"b || :\"",
        'x="$(make test || true)"',  # inside a command substitution: not judged
        "cat > f <<'EOF'\nmake test || true\nEOF\nmake test",  # a here-document's text
    ],
)
def test_real_alternatives_conditions_and_quoted_text_lose_nothing(script: str) -> None:
    assert _found(script, GITHUB) == []
    assert _found(script, BASH) == []


def test_a_pipeline_loses_its_first_commands_failures_without_pipefail() -> None:
    why = (
        "fails unseen: it is piped into `tee log.txt` and without pipefail (bash -e) a pipeline's status is its "
        "last command's"
    )
    assert _found("pytest tests/ | tee log.txt", GITHUB) == [(1, "pytest tests/", why)]
    assert _found("pytest tests/ |& tee log.txt", GITHUB)[0][1] == "pytest tests/"
    assert _found("make lint\npytest tests/ 2>&1 | tee log.txt", Shell(True, False, "bash -e")) == [
        (2, "pytest tests/ 2>&1", why)
    ]
    assert _found("pytest tests/ | tee log.txt", BASH) == []  # shell: bash has pipefail
    assert _found("set -o pipefail\npytest tests/ | tee log.txt", GITHUB) == []
    assert _found("set -euo pipefail; pytest | tee log", MAKE) == []
    assert _found("echo hello | grep h", GITHUB) == []  # echo's status is nothing to lose


def test_without_errexit_only_the_last_command_counts() -> None:
    why = "fails unseen: `;` follows it and without -e (sh -c) only the last command's status counts"
    assert _found("pytest tests/; echo done", MAKE) == [(1, "pytest tests/", why)]
    assert _found("cd x && pytest; echo done", MAKE) == [(1, "pytest", why)]  # cd: what follows fails elsewhere
    assert _found("for t in unit e2e; do pytest tests/$$t; done", MAKE) == [
        (
            1,
            "pytest tests/$$t",
            "fails unseen: it runs in a loop and without -e (sh -c) only the last iteration's status counts",
        )
    ]
    assert _found("set -e; pytest tests/; echo done", MAKE) == []
    assert _found("pytest tests/; echo done", GITHUB) == []  # -e stops at the failing command
    assert _found("if [ -d x ]; then pytest x; fi", MAKE) == []
    assert _found("echo building; pytest", MAKE) == []
    assert _found("cd app && npm ci\nnpm test", GITHUB) == []
    assert _found("[ -f x ] && rm x; test -d y && rmdir y; pytest", MAKE) == [(1, "rm x", why), (1, "rmdir y", why)]


def test_set_plus_e_in_a_script_run_with_e_is_reported_once() -> None:
    assert _found("set +e\npytest\nmake lint", GITHUB) == [
        (
            1,
            "set +e",
            "turns -e off: after it a failing command no longer stops the script, and only the last command's "
            "status counts",
        )
    ]
    assert [f[1] for f in _found("set +o errexit\npytest\nmake lint", BASH)] == ["set +o errexit"]
    assert _found("(set +e; grep -q x f); pytest", GITHUB)[0][1] == "set +e"


def test_with_errexit_a_failure_left_of_and_does_not_stop_the_script() -> None:
    why = "fails unseen: -e ignores a failure left of `&&`, and the script goes on"
    assert _found("pytest && echo ok\nmake lint", GITHUB) == [(1, "pytest", why)]
    assert _found("make lint\npytest && echo ok", GITHUB) == []  # the last command: its status is the script's
    assert _found("(pytest && echo ok)\nmake lint", GITHUB) == []  # a subshell's status does stop the script


def test_a_background_command_is_never_waited_for() -> None:
    assert _found("moto_server &\nmake test", GITHUB) == [
        (1, "moto_server", "runs in the background (`&`): nothing waits for its status")
    ]
    assert _found("make test 2>&1 >/dev/null", GITHUB) == []  # redirections are not `&`


def test_tokens_respect_quotes_substitutions_and_comments() -> None:
    words = [t.text for t in tokens("a \"b || c\" '$(d' $(e || f) ${g:-h} `i | j` # k || l\nm")]
    assert words == ["a", '"b || c"', "'$(d'", "$(e || f)", "${g:-h}", "`i | j`", "\n", "m"]
    assert [t.text for t in tokens("a||b|c&&d;e&f 2>&1")] == [
        "a",
        "||",
        "b",
        "|",
        "c",
        "&&",
        "d",
        ";",
        "e",
        "&",
        "f",
        "2>&1",
    ]
    assert [t.text for t in tokens("$(BIN)/pytest $(if $(X),--x $(X)) a\\\nb")] == [
        "$(BIN)/pytest",
        "$(if $(X),--x $(X))",
        "a",
        "b",
    ]


def test_shell_flags() -> None:
    assert shell_flags(["--noprofile", "--norc", "-eo", "pipefail", "{0}"]) == (True, True)
    assert shell_flags(["-e", "{0}"]) == (True, False)
    assert shell_flags(["-c"]) == (False, False)
    assert shell_flags(["-euo", "pipefail", "-c"]) == (True, True)
    assert shell_flags(["-o", "errexit", "-o", "pipefail"]) == (True, True)
    assert shell_flags(["+e"], errexit=True, pipefail=True) == (False, True)
