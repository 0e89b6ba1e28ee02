"""Paths no commit has yet that a CODEOWNERS file must still give an owner, under a reviewed directory.

GitHub decides a pull request's code owners from the base branch's CODEOWNERS for every file the pull
request touches, new files included. So a file tree where every file has an owner proves nothing about
``/infra/scratch/`` (a rule naming no owner) or ``/infra/modules/x.tf`` (``/infra/*`` owns no nested file,
as GitHub documents): a pull request adding such a file merges with nobody's code-owner approval.

The probes: a new file in the directory, one in a new subdirectory, and for each rule that names no owner
a path under the directory its pattern matches (its wildcards filled with a name no commit has). Every
probe is a real path under the directory, so an unowned one is a real hole, whichever rule it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

#: A new file directly in a reviewed directory, and a new subdirectory.
PROBE_NAME = "a-new-file-no-commit-has-yet"
PROBE_DIR = "a-new-dir-no-commit-has-yet"
#: What a wildcard stands for in a path built from a pattern.
FILLER = "new-name-no-commit-has-yet"
#: Paths kept per (pattern token, prefix position): enough for every way a pattern meets a directory.
_KEEP = 8


def fixed_probes(directory: str) -> list[str]:
    """A new file in ``directory`` (``infra/``) and one in a new subdirectory of it."""
    return [directory + PROBE_NAME, f"{directory}{PROBE_DIR}/{PROBE_NAME}"]


def _tokens(glob: str) -> tuple[str, ...]:
    """``**``, ``*``, ``?`` and single literal characters (``[`` is literal: GitHub rejects ranges)."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append("**")
            i += 2
        else:
            out.append(glob[i])
            i += 1
    return tuple(out)


def _fill(tokens: tuple[str, ...]) -> str:
    return "".join(FILLER if t in ("*", "**") else "x" if t == "?" else t for t in tokens)


def _starting_with(tokens: tuple[str, ...], prefix: str) -> list[str]:
    """Strings the glob ``tokens`` matches that start with ``prefix`` (wildcards past it are ``FILLER``)."""

    @cache
    def walk(ti: int, pi: int, taking: bool) -> tuple[str, ...]:
        # ``taking``: the wildcard at ``ti`` has taken characters of the prefix, so it may end with it.
        if pi == len(prefix):
            done = [_fill(tokens[ti:])]
            return (*done, _fill(tokens[ti + 1 :])) if taking else tuple(done)
        if ti == len(tokens):
            return ()
        token, char = tokens[ti], prefix[pi]
        found: list[str] = []
        if token in ("*", "**"):
            if token == "**" or char != "/":
                found += [char + rest for rest in walk(ti, pi + 1, True)]  # the wildcard takes this character
            found += walk(ti + 1, pi, False)  # or nothing more
        elif token == char or (token == "?" and char != "/"):
            found += [char + rest for rest in walk(ti + 1, pi + 1, False)]
        return tuple(dict.fromkeys(found))[:_KEEP]

    return list(walk(0, 0, False))


def _globs(pattern: str) -> list[str]:
    """The pattern as globs from the repository's root: a bare name matches at any depth, and ``**/``
    also matches no directory at all (gitignore's rules, which GitHub's CODEOWNERS follows)."""
    core = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in core
    globs = [core] if anchored else [core, "**/" + core]
    globs += [g.replace("/**/", "/") for g in globs if "/**/" in g]
    globs += [g.removeprefix("**/") for g in globs if g.startswith("**/")]
    return list(dict.fromkeys(g for g in globs if g))


def rule_probes(pattern: str, directory: str) -> list[str]:
    """Paths under ``directory`` (``infra/``) that ``pattern`` (a CODEOWNERS pattern) matches, or would
    match for a directory of them: where a rule naming no owner takes ownership away."""
    dir_only = pattern.endswith("/")
    found: list[str] = []
    for glob in _globs(pattern):
        for prefix in (directory, directory.rstrip("/")):
            for path in _starting_with(_tokens(glob), prefix):
                if "//" in path or path.endswith("/"):
                    continue
                found += [f"{path}/{PROBE_NAME}"] if dir_only else [path, f"{path}/{PROBE_NAME}"]
    return [p for p in dict.fromkeys(found) if p.startswith(directory)]


def new_paths(directory: str, ownerless: Iterable[str], existing: Iterable[str]) -> list[str]:
    """The probes of ``directory`` (``infra/``) not already among the ``existing`` files, in a stable order."""
    probes = fixed_probes(directory) + [p for pattern in ownerless for p in rule_probes(pattern, directory)]
    have = set(existing)
    return [p for p in dict.fromkeys(probes) if p not in have]
