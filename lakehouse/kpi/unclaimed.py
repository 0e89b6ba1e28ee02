"""Code a release ships that no distribution's metadata claims, so no SBOM can list it (KPI-sbom).

An SBOM lists distributions: what a ``.dist-info`` names. A package directory copied into site-packages,
or into the project's own package (``lakehouse/_vendor/requests/``), without its ``.dist-info`` ships its
code at a version nothing records, and every SBOM check by distribution passes over it.

- The environment: every code file (``.py``, ``.pyc``, extension modules, ``.pth``) in the interpreter's own
  site-packages must be a file some installed distribution's RECORD lists (``importlib.metadata``
  ``files``; ``top_level.txt`` for one without a RECORD). What none lists is named by its top-most
  directory that holds nothing any distribution claims.
- The wheel: its own RECORD lists everything in it, so the test is by kind instead: a package or module
  in a vendoring directory (``_vendor``, ``vendor``, ``third_party``...) or named as another installed
  distribution's import package (``yaml``, ``six``), unless a vendored ``.dist-info`` beside it claims it
  (those are listed as distributions: ``WheelContents.vendored``).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

from lakehouse.kpi.sbom import TOOL_DEADLINE_S, Distribution, ReleaseBuildError, WheelContents, niced, normalise

#: Directory names Python projects copy other projects' code into (pip, setuptools, botocore, urllib3...).
VENDOR_DIRS = frozenset(
    {"_vendor", "vendor", "_vendored", "vendored", "third_party", "thirdparty", "extern", "_extern"}
)
#: Files that run as code when the package (or, a ``.pth``, the interpreter) loads.
CODE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")

#: Run in the environment's own interpreter (stdlib only): its site-packages' code files no RECORD lists.
_SCAN = """
import importlib.metadata as m, json, os, sys, sysconfig
CODE = tuple(sys.argv[1:])  # the suffixes of files that run as code
sites = []
for key in ('purelib', 'platlib'):
    p = os.path.realpath(sysconfig.get_paths()[key])
    if os.path.isdir(p) and p not in sites:
        sites.append(p)
claimed, whole = set(), set()
for d in m.distributions():
    base = os.path.realpath(str(d.locate_file('')))
    for f in d.files or ():
        claimed.add(os.path.normpath(os.path.join(base, str(f))))
    if d.files is None:
        for name in (d.read_text('top_level.txt') or '').split():
            whole.add(os.path.join(base, name))
            claimed.add(os.path.join(base, name + '.py'))
found = []
for site in sites:
    dirs_claimed = set()
    for path in claimed:
        rel = os.path.relpath(path, site)
        parts = rel.split(os.sep)
        if parts[0] != '..':
            dirs_claimed |= {tuple(parts[:i]) for i in range(1, len(parts))}
    for root, dirs, files in os.walk(site):
        if any(root == w or root.startswith(w + os.sep) for w in whole):
            dirs[:] = []
            continue
        dirs[:] = [x for x in dirs if x != '__pycache__' and not x.endswith(('.dist-info', '.egg-info'))]
        for name in files:
            full = os.path.join(root, name)
            if not name.endswith(CODE) or full in claimed:
                continue
            parts = tuple(os.path.relpath(full, site).split(os.sep))
            top = next((parts[:i] for i in range(1, len(parts)) if parts[:i] not in dirs_claimed), parts)
            shown = os.path.join(site, *top) + (os.sep if top != parts else '')
            if shown not in found:
                found.append(shown)
print(json.dumps(sorted(found)))
"""


def unclaimed_in_environment(python: Path, nice: int = 0) -> list[str]:
    """Paths of code in ``python``'s site-packages that no installed distribution claims (a directory ends in /)."""
    proc = subprocess.run(
        niced([str(python), "-c", _SCAN, *CODE_SUFFIXES], nice), capture_output=True, text=True, timeout=TOOL_DEADLINE_S
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise ReleaseBuildError(f"{python} could not list the code its site-packages holds: {tail}")
    return [str(p) for p in json.loads(proc.stdout)]


def _claimed_by_vendored(zf: zipfile.ZipFile, members: list[str], vendored: list[str]) -> set[tuple[str, str]]:
    """(directory, import name) pairs a vendored ``.dist-info`` claims: its RECORD's and top_level.txt's
    top-level names in the directory it sits in, and its own name as an import name."""
    claimed: set[tuple[str, str]] = set()
    for metadata in vendored:
        info = PurePosixPath(metadata).parent
        where = str(info.parent) if str(info.parent) != "." else ""
        dist = info.name.removesuffix(".dist-info").rpartition("-")[0]
        names = {normalise(dist).replace("-", "_")}
        if f"{info}/top_level.txt" in members:
            names |= set(zf.read(f"{info}/top_level.txt").decode("utf-8").split())
        if f"{info}/RECORD" in members:
            for line in zf.read(f"{info}/RECORD").decode("utf-8").splitlines():
                first = PurePosixPath(line.split(",", 1)[0]).parts[:1]
                names |= {first[0].split(".")[0]} if first else set()
        claimed |= {(where, n) for n in names}
    return claimed


def unclaimed_in_wheel(wheel: Path, contents: WheelContents, installed: list[Distribution]) -> list[str]:
    """Packages or modules in the wheel that look copied from another project and that no vendored
    ``.dist-info`` claims, each as ``path (why)``; a directory ends in /."""
    other_names = {
        name: d.name for d in installed if d.key != contents.root.key for name in d.top_level if name.isidentifier()
    }
    found: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as zf:
        members = zf.namelist()
        claimed = _claimed_by_vendored(zf, members, list(contents.vendored))
    for member in members:
        parts = PurePosixPath(member).parts
        if not member.endswith(CODE_SUFFIXES) or any(p.endswith(".dist-info") for p in parts):
            continue
        if parts[0].endswith(".data") and len(parts) > 2:  # {name}.data/purelib/... installs at the top
            parts = parts[2:]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            name, parent = (part.split(".")[0] if last else part), "/".join(parts[:i])
            if name.startswith("__") or (parent, name) in claimed:
                break
            shown = "/".join(parts[: i + 1]) + ("" if last else "/")
            if i and parts[i - 1] in VENDOR_DIRS:
                found.setdefault(shown, f"in the vendoring directory {parts[i - 1]}/, no .dist-info beside it")
                break
            if name in other_names:
                found.setdefault(shown, f"named as {other_names[name]}'s import package {name!r}, no .dist-info")
                break
    return [f"{path} ({why})" for path, why in sorted(found.items())]
