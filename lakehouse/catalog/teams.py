"""The catalog's Groups are the plan's teams: the owners the repository's CODEOWNERS names, each owning the
directories of the Components it owns.

The catalog only requires an owner to be a Group it defines, so a made-up Group (``group:default/nobody``) owned
everything and passed. The plan's teams are the ones whose approval GitHub requires (CODEOWNERS, plan 3.4), so:

- every Group names its GitHub team with Backstage's ``github.com/team-slug`` annotation (``<org>/<team>``, as
  Backstage's GitHub org provider writes it on the Groups it makes), and CODEOWNERS names that team as an owner
  (``@<org>/<team>``, compared case-blind as GitHub does);
- every Component names its directory with Backstage's ``backstage.io/source-location``
  (``url:https://<host>/<org>/<repo>/tree/<ref>/<path>/``), the repository has that directory, and the CODEOWNERS
  rule deciding a new file in it (the last that matches, as GitHub reads it) names the owner Group's team: a
  Component owned by a team that does not review its changes is owned in name only.

CODEOWNERS is the repository's own (the one catalog-info.yaml sits beside), in GitHub's order of places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lakehouse.catalog.model import Entity, reference
from lakehouse.catalog.repository import SOURCE_LOCATION, source_tree
from lakehouse.checks.codeowner_probes import PROBE_NAME
from lakehouse.checks.review import OwnerRule, owners_of, parse_codeowners, readable_rules
from lakehouse.github import CODEOWNERS_PATHS

#: Backstage's annotation naming a Group's GitHub team (``<org>/<team>``).
TEAM_SLUG = "github.com/team-slug"


@dataclass(frozen=True)
class CodeOwners:
    """The repository's CODEOWNERS: where it is and its rules (those whose pattern compiles)."""

    root: Path
    path: str
    rules: tuple[OwnerRule, ...]

    @property
    def teams(self) -> set[str]:
        """Every owner it names, lower case (``@org/team``)."""
        return {owner.lower() for rule in self.rules for owner in rule.owners}


def read_codeowners(root: Path) -> CodeOwners | None:
    """The CODEOWNERS GitHub uses in the repository at ``root`` (its first place that has one); None when none."""
    for place in CODEOWNERS_PATHS:
        file = root / place
        if file.is_file():
            rules, _ = readable_rules(parse_codeowners(file.read_text(encoding="utf-8")))
            return CodeOwners(root, place, tuple(rules))
    return None


def source_directory(entity: Entity) -> str | None:
    """The repository directory an entity's ``backstage.io/source-location`` names ("" for the root); None when it
    names none."""
    found = source_tree(entity)
    return found.path.strip("/") if found else None


def judge_teams(entities: Sequence[Entity], codeowners: CodeOwners | None) -> list[str]:
    """Every Group is a team CODEOWNERS names, and every Component's owner is the team CODEOWNERS gives its
    directory (owners that are no Group of the catalog are named by ``judge_ownership``)."""
    if codeowners is None:
        return [
            f"the repository has no CODEOWNERS ({', '.join(CODEOWNERS_PATHS)}): the catalog's Groups are tied to "
            "no team of the plan"
        ]
    groups = {e.ref: e for e in entities if e.kind == "Group"}
    problems = [problem for group in groups.values() if (problem := _group_problem(group, codeowners))]
    for entity in entities:
        owner = entity.spec.get("owner")
        group = groups.get(reference(entity, str(owner), "group") or "") if owner else None
        if entity.kind == "Component" and group is not None and TEAM_SLUG in group.annotations:
            problems += _component_problems(entity, group, codeowners)
    return problems


def _group_problem(group: Entity, codeowners: CodeOwners) -> str:
    slug = group.annotations.get(TEAM_SLUG, "").strip()
    if not slug:
        return (
            f"{group.ref} (line {group.line}) names no GitHub team (annotation {TEAM_SLUG}: <org>/<team>), so it is "
            f"no team of {codeowners.path}"
        )
    if f"@{slug.lower()}" not in codeowners.teams:
        named = " ".join(sorted(codeowners.teams)) or "no team"
        return (
            f"{group.ref} (line {group.line}) is GitHub team @{slug}, which {codeowners.path} names nowhere (it "
            f"names {named}): no team of the plan reviews what it owns"
        )
    return ""


def _component_problems(entity: Entity, group: Entity, codeowners: CodeOwners) -> list[str]:
    """Why ``group`` is not the team CODEOWNERS gives ``entity``'s directory (empty: it is)."""
    directory = source_directory(entity)
    where = f"{entity.ref} (line {entity.line})"
    if directory is None:
        return [
            f"{where} names no directory of the repository ({SOURCE_LOCATION}: url:https://<host>/<org>/<repo>/tree/"
            "<ref>/<path>/), so whether its owner reviews it cannot be told"
        ]
    if directory and not (codeowners.root / directory).is_dir():
        return [f"{where} names directory {directory}/ ({SOURCE_LOCATION}), which the repository does not have"]
    slug = group.annotations[TEAM_SLUG].strip()
    shown = f"{directory}/" if directory else "the repository's root"
    rule = owners_of(f"{directory}/{PROBE_NAME}" if directory else PROBE_NAME, codeowners.rules)
    if rule is None or not rule.owners:
        why = f"line {rule.line} `{rule.pattern}` names none" if rule else "no rule matches it"
        return [
            f"{where} is owned by {group.ref} (@{slug}), but {codeowners.path} gives {shown} no owner ({why}): "
            "its changes need no approval of its team"
        ]
    if f"@{slug.lower()}" not in {owner.lower() for owner in rule.owners}:
        return [
            f"{where} is owned by {group.ref} (@{slug}), but {codeowners.path} line {rule.line} `{rule.pattern}` "
            f"gives {shown} to {' '.join(rule.owners)}"
        ]
    return []
