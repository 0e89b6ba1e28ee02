"""``lakehouse.shellglob`` expands a ``for`` word as real bash does, over a checkout on disk and over a git tree's list.

Each pattern is expanded by bash itself (``for w in PATTERN; do echo "$w"; done`` in a folder holding the tree, under
``C.UTF-8`` as GitHub's runners) and by the reader, from the checkout on disk and from the tree's file list: all three
agree, hidden files, ``nullglob`` off, ``**`` without globstar, a trailing ``/`` and quoted characters included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.shellglob import braces, expand, unescape
from lakehouse.shellscripts import checkout_lister, tree_lister
from lakehouse.shellstatus import glob_pattern

TREE = [
    "tests/a.sh",
    "tests/b.sh",
    "tests/B.sh",
    "tests/.hidden.sh",
    "tests/sub/c.sh",
    "ci/Makefile",
    "e2e/Makefile",
    "docs/readme",
    "scripts/test-x.sh",
    "scripts/test-y.sh",
    "x.sh",
    ".ci/run",
]
#: (the word as written, the folder the loop runs in)
WORDS = [
    ("tests/*.sh", ""),
    ("tests/.*.sh", ""),
    ("tests/*", ""),
    ("*/", ""),
    ("*/Makefile", ""),
    ("tests/**/*.sh", ""),
    ("tests/*.py", ""),
    ("*.sh", "tests"),
    ("../scripts/test-*.sh", "tests"),
    ('"tests"/*.sh', ""),
    ("'*'.sh", ""),
    ("tests/\\*.sh", ""),
    ("tests/[ab].sh", ""),
    ("tests/[!a].sh", ""),
    ("tests/[^a].sh", ""),
    ("./tests/?.sh", ""),
    (".*/", ""),
    ("*", ""),
]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checkout")
    for path in TREE:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")
    return root


def _bash(word: str, folder: Path) -> list[str]:
    script = f'for w in {word}; do printf "%s\\n" "$w"; done'
    environment = {**os.environ, "LC_ALL": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("word", "here"), WORDS)
def test_the_reader_expands_a_word_as_bash_does(checkout: Path, word: str, here: str) -> None:
    expected = _bash(word, checkout / here)
    pattern = glob_pattern(word)
    assert expand(pattern, here, checkout_lister(checkout)) == expected
    assert expand(pattern, here, tree_lister(TREE)) == expected


@pytest.mark.parametrize(
    "pattern",
    ["../../*.sh", "/etc/*.conf", "~/*.sh", "tests/[[:alpha:]].sh"],
    ids=["leaves-the-tree", "absolute", "home", "posix-class"],
)
def test_what_the_reader_cannot_tell_is_none_never_a_guess(pattern: str) -> None:
    assert expand(pattern, "tests", tree_lister(TREE)) is None


def test_a_tree_that_cannot_be_listed_expands_nothing() -> None:
    assert expand("tests/*.sh", "", tree_lister(None)) is None


BRACES = [
    "tests/{a,b}.sh",
    "x{1..3}",
    "{a..c}y",
    "{,.}z",
    "a{b}",
    "{x,y{1,2}}",
    '"{a,b}"',
    "\\{a,b\\}",
    "{05..10..2}",
    "{3..1}",
    "{c..a}",
    "{1..a}",
    "a{,}b",
    "{unterminated",
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("word", BRACES)
def test_braces_expand_as_bash_expands_them_before_the_glob(tmp_path: Path, word: str) -> None:
    assert [unescape(p) for p in braces(glob_pattern(word))] == _bash(word, tmp_path)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_glob_inside_braces_is_expanded_per_alternative(checkout: Path) -> None:
    word = "{tests,scripts}/*.sh"
    words = [w for p in braces(glob_pattern(word)) for w in expand(p, "", tree_lister(TREE)) or []]
    assert words == _bash(word, checkout)
