"""How a ``make`` call is read (lakehouse.makefiles): which Makefile, folder, targets and flags it means."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.makefiles import (
    default_goal,
    is_make,
    make_flags_ignore_errors,
    makefile_masking,
    makefile_shell,
    parse_make,
)


def test_a_make_call_is_read_for_its_folder_file_targets_and_variables() -> None:
    call = parse_make(["-C", "ci", "-j4", "--no-print-directory", "-ffoo.mk", "SHELL=/bin/bash", "unit", "lint"])
    assert (call.directory, call.file, call.targets, call.assignments) == (
        "ci",
        "foo.mk",
        ("unit", "lint"),
        ("SHELL=/bin/bash",),
    )
    assert not call.ignores_errors and not call.runs_no_recipe and not call.same_makefile
    assert parse_make(["--directory=sub", "-j", "2", "test"]).targets == ("test",)
    assert parse_make(["-ki", "test"]).ignores_errors and parse_make(["MAKEFLAGS=-i", "test"]).ignores_errors
    assert not parse_make(["-Iinclude", "-fci.mk"]).ignores_errors  # the i of an option's argument
    assert parse_make(["-n", "test"]).runs_no_recipe and parse_make(["--dry-run"]).runs_no_recipe
    assert parse_make(["-C", ".", "policy"]).same_makefile
    assert all(is_make(w) for w in ("make", "gmake", "/usr/bin/make", "$(MAKE)", "${MAKE}", "${MAKE:-make}"))
    assert not any(is_make(w) for w in ("./make", "cmake", "make.sh"))


def test_the_default_goal_is_the_first_rule_or_default_goal() -> None:
    assert default_goal(".PHONY: all\nVAR := x\n%.o: %.c\n\tcc\nall: test\ntest:\n\tpytest\n") == "all"
    assert default_goal("all:\n\techo\n.DEFAULT_GOAL := test\ntest:\n\tpytest\n") == "test"
    assert default_goal("# nothing\n") is None
    assert default_goal("test:: ; pytest\n") == "test" and default_goal("t: ;X=1 pytest\n") == "t"
    assert default_goal("t: X = a;b\ntest: ; pytest\n") == "test"  # a target's value is no rule


def test_makeflags_and_command_line_shellflags_change_what_a_failure_does() -> None:
    assert makefile_masking("MAKEFLAGS += -i\ntest:\n\tpytest\n", ["test"]) == [
        "Makefile, line 1 sets MAKEFLAGS with -i: make ignores every failure of its recipes"
    ]
    assert makefile_masking("MAKEFLAGS += --no-print-directory -j4\ntest:\n\tpytest\n", ["test"]) == []
    strict = ".SHELLFLAGS := -ec\n"
    assert makefile_shell(strict).errexit and not makefile_shell(strict, [".SHELLFLAGS=-c"]).errexit
    assert makefile_shell("override " + strict, [".SHELLFLAGS=-c"]).errexit  # override wins over the command line


def test_include_lines_name_the_files_make_reads_in_their_place() -> None:
    from lakehouse.makefiles import included

    assert included("include ci/a.mk b.mk # the rest") == ["ci/a.mk", "b.mk"]
    assert included("-include local.mk") == ["local.mk"] and included("sinclude x.mk") == ["x.mk"]
    assert included("include $(wildcard mk/*.mk) mk/*.mk") == []  # the run's values
    assert included("\tinclude x.mk") == [] and included("includes := x") == []


def test_a_target_specific_shellflags_is_the_one_its_recipes_and_prerequisites_run_under() -> None:
    lax = ".SHELLFLAGS := -ec\ntest: .SHELLFLAGS := -c\ntest: unit\n\tpytest; echo done\nunit:\n\tpytest t/unit; echo\n"
    problems = makefile_masking(lax, ["test"])
    assert [p.split(" `")[0] for p in problems] == [
        "Makefile, line 4 (target 'test')",
        "Makefile, line 6 (target 'unit')",
    ]
    assert "without -e (make runs `/bin/sh -c`)" in problems[1]
    assert makefile_masking(lax, ["unit"]) == []  # reached by itself: the Makefile's -ec
    strict = ".SHELLFLAGS := -eu -o pipefail -c\ntest: SHELL := /bin/bash\ntest:\n\tpytest | tee log; echo done\n"
    assert makefile_masking(strict, ["test"]) == []


def test_makeflags_in_the_environment_ignores_errors_with_i_not_with_k() -> None:
    assert all(make_flags_ignore_errors(v) for v in ("-i", "i", "ik", "-ki", "--ignore-errors", "-j2 -i"))
    assert not any(make_flags_ignore_errors(v) for v in ("-k", "k", "--no-print-directory -j4", "-I inc", ""))


# Each fixture below was run with GNU make 4.3 (`make -f fx.mk test`, a `pytest` that fails): the comment says what it
# did. A broken case is one where the failing test left make green.


def test_a_rule_line_of_a_branch_not_taken_does_not_take_the_recipe_lines_after_it() -> None:
    # make: `ifeq (a,b)` skips `skipped:`, so the line after `endif` is test's recipe: `pytest tests || true`, green
    broken = "test:\nifeq (a,b)\nskipped:\nendif\n\tpytest tests || true\n"
    problems = makefile_masking(broken, ["test"])
    assert len(problems) == 1 and problems[0].startswith("Makefile, line 5 (target 'test') `pytest tests || true`")
    assert makefile_masking(broken.replace(" || true", ""), ["test"]) == []


def test_recipe_lines_of_a_branch_not_taken_or_of_a_define_body_are_not_run() -> None:
    # make runs `pytest tests` (exit 2): the `|| true` line is in the branch not taken, or only a variable's value
    healthy = "test:\nifeq (a,b)\n\tpytest tests || true\nelse\n\tpytest tests\nendif\n"
    assert makefile_masking(healthy, ["test"]) == []
    assert makefile_masking("test:\n\tpytest tests\ndefine RUN\n\tpytest tests || true\nendef\n", ["test"]) == []
    taken = healthy.replace("ifeq (a,b)", "ifeq (a,a)")  # the `|| true` branch taken: make is green
    assert [p.split(" `")[0] for p in makefile_masking(taken, ["test"])] == ["Makefile, line 3 (target 'test')"]


def test_the_default_goal_is_a_rule_make_reads() -> None:
    # `make` runs `ci` (`pytest tests || true`, green): `all` is in a branch not taken, or in a define body
    for hidden in ("ifeq (a,b)\nall:\n\tpytest tests\nendif\n", "define HELP\nall:\n\tpytest tests\nendef\n"):
        makefile = hidden + "ci:\n\tpytest tests || true\n"
        assert default_goal(makefile) == "ci"
    assert default_goal("test: X = 1\nci:\n\tpytest\ntest:\n\tpytest\n") == "ci"  # a target's value is no rule
    assert default_goal("ifeq (a,a)\nall:\n\tpytest tests\nendif\nci:\n\tpytest tests || true\n") == "all"


def test_shell_values_and_special_targets_of_a_branch_not_taken_do_not_count() -> None:
    # make runs `/bin/sh -c 'pytest tests; echo done'` (green): the -ec is in a branch not taken
    broken = "ifeq (a,b)\n.SHELLFLAGS := -ec\nendif\ntest:\n\tpytest tests; echo done\n"
    assert [p.split(" `")[0] for p in makefile_masking(broken, ["test"])] == ["Makefile, line 5 (target 'test')"]
    assert makefile_masking(broken.replace("(a,b)", "(a,a)"), ["test"]) == []
    # .ONESHELL not taken: each line its own shell, make stops at pytest's failure (exit 2)
    assert makefile_masking("ifeq (a,b)\n.ONESHELL:\nendif\ntest:\n\tpytest tests\n\techo done\n", ["test"]) == []
    assert makefile_masking("ifeq (a,b)\nMAKEFLAGS += -i\nendif\ntest:\n\tpytest\n", ["test"]) == []


def test_rules_an_eval_makes_are_read_in_its_place() -> None:
    # make: `$(eval $(call RULE,test))` makes `test:` with `pytest tests || true` (green)
    broken = "define RULE\n$(1):\n\tpytest tests || true\nendef\n$(eval $(call RULE,test))\n"
    problems = makefile_masking(broken, ["test"])
    assert [p.split(" `")[0] for p in problems] == ["Makefile, line 5 (target 'test')"]
    assert makefile_masking(broken.replace(" || true", ""), ["test"]) == []
    # make: the foreach's evals make `unit:` and `lint:`, each `pytest <t> || true` (green)
    looped = "define RULE\n$(1):\n\tpytest $(1) || true\nendef\n$(foreach t,unit lint,$(eval $(call RULE,$(t))))\n"
    found = makefile_masking(looped + "test: unit lint\n", ["test"])
    assert [p.split(" `")[0] for p in found] == ["Makefile, line 5 (target 'unit')", "Makefile, line 5 (target 'lint')"]
    unknown: list[str] = []
    assert makefile_masking("$(eval $(shell cat rules.mk))\ntest:\n\tpytest\n", ["test"], unknown=unknown.append) == []
    assert unknown == [
        "Makefile, line 1 `$(eval $(shell cat rules.mk))`: "
        "rules made by $(eval) of a value only the run knows, not read"
    ]


def test_a_targets_values_hold_for_the_prerequisites_made_for_it_unless_private() -> None:
    # make test: unit runs `pytest tests || true` (green); with `private`, `pytest tests` (exit 2)
    broken = "test: unit\ntest: OR_TRUE = || true\nunit:\n\tpytest tests $(OR_TRUE)\n"
    assert [p.split(" `")[0] for p in makefile_masking(broken, ["test"])] == ["Makefile, line 4 (target 'unit')"]
    assert makefile_masking(broken.replace("OR_TRUE =", "private OR_TRUE ="), ["test"]) == []
    assert makefile_masking(broken, ["unit"]) == []  # reached by itself: no OR_TRUE


def test_a_shell_that_runs_nothing_is_reported_also_through_a_variable_or_a_parent_target() -> None:
    # make test: `/bin/true -c 'pytest tests'` runs nothing, green
    for broken, line in (
        ("TRUE = /bin/true\nSHELL = $(TRUE)\ntest:\n\tpytest tests\n", 4),
        ("test: unit\ntest: SHELL := /bin/true\nunit:\n\tpytest tests\n", 4),
    ):
        problems = makefile_masking(broken, ["test"])
        assert len(problems) == 1, problems
        assert problems[0].startswith(f"Makefile, line {line} (target ") and "`/bin/true -c`" in problems[0]
    # healthy: bash through variables and `env`, -eu -o pipefail: make fails with pytest (exit 2)
    strict = "BASH := /bin/bash\nSTRICT = -eu -o pipefail -c\nSHELL = $(BASH)\n.SHELLFLAGS = $(STRICT)\n"
    assert makefile_masking(strict + "test:\n\tpytest tests | tee log\n", ["test"]) == []
    env = "SHELL := /usr/bin/env bash\n.SHELLFLAGS := -eo pipefail -c\ntest:\n\tpytest tests | tee log\n"
    assert makefile_masking(env, ["test"]) == []
    assert makefile_shell(strict).pipefail and makefile_shell(strict).bash
    unknown: list[str] = []  # `$(shell which bash)`: only the run knows which program runs the recipes
    assert makefile_masking("SHELL := $(shell which bash)\ntest:\n\tpytest\n", ["test"], unknown=unknown.append) == []
    assert unknown == ["Makefile, line 3 (target 'test') runs under `${shell} -c`, a shell only the run knows"]


def test_a_rule_line_under_a_condition_not_decided_may_or_may_not_end_the_recipe_above() -> None:
    # make without CI in its environment: `other:` is skipped, `pytest tests || true` is test's recipe (green)
    broken = "test:\nifdef CI\nother:\nendif\n\tpytest tests || true\n"
    assert [p.split(" `")[0] for p in makefile_masking(broken, ["test"])] == ["Makefile, line 5 (target 'test')"]
    assert makefile_masking(broken.replace(" || true", ""), ["test"]) == []


#: The broken fixtures above, each with the targets make is called with: GNU make, with a `pytest` that fails, is green.
BROKEN = {
    "false-branch-rule": ("test:\nifeq (a,b)\nskipped:\nendif\n\tpytest tests || true\n", ["test"]),
    "taken-branch": ("test:\nifeq (a,a)\n\tpytest tests || true\nelse\n\tpytest tests\nendif\n", ["test"]),
    "goal-after-define": ("define HELP\nall:\n\tpytest tests\nendef\nci:\n\tpytest tests || true\n", []),
    "goal-after-false-branch": ("ifeq (a,b)\nall:\n\tpytest tests\nendif\nci:\n\tpytest tests || true\n", []),
    "shellflags-not-taken": ("ifeq (a,b)\n.SHELLFLAGS := -ec\nendif\ntest:\n\tpytest tests; echo done\n", ["test"]),
    "eval": ("define RULE\n$(1):\n\tpytest tests || true\nendef\n$(eval $(call RULE,test))\n", ["test"]),
    "inherited-value": ("test: unit\ntest: OR_TRUE = || true\nunit:\n\tpytest tests $(OR_TRUE)\n", ["test"]),
    "inherited-shell": ("test: unit\ntest: SHELL := /bin/true\nunit:\n\tpytest tests\n", ["test"]),
    "shell-variable": ("TRUE = /bin/true\nSHELL = $(TRUE)\ntest:\n\tpytest tests\n", ["test"]),
    "noexec-flags": (".SHELLFLAGS := -nc\ntest:\n\tpytest tests\n", ["test"]),
    "noexec-option": (".SHELLFLAGS := -o noexec -c\ntest:\n\tpytest tests\n", ["test"]),
    "undecided-rule": ("test:\nifdef CI\nother:\nendif\n\tpytest tests || true\n", ["test"]),
    # a recipe on the rule's own line (`targets : prerequisites ; recipe`) is the rule's first recipe line
    "inline-or-true": ("test: ; pytest tests || true\n", ["test"]),
    "inline-default-goal": ("test: ; pytest tests || true\n", []),
    "inline-dash": ("test: ; -pytest tests\n", ["test"]),
    "inline-dash-variable": ("PYTEST = pytest\ndeps:\ntest: deps ; -$(PYTEST) tests\n", ["test"]),
    "inline-continued": ("test: \\\n  ; pytest tests || \\\n\ttrue\n", ["test"]),
    "inline-no-blank": ("test: ;X=1 pytest tests || true\n", ["test"]),  # a recipe, not `test: ;X = ...`
    "inline-double-colon": ("test:: ; pytest tests || true\ntest:: ; echo done\n", ["test"]),
    "double-colon": ("test::\n\tpytest tests || true\n", ["test"]),
    "inline-static-pattern": ("OBJS = test\ntest.c:\n$(OBJS): %: %.c ; pytest tests || true\n", ["test"]),
    "inline-expanded-semicolon": ("SEMI := ;\ntest: $(SEMI) pytest tests || true\n", ["test"]),
    "blank-between-prefixes": ("test:\n\t@ -pytest tests\n", ["test"]),
}
#: Their healthy twins: make fails with pytest.
HEALTHY = {
    "false-branch-recipe": ("test:\nifeq (a,b)\n\tpytest tests || true\nelse\n\tpytest tests\nendif\n", ["test"]),
    "define-body-recipe": ("test:\n\tpytest tests\ndefine RUN\n\tpytest tests || true\nendef\n", ["test"]),
    "oneshell-not-taken": ("ifeq (a,b)\n.ONESHELL:\nendif\ntest:\n\tpytest tests\n\techo done\n", ["test"]),
    "private-value": ("test: unit\ntest: private OR_TRUE = || true\nunit:\n\tpytest tests $(OR_TRUE)\n", ["test"]),
    "shell-through-variables": (
        "BASH := /bin/bash\nSTRICT = -eu -o pipefail -c\nSHELL = $(BASH)\n.SHELLFLAGS = $(STRICT)\n"
        "test:\n\tpytest tests | tee log\n",
        ["test"],
    ),
    "flags-with-o-pipefail": (
        "SHELL := /bin/bash\n.SHELLFLAGS := -eu -o pipefail -c\ntest:\n\tpytest tests | tee log\n",
        ["test"],
    ),
    "eval-strict": ("define RULE\n$(1):\n\tpytest tests\nendef\n$(eval $(call RULE,test))\n", ["test"]),
    "inline-strict": ("test: ; pytest tests\n", ["test"]),
    "inline-then-tab": ("test: ; @echo first\n\tpytest tests\n", ["test"]),
    "inline-shell-comment": ("test: ; pytest tests # || true\n", ["test"]),
    "inline-double-colon-strict": ("test:: ; pytest tests\n", ["test"]),
    # a `;` in a value, or after a rule's comment, starts no recipe
    "target-value-semicolon": ("test: NOTE = run; pytest tests || true\ntest:\n\tpytest tests\n", ["test"]),
    "value-semicolon": ("NOTE = run; pytest tests || true\ntest:\n\tpytest tests\n", ["test"]),
    "comment-semicolon": ("test: # then ; pytest tests || true\n\tpytest tests\n", ["test"]),
}


def _make_status(makefile: str, targets: list[str], tmp_path: Path) -> int:
    """``make <targets>``'s exit status with ``makefile``, where ``pytest`` always fails (and CI is not set)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "pytest").write_text("#!/bin/sh\necho failed; exit 1\n", encoding="utf-8")
    (bin_ / "pytest").chmod(0o755)
    (tmp_path / "Makefile").write_text(makefile, encoding="utf-8")
    env = {"PATH": f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    done = subprocess.run(["make", "-s", *targets], cwd=tmp_path, env=env, capture_output=True, timeout=30)
    return done.returncode


@pytest.mark.parametrize(("makefile", "targets"), BROKEN.values(), ids=BROKEN.keys())
def test_each_broken_makefile_is_red(makefile: str, targets: list[str]) -> None:
    assert makefile_masking(makefile, targets or [default_goal(makefile) or ""]) != []


@pytest.mark.parametrize(("makefile", "targets"), HEALTHY.values(), ids=HEALTHY.keys())
def test_each_healthy_twin_stays_green(makefile: str, targets: list[str]) -> None:
    assert makefile_masking(makefile, targets or [default_goal(makefile) or ""]) == []


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


@needs_make
@pytest.mark.parametrize(("makefile", "targets"), BROKEN.values(), ids=BROKEN.keys())
def test_gnu_make_is_green_with_a_failing_test_under_each_broken_makefile(
    makefile: str, targets: list[str], tmp_path: Path
) -> None:
    assert _make_status(makefile, targets, tmp_path) == 0


@needs_make
@pytest.mark.parametrize(("makefile", "targets"), HEALTHY.values(), ids=HEALTHY.keys())
def test_gnu_make_fails_with_a_failing_test_under_each_healthy_twin(
    makefile: str, targets: list[str], tmp_path: Path
) -> None:
    assert _make_status(makefile, targets, tmp_path) != 0
