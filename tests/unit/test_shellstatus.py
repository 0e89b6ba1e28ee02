"""Which commands of a shell script may fail while the script succeeds (lakehouse.shellstatus)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from lakehouse.shellstatus import (
    CommandParts,
    Shell,
    command_parts,
    command_words,
    lost_failures,
    shell_flags,
    tokens,
    unquote,
)

GITHUB = Shell(errexit=True, pipefail=False, label="bash -e", bash=True)  # a run: step with no shell:
BASH = Shell(errexit=True, pipefail=True, label="bash -eo pipefail", bash=True)  # shell: bash
SH_E = Shell(errexit=True, pipefail=False, label="sh -e")  # shell: sh
MAKE = Shell(errexit=False, pipefail=False, label="sh -c")  # a Makefile recipe line, GNU make's defaults
BASH_NO_E = Shell(errexit=False, pipefail=False, label="bash {0}", bash=True)  # shell: bash {0}


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
        'x="$(git describe --tags || echo dev)"',  # a substitution computing a value: not judged (make is: see below)
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
    assert _found("(set +e; pytest; make lint); echo", GITHUB)[0][1] == "set +e"
    # Nothing after it fails unseen: grep's status is the subshell's, pytest's is captured and exited with.
    assert _found("(set +e; grep -q x f); pytest", GITHUB) == []
    assert _found("set +e\npytest\nrc=$?\nset -e\nexit $rc", GITHUB) == []
    assert [f[1] for f in _found("set +e\npytest\nrc=$?\nset -e\necho $rc", GITHUB)] == ["set +e"]


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


# -- a status the script reads is not lost ---------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "make test 2>&1 | tee log; test ${PIPESTATUS[0]} -eq 0",
        "make test 2>&1 | tee log\nexit ${PIPESTATUS[0]}",
        "make test | tee log\nrc=${PIPESTATUS[0]}\necho done\nexit $rc",
        'make test | tee log; [ "${PIPESTATUS[*]}" = "0 0" ]',
        "make test | tee log\nif [ ${PIPESTATUS[0]} -ne 0 ]; then exit 1; fi\necho ok",
    ],
)
def test_a_pipeline_whose_status_bash_reads_from_pipestatus_right_after_it_is_checked(script: str) -> None:
    assert _found(script, GITHUB) == []
    assert _found(script, Shell(False, False, "bash", bash=True)) == []


def test_pipestatus_is_bash_s_and_must_be_read_by_a_check() -> None:
    piped = "fails unseen: it is piped into `tee log` and without pipefail"
    # sh has no PIPESTATUS: the test reads an unset variable
    assert piped in _found("make test | tee log; test ${PIPESTATUS[0]} -eq 0", SH_E)[0][2]
    # printed, not checked; and another pipeline's member
    assert piped in _found("make test | tee log; echo ${PIPESTATUS[0]}", GITHUB)[0][2]
    assert _found("make test | tee log; test ${PIPESTATUS[1]} -eq 0", GITHUB)[0][1] == "make test"
    # a check of the status that is itself lost, without -e
    assert _found(
        "make test | tee log; test ${PIPESTATUS[0]} -eq 0; echo done", Shell(False, False, "b", bash=True)
    ) == [
        (
            1,
            "test ${PIPESTATUS[0]} -eq 0",
            "fails unseen: `;` follows it and without -e (b) only the last command's status counts",
        )
    ]


@pytest.mark.parametrize(
    "script",
    [
        "pytest tests\nexit $?",
        'pytest tests\nstatus=$?\necho "tests: $status"\nexit $status',
        "pytest tests\nrc=$?\nif [ $rc -ne 0 ]; then echo failed; exit 1; fi\necho ok",
        "pytest; [ $? -eq 0 ] || exit 1; echo ok",
        "pytest\nif [ $? -ne 0 ]; then exit 1; fi\necho ok",
    ],
)
def test_a_status_read_right_after_its_command_and_exited_with_or_tested_is_not_lost(script: str) -> None:
    assert _found(script, MAKE) == []


def test_a_status_read_but_not_acted_on_is_lost() -> None:
    why = "fails unseen: another line follows it and without -e (sh -c) only the last command's status counts"
    assert _found("pytest tests\nexit 0", MAKE) == [(1, "pytest tests", why)]
    assert _found("pytest tests\nstatus=$?\necho $status\nexit 0", MAKE) == [(1, "pytest tests", why)]
    assert _found("pytest\n[ $? -eq 0 ]\necho done", MAKE) == [(2, "[ $? -eq 0 ]", why)]


# -- code in strings: sh -c, bash -c, eval ----------------------------------------------------------------


def test_the_string_of_sh_c_and_eval_is_judged_under_the_flags_given_there() -> None:
    alternative = "succeeds whatever its command did: its `||` alternative `true` always succeeds"
    assert _found("bash -c 'pytest tests || true'", GITHUB) == [
        (1, "pytest tests || true", f"{alternative} (in the string `bash -c` runs)")
    ]
    assert _found('echo start\nsh -ec "make lint; pytest | tee log"', GITHUB) == [
        (
            2,
            "pytest",
            "fails unseen: it is piped into `tee log` and without pipefail (`sh -ec`) a pipeline's status is its last "
            "command's (in the string `sh -ec` runs)",
        )
    ]
    assert _found("/bin/sh -c 'pytest; echo done'", GITHUB)[0][:2] == (1, "pytest")  # sh -c: no -e
    assert _found('eval "pytest || true"', GITHUB) == [
        (1, "pytest || true", f"{alternative} (in the string `eval` runs)")
    ]
    assert _found("exec env CI=1 bash -c 'pytest || :'", GITHUB)[0][1] == "pytest || :"


@pytest.mark.parametrize(
    "script",
    [
        "bash -eo pipefail -c 'make lint; pytest | tee log'",
        "sh -c 'pytest tests'",
        'bash -c "$CMD"',  # the run's value: nothing to read
        'eval "$(ssh-agent -s)"',
        "echo 'bash -c \"pytest || true\"'",
    ],
)
def test_strings_that_lose_nothing_or_cannot_be_read_are_not_flagged(script: str) -> None:
    assert _found(script, GITHUB) == []


def test_a_follow_hook_is_asked_for_each_command_that_runs_something_with_where_cd_went() -> None:
    """Also in a condition and left of ``||``: what a file loses inside, its status never shows, whoever reads it
    (``if ./t.sh; then ... else exit 1; fi`` with ``pytest || true`` in t.sh is green)."""
    asked: list[tuple[list[str], bool, tuple[str, ...]]] = []

    def follow(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        asked.append((list(words), shell.errexit, dirs))
        return ["runs it: it.sh:1 `x || true` succeeds"] if words[0] == "./it.sh" else []

    script = (
        'set -e\n./it.sh --fast\nif ./cond.sh; then :; fi\n./other.sh || exit 1\ncd ci && A=1 "./x.sh" > log\n'
        "(cd sub; ./y.sh)\npushd a; ./z.sh; popd\n./w.sh"
    )
    found = lost_failures(script, MAKE, follow)
    assert [(f.line, f.command, f.message) for f in found] == [
        (2, "./it.sh --fast", "runs it: it.sh:1 `x || true` succeeds")
    ]
    assert [(w, e, d) for w, e, d in asked if "/" in w[0]] == [
        (["./it.sh", "--fast"], True, ()),
        (["./cond.sh"], True, ()),
        (["./other.sh"], True, ()),
        (["./x.sh"], True, ("ci",)),
        (["./y.sh"], True, ("ci", "sub")),  # a subshell's cd stays inside it
        (["./z.sh"], True, ("ci", "a")),
        (["./w.sh"], True, ("ci",)),
    ]


def test_strings_and_functions_are_read_wherever_they_run() -> None:
    alternative = "succeeds whatever its command did: its `||` alternative `true` always succeeds"
    assert _found("if bash -c 'pytest || true'; then echo ok; else exit 1; fi", GITHUB) == [
        (1, "pytest || true", f"{alternative} (in the string `bash -c` runs)")
    ]
    assert _found("bash -c 'pytest || true' || exit 1", GITHUB)[0][1] == "pytest || true"
    # a function's body is judged where it is called, as a script whose status is the call's
    script = "main() {\n  pytest || true\n}\nfunction lint {\n  ruff check; echo linted\n}\nmain\nlint || exit 1\n"
    assert _found(script, Shell(False, False, "sh")) == [
        (2, "pytest || true", alternative),
        (7, "main", "fails unseen: another line follows it and without -e (sh) only the last command's status counts"),
        (5, "ruff check", "fails unseen: `;` follows it and without -e (sh) only the last command's status counts"),
    ]
    assert _found("unused() { pytest || true; }\necho ok\n", GITHUB) == []  # never called: never run
    assert _found("f() { pytest; return; }\nf\n", Shell(False, False, "sh")) == []  # bare return: pytest's status
    assert _found('case "$1" in\n  unit) pytest || true ;;\n  *) exit 2 ;;\nesac\n', GITHUB) == [
        (2, "pytest || true", alternative)
    ]


def test_command_words_and_unquote() -> None:
    assert command_words(["A=1", "exec", "env", "-i", "B=2", "'./x y.sh'", "2>&1", ">", "log", '"$1"']) == [
        "./x y.sh",
        "$1",
    ]
    assert command_words(["command", "-v", "x"]) == ["command", "-v", "x"]
    # wrappers that run the command after them, with their options and operands
    wrapped = {
        "sudo -E -u ci bash -c 'x'": ["bash", "-c", "x"],
        "/usr/bin/env bash x.sh": ["bash", "x.sh"],
        "timeout -s KILL 600 ./x.sh a": ["./x.sh", "a"],
        "nice -n 10 ionice -c 3 ./x.sh": ["./x.sh"],
        "stdbuf -oL xvfb-run -a -s '-screen 0 1x1x8' ./x.sh": ["./x.sh"],
        "xargs -0 -n 1 ./x.sh": ["./x.sh"],
        "flock -w 5 /tmp/lock ./x.sh": ["./x.sh"],
        "poetry run ./x.sh": ["./x.sh"],
        "uv run --with pytest bash x.sh": ["bash", "x.sh"],
    }
    assert {c: command_words([t.text for t in tokens(c)]) for c in wrapped} == wrapped
    assert unquote('\'a b\'"c \\"d\\$ $(e "f")"g\\ h') == 'a bc "d$ $(e "f")g h'


def test_a_script_on_standard_input_and_a_trap_that_exits_0_are_read() -> None:
    alternative = "succeeds whatever its command did: its `||` alternative `true` always succeeds"
    heredoc = "echo start\nsh -e <<-'EOF'\n\tpytest || true\n\tEOF\necho done\n"
    assert _found(heredoc, GITHUB) == [(3, "pytest || true", f"{alternative} (in the here-document `sh -e` runs)")]
    assert _found("bash -euo pipefail <<EOF\npytest | tee log\nEOF\n", GITHUB) == []
    piped = Shell(errexit=True, pipefail=True, label="bash -eo pipefail", bash=True)
    assert _found("curl -fsSL https://example.org/install.sh | bash", piped) == []  # nothing of the tree to read
    exits = "exits 0 on EXIT: the script succeeds whatever failed before"
    assert _found("trap 'exit 0' EXIT\npytest\n", GITHUB) == [(1, "trap 'exit 0' EXIT", exits)]
    assert _found("done_() { rm -f x; exit 0; }\ntrap done_ EXIT ERR\npytest\n", GITHUB)[0][2].startswith(
        "exits 0 on EXIT ERR"
    )
    assert _found("trap 'rm -f x; exit' EXIT\ntrap 'exit 0' INT TERM\npytest\n", GITHUB) == []  # keeps the status


def test_a_variable_naming_a_folder_is_where_cd_to_it_goes() -> None:
    asked: list[tuple[list[str], tuple[str, ...]]] = []

    def follow(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        asked.append((list(words), dirs))
        return []

    script = (
        'ROOT="$(cd "$(dirname "$0")/.." && pwd)"\nexport HERE=$(dirname "$0") CI=ci\ncd "$ROOT"\n"$HERE/a.sh"\n'
        'bash "$CI/b.sh"\nROOT=$1\ncd "$ROOT"\n./c.sh\n'
    )
    lost_failures(script, GITHUB, follow)
    assert [(w, d) for w, d in asked if w[0] != "cd" and any("/" in x for x in w)] == [
        (['$(dirname "$0")/a.sh'], ('$(dirname "$0")/..',)),
        (["bash", "ci/b.sh"], ('$(dirname "$0")/..',)),
        (["./c.sh"], ('$(dirname "$0")/..', "$ROOT")),  # $1: the run's value, forgotten
    ]


def test_command_parts_give_the_environment_and_folder_a_command_line_gives_its_command() -> None:
    parts = command_parts(["MAKEFLAGS=-i", "env", "-C", "ci", "B='x y'", "make", "test"])
    assert (parts.words, parts.assignments, parts.chdir) == (
        ["make", "test"],
        [("MAKEFLAGS", "-i"), ("B", "x y")],
        ["ci"],
    )
    assert command_parts(["env", "--chdir=ci", "make"]).chdir == ["ci"]
    assert command_parts(["env", "-Cci", "make"]).chdir == ["ci"]
    assert command_parts(["env", "--chdir", "ci", "make"]).chdir == ["ci"]
    assert command_parts(["sudo", "-D", "ci", "make"]).chdir == ["ci"]
    assert command_parts(["timeout", "600", "make"]) == CommandParts(["make"], [], [])


@pytest.mark.parametrize(
    ("script", "shell", "found"),
    [
        ("out=$(make test)\necho done", GITHUB, []),  # -e stops on the assignment: its status is make's
        ("out=`make test`\necho done", GITHUB, []),
        ("if out=$(make test); then echo ok; else exit 1; fi", GITHUB, []),
        ('echo "$(make test)"', GITHUB, [(1, "make test", "`echo`'s status is the command's")]),
        ("f() {\n  local out=$(make test)\n}\nf", GITHUB, [(2, "make test", "`local`'s status is the command's")]),
        ("a=$(make test) b=$(date)", GITHUB, [(1, "make test", "the last substitution's status is the command's")]),
        ('[ -n "$(make test)" ]', GITHUB, [(1, "make test", "`[`'s status is the command's")]),
        (  # bash's $(...) drops -e: the first make's failure is lost to the second
            "out=$(make lint; make test)",
            GITHUB,
            [(1, "make lint", "fails unseen: `;` follows it and without -e")],
        ),
        ("out=$(make lint; make test)", SH_E, []),  # sh keeps -e inside
        # the assignment's status is make's, and lost in turn: left of && under -e, a next line without -e
        ("out=$(make test) && echo ok\necho done", GITHUB, [(1, "make test", "-e ignores a failure left of `&&`")]),
        ("out=$(make test)\necho done", BASH_NO_E, [(1, "make test", "another line follows it and without -e")]),
        ("set +e\nout=$(make test)\necho done", GITHUB, [(2, "make test", "`set +e` on line 1 turns -e off")]),
        ("out=$(make test) || exit 1\necho done", BASH_NO_E, []),
        ('echo "v$(git describe --tags || echo dev) $(date)"', GITHUB, []),  # values: not judged
        ("echo $((1 + 2)) '$(make test)'", GITHUB, []),  # arithmetic, quoted text
    ],
)
def test_make_in_a_command_substitution_keeps_its_status_only_in_a_bare_assignment(
    script: str, shell: Shell, found: list[tuple[int, str, str]]
) -> None:
    got = _found(script, shell)
    assert [(line, command) for line, command, _ in got] == [(line, command) for line, command, _ in found]
    for (_, _, message), (_, _, why) in zip(got, found, strict=True):
        assert why in message and message.endswith(")"), message


def test_variables_a_script_starts_with_or_exports_reach_cd_and_the_commands_it_runs() -> None:
    asked: list[tuple[list[str], tuple[str, ...], dict[str, str | None]]] = []

    def follow(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        asked.append((list(words), dirs, shell.variables()))
        return []

    step = replace(GITHUB, environment=(("TESTS", "ci"), ("FLAGS", None)), closed=True)
    script = (
        'cd "$TESTS" && make a\ncd - && cd "${CI_DIR:-sub}" && make b\ncd "$HOME" && make c\n'
        "export MAKEFLAGS=-i\nX=1 make d\nenv -C ci MAKEFLAGS=-k make e\nunset MAKEFLAGS\nmake f\n"
    )
    lost_failures(script, step, follow)
    made = {w[1]: (d, v) for w, d, v in asked if w[0] == "make"}
    assert made["a"] == (("ci",), {"TESTS": "ci", "FLAGS": None})
    assert made["b"][0] == ("sub",)  # `cd -` back to the start; CI_DIR set nowhere: its default
    assert made["c"][0] == ("sub", "$HOME")  # the runner's HOME is never taken as unset
    assert made["d"][1] == {"TESTS": "ci", "FLAGS": None, "MAKEFLAGS": "-i", "X": "1"}
    assert made["e"] == (("sub", "$HOME", "ci"), {"TESTS": "ci", "FLAGS": None, "MAKEFLAGS": "-k"})
    assert "MAKEFLAGS" not in made["f"][1]
    # a caller that does not show every variable (a step after one writing $GITHUB_ENV): no default is taken
    asked.clear()
    lost_failures('cd "${CI_DIR:-sub}" && make b', replace(step, closed=False), follow)
    assert asked[-1][1] == ("${CI_DIR:-sub}",)


@pytest.mark.parametrize(
    ("script", "found"),
    [
        ('echo "$(pytest tests)"', [(1, "pytest tests", "`echo`'s status is the command's")]),
        ("export OUT=$(.venv/bin/python -m pytest)", [(1, ".venv/bin/python -m pytest", "`export`'s status")]),
        ('echo "$(poetry run tox -e py311)"', [(1, "poetry run tox -e py311", "`echo`'s status")]),
        ('x="$(pytest || true)"', [(1, "pytest || true", "its `||` alternative `true` always succeeds")]),
        ("out=$(pytest tests)\necho done", []),  # -e stops on the assignment: its status is pytest's
        ('echo "pytest $(pytest --version)"', []),  # a version, not a test run
        ('echo "$(date) $(git rev-parse HEAD)"', []),  # values
    ],
)
def test_tests_in_a_command_substitution_are_judged_like_make(script: str, found: list[tuple[int, str, str]]) -> None:
    got = _found(script, GITHUB)
    assert [(line, command) for line, command, _ in got] == [(line, command) for line, command, _ in found]
    for (_, _, message), (_, _, why) in zip(got, found, strict=True):
        assert why in message and "(in the command substitution `$(" in message, message


def test_the_action_path_names_the_actions_folder_for_what_a_step_runs_and_what_its_scripts_run() -> None:
    """A composite action's step has ``GITHUB_ACTION_PATH`` (as ``$GITHUB_WORKSPACE/<folder>``: the same folder
    wherever a script has gone); ``${{ github.action_path }}`` is the same folder; a script it runs inherits it."""
    asked: list[tuple[list[str], tuple[str, ...], dict[str, str | None]]] = []

    def follow(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        asked.append((list(words), dirs, shell.variables()))
        return []

    folder = "$GITHUB_WORKSPACE/.github/actions/x"
    step = replace(BASH, environment=(("GITHUB_ACTION_PATH", folder),))
    script = (
        '"$GITHUB_ACTION_PATH/a.sh"\n${{ github.action_path }}/b.sh\ncd "${{ github.action_path }}" && ./c.sh\n'
        'HERE=${GITHUB_ACTION_PATH}\nexport HERE\nbash "$HERE/d.sh"\n'
    )
    lost_failures(script, step, follow)
    asked = [(w, d, v) for w, d, v in asked if w[0] not in ("cd", "export")]
    assert [(w, d) for w, d, _ in asked] == [
        ([f"{folder}/a.sh"], ()),
        ([f"{folder}/b.sh"], ()),
        (["./c.sh"], (folder,)),
        (["bash", f"{folder}/d.sh"], (folder,)),
    ]
    assert asked[-1][2] == {"GITHUB_ACTION_PATH": folder, "HERE": folder}  # passed on: it names the same folder
    asked.clear()
    lost_failures('"$GITHUB_ACTION_PATH/a.sh"\n${{ github.action_path }}/b.sh', BASH, follow)  # a workflow's step
    assert [w for w, _, _ in asked] == [["$GITHUB_ACTION_PATH/a.sh"], ["${{ github.action_path }}/b.sh"]]
