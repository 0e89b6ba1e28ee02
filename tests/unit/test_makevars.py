"""make's expansion of recipe lines (lakehouse.makevars), checked against GNU make itself (``make -n`` prints each
recipe line as it hands it to the shell), and what it cannot know written as a value of the run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.makefiles import makefile_masking
from lakehouse.makevars import MakeVariables
from lakehouse.shellscripts import ScriptFollower
from lakehouse.shellstatus import Shell, lost_failures

#: (a Makefile, its target ``t``'s recipe lines as GNU make hands them to the shell): variables of each flavour,
#: ``$$``, functions, automatic variables, conditionals, ``define``, substitution references, ``override``.
PARITY = [
    ('t:\n\techo "$$(pytest)" $$HOME $$$$\n', ['echo "$(pytest)" $HOME $$']),
    ("VENV := .venv\nBIN = $(VENV)/bin\nVENV := other\nt:\n\t$(BIN)/pytest\n", ["other/bin/pytest"]),
    ("A := $(B)x\nB = y\nC = $(B)x\nt:\n\t[$(A)] [$(C)]\n", ["[x] [yx]"]),
    ("X = a\nX += b\nY := c\nY += $(X)\nX += d\nt:\n\t$(X) / $(Y) / ${X}\n", ["a b d / c a b / a b d"]),
    ("P ?= p\nP ?= q\nt:\n\t$(P)\n", ["p"]),
    ("D := $$HOME\nE = $$(date)\nt:\n\techo $(D) $(E)\n", ["echo $HOME $(date)"]),
    ("t: a.c b.c a.c\n\techo $@ $< $^ $+ $(@D) $(@F)\n", ["echo t a.c a.c b.c a.c b.c a.c . t"]),
    (
        "S = a.c b.c\nt:\n\techo $(S:.c=.o) $(S:%.c=x/%.o) $(patsubst %.c,%.h,$(S))\n",
        ["echo a.o b.o x/a.o x/b.o a.h b.h"],
    ),
    (
        "W = x/a.sh y/b.sh\nt:\n\t$(notdir $(W)) $(dir $(W)) $(addprefix ./,$(W)) $(words $(W)) $(word 2,$(W))\n",
        ["a.sh b.sh x/ y/ ./x/a.sh ./y/b.sh 2 y/b.sh"],
    ),
    ("M = on\nt:\n\t$(if $(M),yes,no) $(if $(N),yes,no) $(or $(N),dflt) $(and $(M),last)\n", ["yes no dflt last"]),
    ("L = a b\nt:\n\t$(foreach d,$(L),$(d)/t.sh) $(call F,1,2)\nF = $(2)-$(1)\n", ["a/t.sh b/t.sh 2-1"]),
    ("X = 1\nifeq ($(X),1)\nY = one\nelse\nY = other\nendif\nt:\n\t$(Y)\n", ["one"]),
    ("ifdef NOPE\nY = a\nelse ifeq (a,b)\nY = b\nelse\nY = c\nendif\nt:\n\t$(Y)\n", ["c"]),
    ("ifneq \"a\" 'a'\nY = diff\nelse\nY = same\nendif\nt:\n\t$(Y)\n", ["same"]),
    ("define CMD\npytest -q\nendef\nt:\n\t$(CMD) tests\n", ["pytest -q tests"]),
    ("Q = @\nIGNORE = -\nt:\n\t$(Q)echo quiet\n", ["echo quiet"]),
    (
        "override O = mine\nt:\n\t$(O) $(subst a,b,aaa) $(strip  x   y ) $(filter %.sh,a.sh b.py)\n",
        ["mine bbb x y a.sh"],
    ),
    # the `;` of a target's value is the value's, and so is all after it, a `#` too (make puts it back uncut)
    ("X = g\nt: X = a;b # c\nt:\n\techo '$(X)'\n", ["echo 'a;b # c'"]),
    ("t:\n\t$(MAKE) -s other $(RM)\n", None),  # make -n prints $(MAKE) as it was called; checked below
]


def _make_n(makefile: str, tmp_path: Path) -> list[str]:
    (tmp_path / "Makefile").write_text(makefile, encoding="utf-8")
    for prerequisite in ("a.c", "b.c"):
        (tmp_path / prerequisite).touch()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(["make", "-n", "-s", "t"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _ours(makefile: str) -> list[str]:
    variables = MakeVariables(makefile, environment={"PATH": "/usr/bin"}, closed=True)
    lines = [line for line in makefile.split("\n") if line.startswith("\t")]
    rule = next(line for line in makefile.split("\n") if line.startswith("t:"))
    needs = rule.split(":", 1)[1].split()
    return [variables.recipe_line(line[1:], "t", needs).lstrip("@-+") for line in lines]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize(("makefile", "expected"), PARITY, ids=[str(i) for i in range(len(PARITY))])
def test_recipe_lines_expand_as_gnu_make_expands_them(
    makefile: str, expected: list[str] | None, tmp_path: Path
) -> None:
    if expected is None:
        assert _ours(makefile) == ["make -s other rm -f"]
        return
    assert _make_n(makefile, tmp_path) == expected  # the fixture says what GNU make does...
    assert _ours(makefile) == expected  # ...and the reader agrees


def test_what_only_the_run_knows_is_handed_on_as_a_value_of_the_run() -> None:
    makefile = (
        "OUT := $(shell git describe)\nNOW != date\nFILES = $(wildcard *.sh)\nifeq ($(shell uname),Linux)\n"
        "OS = linux\nendif\nDIR ?= ci\n"
    )
    closed = MakeVariables(makefile, closed=True)
    assert closed.recipe_line("$(OUT) $(NOW) $(FILES) $(OS) $(DIR) $(UNSET) $(HOME)", "t") == (
        "${shell} ${NOW} ${wildcard} ${OS} ci  ${HOME}"  # HOME: the runner's, never unset
    )
    # a caller that may set variables it does not show: DIR and UNSET may come from the environment
    assert MakeVariables(makefile).recipe_line("$(DIR)/t.sh $(UNSET)", "t") == "${DIR}/t.sh ${UNSET}"
    # the environment shown: its value (a Makefile's := wins over it), and a command line's wins over the Makefile's
    shown = MakeVariables("BIN := .venv/bin\n", ["SUITE=unit", "X=$Y"], {"DIR": "ci", "BIN": "/x"}, closed=True)
    assert shown.recipe_line("$(DIR) $(BIN) $(SUITE) $(X)", "t") == "ci .venv/bin unit ${X}"
    assert MakeVariables("", curdir="sub").recipe_line("$(CURDIR)/t.sh", "t") == "$GITHUB_WORKSPACE/sub/t.sh"


def test_a_recipe_is_judged_as_make_hands_it_to_the_shell() -> None:
    """``$$`` is the shell's ``$``; a make variable that names a prefix or the command is replaced first."""
    shell = Shell(False, False, "caller", closed=True)
    lost = makefile_masking('test:\n\techo "$$(pytest tests)"\n', ["test"], caller=shell)
    assert lost and "`pytest tests` fails unseen" in lost[0] and "line 2" in lost[0]
    assert makefile_masking("test:\n\tout=$$(pytest tests)\n", ["test"], caller=shell) == []
    ignored = makefile_masking("IGNORE = -\ntest:\n\t$(IGNORE)pytest\n", ["test"], caller=shell)
    assert ignored == ["Makefile, line 3 (target 'test') starts with '-': make ignores its failure"]
    ored = makefile_masking("OR_TRUE = || true\ntest:\n\tpytest $(OR_TRUE)\n", ["test"], caller=shell)
    assert ored and "`pytest || true` succeeds whatever" in ored[0]
    # $(TESTS) names a prerequisite target: followed
    deps = makefile_masking("TESTS = unit\ntest: $(TESTS)\nunit:\n\t-pytest\n", ["test"], caller=shell)
    assert deps == ["Makefile, line 4 (target 'unit') starts with '-': make ignores its failure"]


