"""Checks of ``.github/``: every workflow and the composite action against GitHub's JSON schemas
(the copies vendored by check-jsonschema), plus the house rules the schemas cannot express.

Run by ``make lint`` (``python -m lakehouse.workflows``) and by the unit tests, so a broken
workflow fails before GitHub ever sees it. actionlint would check more (expressions, shell
scripts) but cannot be installed here; the schema plus these rules is the stand-in.

House rules:

- every ``uses:`` is a local path, or pinned: ``owner/repo[/path]@vN[.N...]`` or a full commit SHA
  (never a branch such as ``@main``), or ``docker://image:tag``;
- every workflow sets top-level ``permissions`` (the token gets only what it is granted);
- a job that assumes an AWS role through OIDC has ``id-token: write``;
- the five workflows of the design exist; ``guard.yml`` runs on pushes to ``main`` (exit check 3
  reads those runs); ``smoke.yml`` uploads ``reports/`` with ``if: always()``.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lakehouse.config import project_root

#: Workflows the design names (DESIGN.md, "Layout we aim for").
REQUIRED_WORKFLOWS = ("guard.yml", "smoke.yml", "infra.yml", "e2e.yml", "sbom.yml")
COMPOSITE_ACTION = Path(".github/actions/common/action.yml")
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
_DOCKER = re.compile(r"^docker://[^:@\s]+(:[^\s:]+|@sha256:[0-9a-f]{64})$")
_OIDC_ACTION = "aws-actions/configure-aws-credentials"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file; ``where`` is a path inside the document."""

    path: Path
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.message}" if self.where else f"{self.path}: {self.message}"


@functools.cache
def _validator(name: str) -> jsonschema.Draft7Validator:
    """GitHub's schema as check-jsonschema vendors it, read once per process (the workflow one is 118 KB)."""
    text = (resources.files("check_jsonschema.builtin_schemas.vendor") / f"{name}.json").read_text(encoding="utf-8")
    return jsonschema.Draft7Validator(json.loads(text))


def load_yaml(text: str) -> Any:
    """YAML 1.2, as GitHub reads it: ``on:`` stays a string key (PyYAML would make it ``True``)."""
    return YAML(typ="safe", pure=True).load(text)


def schema_problems(path: Path, document: Any, schema_name: str) -> list[Problem]:
    problems = []
    for error in sorted(_validator(schema_name).iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        problems.append(Problem(path, where, f"{error.message} (schema {schema_name})"))
    return problems


def _jobs(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, job) of each job that is a mapping; the schema check reports the others."""
    jobs = document.get("jobs")
    return [(str(k), j) for k, j in (jobs.items() if isinstance(jobs, dict) else []) if isinstance(j, dict)]


def _uses(document: Any) -> list[tuple[str, str]]:
    """(location, value) of every ``uses:`` in a workflow's jobs or a composite action's steps."""
    found: list[tuple[str, str]] = []
    if not isinstance(document, dict):
        return found
    for job_id, job in _jobs(document):
        if "uses" in job:  # a reusable workflow
            found.append((f"jobs/{job_id}/uses", str(job["uses"])))
        for i, step in enumerate(job.get("steps") or []):
            if isinstance(step, dict) and "uses" in step:
                found.append((f"jobs/{job_id}/steps/{i}/uses", str(step["uses"])))
    runs = document.get("runs")
    if isinstance(runs, dict):
        for i, step in enumerate(runs.get("steps") or []):
            if isinstance(step, dict) and "uses" in step:
                found.append((f"runs/steps/{i}/uses", str(step["uses"])))
    return found


def pinning_problems(path: Path, document: Any) -> list[Problem]:
    problems = []
    for where, value in _uses(document):
        if value.startswith("./") or _PINNED.match(value) or _DOCKER.match(value):
            continue
        problems.append(Problem(path, where, f"{value!r} is not pinned to a version tag (vN[.N.N]) or a commit SHA"))
    return problems


def _grants_id_token(permissions: Any) -> bool:
    return permissions == "write-all" or (isinstance(permissions, dict) and permissions.get("id-token") == "write")


def workflow_rule_problems(path: Path, document: Any) -> list[Problem]:
    """The house rules for one workflow file (see the module doc)."""
    if not isinstance(document, dict):
        return [Problem(path, "", "not a YAML mapping")]
    problems = pinning_problems(path, document)
    if "permissions" not in document:
        problems.append(Problem(path, "permissions", "missing: grant the GITHUB_TOKEN only what the jobs need"))
    for job_id, job in _jobs(document):
        steps = job.get("steps") or []
        assumes_role = any(isinstance(s, dict) and str(s.get("uses", "")).startswith(_OIDC_ACTION) for s in steps)
        granted = _grants_id_token(job.get("permissions", document.get("permissions")))
        if assumes_role and not granted:
            problems.append(Problem(path, f"jobs/{job_id}", "assumes an AWS role through OIDC without id-token: write"))
    if path.name == "guard.yml":
        push = (document.get("on") or {}).get("push") if isinstance(document.get("on"), dict) else None
        branches = push.get("branches", []) if isinstance(push, dict) else []
        if "main" not in branches:
            problems.append(Problem(path, "on/push/branches", "guard must run on pushes to main (exit check 3)"))
    if path.name == "smoke.yml" and not _uploads_reports_always(document):
        problems.append(
            Problem(path, "jobs", "no step uploads reports/ with actions/upload-artifact and `if: always()`")
        )
    return problems


def _uploads_reports_always(document: dict[str, Any]) -> bool:
    for _, job in _jobs(document):
        for step in job.get("steps") or []:
            if not isinstance(step, dict) or not str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                continue
            paths = str((step.get("with") or {}).get("path", "")).split()
            if any(p.rstrip("/") == "reports" for p in paths) and "always()" in str(step.get("if", "")):
                return True
    return False


def check_file(path: Path, kind: str) -> list[Problem]:
    """Schema and house rules for one file; ``kind`` is ``workflow`` or ``action``."""
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        return [Problem(path, where, f"not valid YAML: {getattr(err, 'problem', None) or err}")]
    if kind == "action":
        return schema_problems(path, document, "github-actions") + pinning_problems(path, document)
    return schema_problems(path, document, "github-workflows") + workflow_rule_problems(path, document)


def check_repository(root: Path) -> list[Problem]:
    """Every workflow under ``.github/workflows`` and the composite action, plus the required set."""
    problems: list[Problem] = []
    workflows = root / ".github" / "workflows"
    files = sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")])
    for name in REQUIRED_WORKFLOWS:
        if not (workflows / name).exists():
            problems.append(Problem(workflows / name, "", "missing (a workflow the design requires)"))
    for path in files:
        problems.extend(check_file(path, "workflow"))
    action = root / COMPOSITE_ACTION
    if action.exists():
        problems.extend(check_file(action, "action"))
    else:
        problems.append(Problem(action, "", "missing (the shared setup steps live there)"))
    return problems


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]) if argv else project_root()
    problems = check_repository(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(".github/: valid" if not problems else f".github/: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
