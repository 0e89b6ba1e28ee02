"""Which repository this checkout is, and whether the catalog's source links name it.

Backstage ties a Component to its code with ``backstage.io/source-location``
(``url:https://<host>/<owner>/<name>/tree/<ref>/<dir>/``) and its GitHub plugins with ``github.com/project-slug``
(``<owner>/<name>``). Judging only the directory part passed a catalog whose Components point at another
repository: its "View source", its CI and its pull requests are that repository's, not this code's. So each is
matched against the repository the harness knows: the one the user names (``--github-repo`` /
``GITHUB_REPOSITORY``, as exit check 3 and KPI-sbom read it, on ``GITHUB_SERVER_URL``'s host, github.com by
default), else the checkout's ``origin`` remote. When neither says, the repository is unknown and the check states
that it cannot tell (:func:`unjudged_sources`), never passes the links unread.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lakehouse.catalog.model import Entity

#: Backstage's annotation naming where an entity's source is.
SOURCE_LOCATION = "backstage.io/source-location"
#: Backstage's GitHub plugins' annotation naming an entity's repository (``<owner>/<name>``).
PROJECT_SLUG = "github.com/project-slug"
#: A file or directory of a repository's tree as a URL: host, owner, name, ref, then the path.
_TREE = re.compile(
    r"^https?://(?P<host>[^/]+)/(?P<owner>[^/]+)/(?P<name>[^/]+)/(?:tree|blob)/(?P<ref>[^/]+)/(?P<path>.*)$"
)
#: A git remote: ``https://host/owner/name(.git)``, ``ssh://git@host(:port)/owner/name(.git)``, ``git@host:owner/name``.
_SCP_REMOTE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
GIT_TIMEOUT_S = 10
#: How the user names the repository (README, exit check 3).
NAMED_BY = "--github-repo or GITHUB_REPOSITORY"


@dataclass(frozen=True)
class Repository:
    """A repository as ``host`` and ``owner/name`` (``slug``), with how the harness came to know it."""

    host: str
    slug: str
    source: str

    def __str__(self) -> str:
        return f"{self.host}/{self.slug}"

    def names(self, host: str, slug: str) -> bool:
        """Whether ``host``/``slug`` is this repository (host and owner/name compare case-blind, as GitHub does)."""
        return host.lower() == self.host.lower() and _slug(slug).lower() == self.slug.lower()


@dataclass(frozen=True)
class TreeUrl:
    """A URL of a repository's tree (``.../tree/<ref>/<path>`` or ``.../blob/<ref>/<path>``)."""

    host: str
    slug: str
    ref: str
    path: str


def _slug(slug: str) -> str:
    return slug.removesuffix(".git").strip("/")


def tree_url(url: str) -> TreeUrl | None:
    """The repository, ref and path of a tree URL; None when it is not one."""
    found = _TREE.match(url)
    if found is None:
        return None
    return TreeUrl(found["host"].lower(), f"{found['owner']}/{found['name']}", found["ref"], found["path"])


def source_tree(entity: Entity) -> TreeUrl | None:
    """Where an entity's ``backstage.io/source-location`` points (a ``url:`` location reference, as Backstage parses
    it); None when it names no repository tree."""
    location = entity.annotations.get(SOURCE_LOCATION, "")
    return tree_url(location.removeprefix("url:")) if location.startswith("url:") else None


def from_remote(url: str, source: str) -> Repository | None:
    """The repository a git remote URL names; None when it names no ``host/owner/name`` (a local path)."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    elif found := _SCP_REMOTE.match(url):
        host, path = found["host"], found["path"]
    else:
        return None
    slug = _slug(path)
    if slug.count("/") != 1 or not all(slug.split("/")):
        return None
    return Repository(host.lower(), slug, source)


def origin_remote(root: Path) -> str | None:
    """The checkout's ``origin`` remote URL (None: no git, no such remote)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def known_repository(
    root: Path, github_repo: str | None, environ: Mapping[str, str] | None = None
) -> Repository | None:
    """The repository of the checkout at ``root``: the one the user names (``github_repo``, on ``GITHUB_SERVER_URL``'s
    host), else its ``origin`` remote; None when neither says."""
    env = os.environ if environ is None else environ
    if github_repo:
        host = urlsplit(env.get("GITHUB_SERVER_URL") or "https://github.com").hostname or "github.com"
        return Repository(host.lower(), _slug(github_repo), NAMED_BY)
    remote = origin_remote(root)
    return from_remote(remote, f"git remote origin of {root} ({remote})") if remote else None


def _components(entities: Sequence[Entity]) -> list[Entity]:
    return [
        e
        for e in entities
        if e.kind == "Component" and (SOURCE_LOCATION in e.annotations or PROJECT_SLUG in e.annotations)
    ]


def judge_sources(entities: Sequence[Entity], repository: Repository | None) -> list[str]:
    """Every Component's source location and project slug name ``repository``, and a directory inside it (a path
    with ``..`` leaves it); nothing to say when it is unknown (:func:`unjudged_sources` says that)."""
    problems = []
    for entity in _components(entities):
        where = f"{entity.ref} (line {entity.line})"
        location = entity.annotations.get(SOURCE_LOCATION)
        tree = source_tree(entity)
        if tree is not None and any(part in (".", "..") for part in tree.path.split("/")):
            problems.append(f"{where} names {location!r} ({SOURCE_LOCATION}), a path leaving its own directory")
        if repository is None:
            continue
        if tree is not None and not repository.names(tree.host, tree.slug):
            problems.append(
                f"{where} names source {location!r} ({SOURCE_LOCATION}) in repository {tree.host}/{tree.slug}, not "
                f"this one, {repository} ({repository.source}): its code, CODEOWNERS and reviews are another "
                "repository's"
            )
        slug = entity.annotations.get(PROJECT_SLUG)
        if slug is not None and _slug(slug).lower() != repository.slug.lower():
            problems.append(
                f"{where} names GitHub project {slug!r} ({PROJECT_SLUG}), not this repository, {repository.slug} "
                f"({repository.source}): its CI runs and pull requests are another repository's"
            )
    return problems


def unjudged_sources(entities: Sequence[Entity], repository: Repository | None) -> list[str]:
    """Why the Components' source links could not be matched with this repository (empty: they could)."""
    if repository is not None or not (named := _components(entities)):
        return []
    return [
        f"which repository this checkout is cannot be told (no {NAMED_BY}, no git remote origin), so whether "
        f"{', '.join(e.ref for e in named)} point at it ({SOURCE_LOCATION}, {PROJECT_SLUG}) cannot be either: "
        "name it with --github-repo OWNER/NAME"
    ]