@pytest.mark.parametrize(
    ("makefile", "call"),
    [
        ('export DIR := ci\ntest:\n\t"$$DIR/t.sh"\n', "make test"),
        ('DIR := ci\nexport DIR\ntest:\n\t"$$DIR/t.sh"\n', "make test"),
        ('export\nDIR = ci\ntest:\n\t"$$DIR/t.sh"\n', "make test"),
        ('export ROOT := $(CURDIR)\ntest:\n\t"$$ROOT/ci/t.sh"\n', "make test"),
        ('test:\n\t"$$DIR/t.sh"\n', "make DIR=ci test"),  # a command-line variable reaches the recipe's shell
    ],
    ids=["export-assignment", "export-name", "export-all", "curdir", "command-line"],
)
def test_a_variable_make_exports_names_the_folder_of_the_script_a_recipe_runs(makefile: str, call: str) -> None:
    """GNU make puts its exported variables (and the command line's) in the recipe's environment: ``$$DIR`` there is
    the folder the Makefile names, so the script is read (here it swallows its tests' failure: red)."""
    files = {"ci/t.sh": "#!/bin/bash\npytest || true\n", "Makefile": makefile}
    follower = ScriptFollower(files.get)
    found = lost_failures(call, Shell(True, False, "step", closed=True), follower.hook(origin="step"))
    assert [f.message for f in found] == [
        f"runs Makefile: Makefile, line {makefile.count(chr(10))} (target 'test') "
        f"`{makefile.splitlines()[-1].strip().replace('$$', '$')}` runs ci/t.sh: ci/t.sh:2 `pytest || true` succeeds "
        "whatever its command did: its `||` alternative `true` always succeeds"
    ]
    assert follower.unfollowed == []
    unexported = ScriptFollower({**files, "Makefile": 'DIR := ci\ntest:\n\t"$$DIR/t.sh"\n'}.get)
    assert lost_failures("make test", Shell(True, False, "step", closed=True), unexported.hook(origin="step")) == []
    assert unexported.unfollowed == ["step -> Makefile, line 3: `$DIR/t.sh` runs a file in a folder only the run knows"]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_a_target_specific_value_is_its_recipes_and_no_prerequisite(tmp_path: Path) -> None:
    makefile = "BIN := a\nX = x\nt: BIN := b\nt: X += y\nt:\n\t$(BIN) $(X)\n"
    assert _make_n(makefile, tmp_path) == ["b x y"]
    assert _ours(makefile) == ["b x y"]
    assert MakeVariables(makefile, closed=True).recipe_line("$(BIN) $(X)", "other") == "a x"
    # `t: BIN := b` names no prerequisite `BIN`, `:=` or `b`: nothing of it is followed as a target
    shell = Shell(False, False, "caller", closed=True)
    assert makefile_masking("t: BIN := b\nt:\n\tpytest\nb:\n\t-pytest\n", ["t"], caller=shell) == []


