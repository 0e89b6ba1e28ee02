"""Whether an ``actions/setup-python`` ``python-version`` gives the Python a tox env or nox session asks for.

tox (``py312``, ``basepython``) and nox (``python="3.12"``) skip, exiting 0, an env or session whose interpreter is
missing when told to (``lakehouse.shellscripts``), so exit check 3 needs to know whether the job's setup-python
installs that version. setup-python reads ``python-version`` as a node-semver version or range (its ``action.yml``:
"Version range or exact version of Python or PyPy to use, using SemVer's version range syntax"):

- an exact version (``3.12``, ``3.12.4``, ``3.12-dev``, ``3.13.0-alpha.1``, ``pypy3.10``, ``pypy-3.10-v7.3.x``):
  that version's minor, answered yes or no;
- a range (``3.x``, ``3``, ``>=3.10``, ``^3.10``, ``~3.12``, ``3.10 - 3.12``, ``<3.13 || 3.14``): no where the range
  excludes the version; yes where every version it admits is of that minor (``3.12.x``, ``~3.12``); otherwise
  ``None``, only the run knows. setup-python gives a range the newest matching version: its README says "The action
  will first check the local tool cache for a semver match", and its docs/advanced-usage.md calls ``3.x`` the way
  "to specify the latest stable version of Python (for specified major version)". Which 3.x that is depends on the
  day of the run and on the runner image's tool cache (``check-latest: false``, the default, keeps the cached one),
  neither of which the workflow names: no version is assumed for it (a fixed guess such as "3.x is 3.13" would pass a
  run made when it was 3.12, or on an image that lags);
- anything else (an expression): not this module's (``workflows.job_pythons``: None).

``python-version-file`` (used only when ``python-version`` is not given) is read from the commit
(:func:`version_file_pythons`) where its reading is the same in every setup-python release: a file that does not
exist fails the step (docs/advanced-usage.md, "Using the python-version-file input": "If the file that was supplied
to python-version-file input doesn't exist, the action will fail with error"), and a plain file (``.python-version``)
holding one version on one line gives that version (src/utils.ts: up to v5, ``getVersionInputFromPlainFile``, the
whole file trimmed; since v6 (#787), ``getVersionsInputFromPlainFile``, each line not empty nor ``#``, up to a
``/``). The rest is read differently by release or beyond this module, so it stays with the run: a plain file of
several lines, comments or a ``3.12/envs/x`` pointer (one version before v6, several since), ``.tool-versions``
(read as asdf's only since v5.5, #1043), ``pyproject.toml`` (PEP 440's ``requires-python`` turned into a node-semver
range: ``,`` made a space, ``semver.validRange(loose)``; PEP 440 is not node-semver) and ``Pipfile``.
"""

from __future__ import annotations

import posixpath
import re

#: A version with no upper bound (``>=3.10``).
_TOP = (10**6, 0, 0)
_PYPY = re.compile(r"^pypy-?(\d+)(?:\.(\d+))?(?:[-.].*)?$")
#: A version, maybe partial (``3``, ``3.12``, ``3.x``, ``3.12.4``), with a pre-release or ``-dev`` tail left out.
_PARTIAL = re.compile(r"^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?$")
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=|~>|~|\^)?\s*(.+)$")

Version = tuple[int, int, int]


def setup_gives(version: str, spec: str) -> tuple[bool | None, str]:
    """Whether setup-python's ``spec`` (one ``python-version`` item) installs ``version`` (what an env asks for:
    ``3.12``, ``pypy3.10``), and why when only the run knows (``None``) or the answer is no."""
    given = spec.strip().lower()
    if version.startswith("pypy") or given.startswith("pypy"):
        same = _PYPY.match(given)
        wanted = _PYPY.match(version)
        if same is None or wanted is None:
            return False, f"`{spec}` is not {version}"
        match = same.groups() == wanted.groups() or (wanted.group(2) is None and same.group(1) == wanted.group(1))
        return match, "" if match else f"`{spec}` is not {version}"
    wanted_minor = _minor(version)
    if wanted_minor is None:
        return None, f"{version} is no Python version this reader compares"
    alternatives = [_interval(part.strip()) for part in given.split("||")]
    if any(a is None for a in alternatives):
        return None, f"`{spec}`: a python-version this reader does not read"
    low, high = (wanted_minor[0], wanted_minor[1], 0), (wanted_minor[0], wanted_minor[1] + 1, 0)
    answers: list[bool | None] = []
    for interval in alternatives:
        assert interval is not None
        start, end = interval
        if max(start, low) >= min(end, high):
            answers.append(False)
        elif start >= low and end <= high:
            answers.append(True)
        else:
            answers.append(None)
    if True in answers:
        return True, ""
    if None in answers:
        return None, (
            f"`{spec}` is a range: setup-python installs the newest version of it the runner's tool cache holds "
            '(its README: "The action will first check the local tool cache for a semver match"), which only the run '
            f"knows (it may or may not be {version})"
        )
    return False, f"`{spec}` admits no {version}"


