"""How a ``make`` call is read (lakehouse.makefiles): which Makefile, folder, targets and flags it means."""

from __future__ import annotations

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
