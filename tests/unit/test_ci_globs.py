"""Exit check 3 and a ``for`` loop over a glob of the checkout: ``for f in tests/*.sh; do bash "$f"; done``.

Which files run is knowable at the run's commit: the glob is expanded over the commit's tree (one git tree read,
kept) as bash expands it (sorted, ``nullglob`` off, hidden files not matched by ``*``), and each file is judged as
if written out: a swallowing one makes the run red, naming it and its line; all healthy, green (before, such a run
was an ``error``, ``unfollowed``). A glob nobody can expand (a variable in it, a tree GitHub cut short) is still an
``error``. Real bash agrees on what runs and on the loop's status.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.outcome import Status
from tests.fake_github import GUARD_PATH, REPO, FakeGitHub, github, run, sha
from tests.unit.test_ci_github import CARRIES, OR_TRUE, SWALLOWS, _not_passing_naming, ask, with_test_step

__all__ = ["github"]  # the fixture, imported for this module's tests

SWALLOWING = f"`pytest tests || true` {OR_TRUE}"
MAKEFILE_LOOP = "test:\n\tfor f in t/*.sh; do bash $$f || exit 1; done\n"
#: Each broken case: (the step, the commit's files, what the reason names). A file the glob matches loses its tests'
#: failure; before, the run was an ``error`` (the reader did not expand the glob), never red.
BROKEN = [
    (
        'for f in tests/*.sh; do bash "$f"; done',
        {"tests/a.sh": CARRIES, "tests/b.sh": SWALLOWS},
        f"runs tests/b.sh: tests/b.sh:3 {SWALLOWING}",
    ),
    (
        'for s in scripts/test-*.sh; do "$s" || exit 1; done',
        {"scripts/test-a.sh": CARRIES, "scripts/test-b.sh": SWALLOWS},
        f"runs scripts/test-b.sh: scripts/test-b.sh:3 {SWALLOWING}",
    ),
    (
        'for d in suites/*/; do make -C "$d" test; done',
        {"suites/a/Makefile": "test:\n\tpytest\n", "suites/b/Makefile": "test:\n\t-pytest\n"},
        "runs suites/b/Makefile: suites/b/Makefile, line 2 (target 'test') starts with '-'",
    ),
    (
        'cd ci && for f in *.sh; do bash "$f"; done',
        {"ci/a.sh": CARRIES, "ci/b.sh": SWALLOWS, "b.sh": CARRIES},
        f"runs ci/b.sh: ci/b.sh:3 {SWALLOWING}",
    ),
    (
        'for f in tests/.*.sh; do bash "$f"; done',
        {"tests/.wip.sh": SWALLOWS},
        f"runs tests/.wip.sh: tests/.wip.sh:3 {SWALLOWING}",
    ),
    (  # brace expansion first, then each glob (before, `tests/{a,b}.sh` was taken for one file not in the tree)
        'for f in tests/{unit,e2e}/*.sh; do bash "$f"; done',
        {"tests/unit/a.sh": CARRIES, "tests/e2e/b.sh": SWALLOWS},
        f"runs tests/e2e/b.sh: tests/e2e/b.sh:3 {SWALLOWING}",
    ),
    (
        'for f in tests/{a,b}.sh; do bash "$f"; done',
        {"tests/a.sh": CARRIES, "tests/b.sh": SWALLOWS},
        f"runs tests/b.sh: tests/b.sh:3 {SWALLOWING}",
    ),
    (  # in a script the step runs: the glob from the root, where the script runs
        "./ci/run",
        {"ci/run": '#!/bin/bash -e\nfor f in tests/*.sh; do\n  bash "$f"\ndone\n', "tests/b.sh": SWALLOWS},
        f'runs ci/run: ci/run:3 `bash "$f"` runs tests/b.sh: tests/b.sh:3 {SWALLOWING}',
    ),
    (  # in a recipe of a Makefile make runs in ci: the glob from ci, make's `$$` the shell's `$`
        "make -C ci test",
        {"ci/Makefile": MAKEFILE_LOOP, "ci/t/a.sh": SWALLOWS, "t/a.sh": CARRIES},
        f"runs ci/Makefile: ci/Makefile, line 2 (target 'test') `bash $f` runs ci/t/a.sh: ci/t/a.sh:3 {SWALLOWING}",
    ),
    (  # every file healthy, but without -e the loop's status is its last iteration's: a.sh's failure is lost
        "./ci/run",
        {"ci/run": '#!/bin/sh\nfor f in tests/*.sh; do sh "$f"; done\n', "tests/a.sh": CARRIES, "tests/b.sh": CARRIES},
        'runs ci/run: ci/run:2 `sh "$f"` fails unseen: it runs in a loop and without -e',
    ),
]
BROKEN_IDS = [
    "bash-each",
    "or-exit",
    "make-each-folder",
    "after-cd",
    "hidden-named",
    "braces-then-glob",
    "braces",
    "in-a-script",
    "in-a-recipe",
    "script-without-e",
]

#: Healthy twins: every file the glob matches keeps its failure (a swallowing one the glob does not match is not run).
HEALTHY = [
    ('for f in tests/*.sh; do bash "$f"; done', {"tests/a.sh": CARRIES, "tests/b.sh": CARRIES}),
    (
        'for s in scripts/test-*.sh; do "$s" || exit 1; done',
        {"scripts/test-a.sh": CARRIES, "scripts/test-b.sh": CARRIES, "scripts/lint.sh": SWALLOWS},
    ),
    (
        'for d in suites/*/; do make -C "$d" test; done',
        {"suites/a/Makefile": "test:\n\tpytest\n", "suites/b/Makefile": "test:\n\tpytest\n", "suites/c": ""},
    ),
    ('cd ci && for f in *.sh; do bash "$f"; done', {"ci/a.sh": CARRIES, "b.sh": SWALLOWS}),
    ("make -C ci test", {"ci/Makefile": MAKEFILE_LOOP, "ci/t/a.sh": CARRIES, "t/a.sh": SWALLOWS}),
    ('for f in tests/*.sh; do bash "$f"; done', {"tests/a.sh": CARRIES, "tests/.wip.sh": SWALLOWS}),  # hidden
    ('for f in tests/*.sh; do bash "$f"; done', {"tests/a.sh": CARRIES, "tests/sub/b.sh": SWALLOWS}),  # no globstar
    ('for f in tests/{unit,e2e}/*.sh; do bash "$f"; done', {"tests/unit/a.sh": CARRIES, "tests/e2e/b.sh": CARRIES}),
    (
        "./ci/run",
        {"ci/run": '#!/bin/bash -e\nfor f in tests/*.sh; do\n  bash "$f"\ndone\n', "tests/b.sh": CARRIES},
    ),
    # nullglob off: nothing matches, the word itself runs, no file of the tree (the step fails where it runs it)
    ('for f in tests/*.py; do bash "$f"; done', {"tests/a.sh": SWALLOWS}),
]
HEALTHY_IDS = [
    "bash-each",
    "or-exit",
    "make-each-folder",
    "after-cd",
    "in-a-recipe",
    "hidden-not-matched",
    "no-globstar",
    "braces-then-glob",
    "in-a-script",
    "no-match",
]


def _runs(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]


@pytest.mark.parametrize(("run_", "files", "culprit"), BROKEN, ids=BROKEN_IDS)
def test_a_swallowing_file_a_for_glob_runs_makes_the_run_red(
    github: FakeGitHub, run_: str, files: dict[str, str], culprit: str
) -> None:
    _runs(github)
    with_test_step(github, 8, run_, files)
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "run #8 (", f"{GUARD_PATH} at {sha(8)[:12]}: jobs/test/steps/2/run", culprit)
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize(("run_", "files"), HEALTHY, ids=HEALTHY_IDS)
def test_a_for_glob_whose_files_all_keep_their_failure_is_green_not_an_error(
    github: FakeGitHub, run_: str, files: dict[str, str]
) -> None:
    _runs(github)
    with_test_step(github, 8, run_, files)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    read = outcome.details["github"]["workflow_files"]["run #8"]
    assert read["unfollowed"] == []
    assert any(name.startswith("`") and "expanded over the tree" in note for name, note in read["scripts"].items())


def test_a_quoted_star_is_no_glob(github: FakeGitHub) -> None:
    """``'tests/*.sh'`` is the file of that name, as bash runs it; no tree is read for it."""
    _runs(github)
    run_ = "for f in 'tests/*.sh'; do bash \"$f\"; done"
    with_test_step(github, 8, run_, {"tests/a.sh": SWALLOWS, "tests/*.sh": CARRIES})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    scripts = outcome.details["github"]["workflow_files"]["run #8"]["scripts"]
    assert scripts["tests/*.sh"] == "judged as `bash tests/*.sh`"
    assert not any("expanded" in note for note in scripts.values())
    assert not [r for r in github.requests if "/git/trees/" in r["path"]]


def test_a_glob_matching_nothing_runs_the_word_itself(github: FakeGitHub) -> None:
    """``nullglob`` off: ``tests/*.py`` stays ``tests/*.py``, which the evidence says is no file of the tree."""
    _runs(github)
    with_test_step(github, 8, 'for f in tests/*.py; do bash "$f"; done', {"tests/a.sh": SWALLOWS})
    scripts = ask(github, sha(9)).details["github"]["workflow_files"]["run #8"]["scripts"]
    assert scripts["`tests/*.py`"].endswith("expanded over the tree (line 1): tests/*.py")
    assert scripts["tests/*.py"].startswith("not in the tree")


def test_the_tree_is_read_once_per_commit_and_only_for_a_glob(github: FakeGitHub) -> None:
    _runs(github)
    step = 'for f in tests/*.sh; do bash "$f"; done'
    with_test_step(github, 8, f'{step}\n          for f in ci/*.sh; do bash "$f"; done', {"tests/a.sh": CARRIES})
    assert ask(github, sha(9)).status is Status.PASSED
    trees = [r["path"] for r in github.requests if "/git/trees/" in r["path"]]
    assert trees == [f"/repos/{REPO}/git/trees/{sha(8)}"]  # not sha(9)'s nor sha(7)'s: no glob there


#: Globs nobody can expand: not proven red, not green.
UNEXPANDABLE = [
    ('for f in "$DIR"/*.sh; do bash "$f"; done', "DIR: ${{ inputs.dir }}", False),
    ('for f in tests/*.sh; do bash "$f"; done', "", True),  # GitHub's tree cut short: the listing is not whole
    ('cd "$DIR" && for f in *.sh; do bash "$f"; done', "DIR: ${{ inputs.dir }}", False),
]


@pytest.mark.parametrize(("run_", "env", "truncated"), UNEXPANDABLE, ids=["variable", "truncated-tree", "after-cd"])
def test_a_glob_nobody_can_expand_is_still_an_error(github: FakeGitHub, run_: str, env: str, truncated: bool) -> None:
    _runs(github)
    github.tree_truncated = truncated
    with_test_step(github, 8, run_, {"tests/a.sh": CARRIES, "a.sh": CARRIES}, env=env)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(outcome, "run #8: ", "`bash $f` runs `$f`, a file in a folder only the run knows")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_real_bash_runs_what_the_glob_names_and_a_loop_without_e_loses_all_but_the_last(tmp_path: Path) -> None:
    """What the cases above rest on: bash's loop runs the hidden file only when named, sorted, and the word itself
    when nothing matches; without -e the loop's status is its last command's."""
    (tmp_path / "tests").mkdir()
    for name, status in (("a.sh", 3), ("b.sh", 0), (".wip.sh", 5)):
        (tmp_path / "tests" / name).write_text(f"echo {name}; exit {status}\n")

    def bash(*options: str, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", *options, "-c", script], cwd=tmp_path, capture_output=True, text=True)

    each = bash(script='for f in tests/*.sh; do bash "$f"; done')
    assert (each.stdout.split(), each.returncode) == (["a.sh", "b.sh"], 0)  # a.sh's 3 lost
    assert bash("-e", script='for f in tests/*.sh; do bash "$f"; done').returncode == 3
    assert bash(script='for f in tests/*.sh; do bash "$f" || exit 1; done').returncode == 1
    literal = bash(script='for f in tests/*.py; do echo "$f"; done')
    assert literal.stdout.split() == ["tests/*.py"]