def _minor(version: str) -> tuple[int, int] | None:
    """``(3, 12)`` for ``3.12``; None for a version naming no minor."""
    match = re.fullmatch(r"(\d+)\.(\d+)", version.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _interval(text: str) -> tuple[Version, Version] | None:
    """The versions a node-semver range (one ``||`` alternative) admits as ``[start, end)``; None: not read."""
    hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", text)
    if hyphen:
        first, last = _partial(hyphen.group(1)), _partial(hyphen.group(2))
        if first is None or last is None:
            return None
        return _pad(first), _after(last)
    start, end = (0, 0, 0), _TOP
    for word in re.findall(r"(?:>=|<=|>|<|=|~>|~|\^)?\s*[^\s<>=~^]+", text):
        bound = _bounds(word.strip())
        if bound is None:
            return None
        start, end = max(start, bound[0]), min(end, bound[1])
    return start, end


def _bounds(word: str) -> tuple[Version, Version] | None:
    """``[start, end)`` of one comparator (``>=3.10``, ``~3.12``, ``^3.10``, ``3.x``, ``3.12``)."""
    match = _COMPARATOR.match(word)
    parts = _partial(match.group(2)) if match else None
    if match is None or parts is None:
        return None
    operator = match.group(1) or "="
    if operator == ">=":
        return _pad(parts), _TOP
    if operator == ">":
        return _after(parts), _TOP
    if operator == "<":
        return (0, 0, 0), _pad(parts)
    if operator == "<=":
        return (0, 0, 0), _after(parts)
    if operator in ("~", "~>"):
        return _pad(parts), (_after(parts[:2]) if len(parts) > 1 else _after(parts))
    if operator == "^":
        return _pad(parts), (parts[0] + 1, 0, 0)
    return _pad(parts), _after(parts)


def _partial(text: str) -> tuple[int, ...] | None:
    """The numbers a version names, up to its first wildcard (``3.x``: ``(3,)``); None: not a version."""
    match = _PARTIAL.fullmatch(text)
    if match is None:
        return None
    numbers: list[int] = []
    for part in match.groups():
        if part is None or not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers) if numbers else None


def _pad(parts: tuple[int, ...]) -> Version:
    """The first version ``parts`` names (``3.12``: 3.12.0)."""
    padded = (*parts, 0, 0, 0)
    return padded[0], padded[1], padded[2]


def _after(parts: tuple[int, ...]) -> Version:
    """The first version past every one ``parts`` names (``3.12``: 3.13.0; ``3``: 4.0.0; ``3.12.4``: 3.12.5)."""
    last = len(parts) - 1
    return _pad((*parts[:last], parts[last] + 1))


def version_file_pythons(path: str, text: str | None) -> tuple[tuple[str, ...] | None, str]:
    """The versions setup-python reads from its ``python-version-file`` ``path``, whose text (at the commit) is
    ``text`` (None: no such file); None, with why, when that is not the same in every release (module doc)."""
    if text is None:
        return None, (
            f'its python-version-file `{path}` is not in the commit: setup-python fails there ("The specified python '
            "version file at: ... doesn't exist\"), and what the job would run with only the run knows"
        )
    name = posixpath.basename(path)
    if path.endswith(".toml") or ".tool-versions" in path or "Pipfile" in path:
        return None, (
            f"its python-version-file `{path}` is a {name}: setup-python releases read it differently (or PEP 440's "
            "requires-python as a node-semver range), so which Python it sets up only the run knows"
        )
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) != 1 or not lines[0] or lines[0].startswith("#") or "/" in lines[0]:
        return None, (
            f"its python-version-file `{path}` is not one version on one line: setup-python before v6 reads the whole "
            "file as one version, v6 and later each line not empty nor a # comment, up to a `/`; which Python it sets "
            "up depends on the release, so only the run knows"
        )
    return (lines[0],), ""