def test_a_value_only_make_knows_is_named_apart_from_the_shells_variable_of_that_name() -> None:
    """``DIR != pwd`` is make's; the step's ``DIR: ci`` is not what the recipe's ``$(DIR)`` is."""
    variables = MakeVariables("DIR != pwd\n", environment={"DIR": "ci"}, closed=True)
    assert variables.recipe_line("$(DIR)/t.sh", "t") == "${make_DIR}/t.sh"


def test_the_makefiles_own_folder_named_through_abspath_and_makefile_list_is_followed() -> None:
    """``ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))``, the common idiom: the Makefile's folder, from the
    checkout's root (``$GITHUB_WORKSPACE/sub/``), so the scripts the recipe runs there are read."""
    makefile = "ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))\ntest:\n\t$(ROOT)t.sh\n\t$(abspath ../ci/t.sh)\n"
    files = {"ci/t.sh": "#!/bin/bash\npytest || true\n", "sub/t.sh": "#!/bin/bash\npytest\n", "sub/Makefile": makefile}
    follower = ScriptFollower(files.get)
    found = lost_failures("make -C sub test", Shell(True, False, "step", closed=True), follower.hook(origin="step"))
    assert [f.message.split(" succeeds")[0] for f in found] == [
        "runs sub/Makefile: sub/Makefile, line 4 (target 'test') `$GITHUB_WORKSPACE/ci/t.sh` runs ci/t.sh: "
        "ci/t.sh:2 `pytest || true`"
    ]
    assert follower.notes["sub/t.sh"].startswith("judged") and follower.unfollowed == []


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize(("makefile", "lost"), [("IGNORE = -\nt:\n\t$(IGNORE)false\n", True), ("t:\n\tfalse\n", False)])
def test_a_prefix_a_variable_gives_is_read_as_gnu_make_reads_it(makefile: str, lost: bool, tmp_path: Path) -> None:
    """make reads ``-``/``@``/``+`` after expanding the line: ``$(IGNORE)false`` with ``IGNORE = -`` is ignored."""
    (tmp_path / "Makefile").write_text(makefile, encoding="utf-8")
    done = subprocess.run(["make", "-s", "t"], cwd=tmp_path, capture_output=True, timeout=30)
    assert (done.returncode == 0) is lost
    found = makefile_masking(makefile, ["t"], caller=Shell(False, False, "caller", closed=True))
    assert bool(found) is lost and all("starts with '-'" in f for f in found)


def test_a_semicolon_on_a_rule_line_starts_its_recipe_not_a_value() -> None:
    """``u: ;X=1 true`` is a rule whose first recipe line is ``X=1 true``: X keeps its value for ``u``."""
    variables = MakeVariables("X = g\nt: X = a;b\nu: ;X=1 true\n", closed=True)
    assert (variables.value("X", "t"), variables.value("X", "u")) == ("a;b", "g")
    assert variables.specific.get("u") is None
