"""Checks of ``.github/``: every workflow and the composite action against GitHub's JSON schemas
(the copies vendored by check-jsonschema), plus the house rules the schemas cannot express.

Run by ``make lint`` (``python -m lakehouse.workflows``) and by the unit tests, so a broken
workflow fails before GitHub ever sees it. actionlint would check more (expressions, shell
scripts) but cannot be installed here; the schema plus these rules is the stand-in.

House rules:

- every ``uses:`` is a local path, or pinned by a full commit SHA with its version in a comment
  (``owner/repo@<40 hex> # v4.2.2``: a tag can be moved, a commit cannot; Dependabot moves both),
  or ``docker://image@sha256:<digest>``;
- every ``actions/checkout`` sets ``persist-credentials: false`` (no token left in ``.git/config``
  for later steps or artifacts);
- no ``${{ ... }}`` inside a ``run:`` script: values reach scripts through ``env:`` (an expanded
  value becomes script text, and a crafted one becomes code);
- every workflow sets top-level ``permissions`` (the token gets only what it is granted), and
  ``id-token: write`` only on the jobs that need it, never for the whole workflow;
- a job that assumes an AWS role through OIDC has ``id-token: write``;
- every job runs under a ``concurrency`` group (the workflow's or its own);
- every ``actions/upload-artifact`` name contains ``github.run_attempt`` (a re-run never collides
  with, or overwrites, the first attempt's artifact);
- the five workflows of the design exist; ``guard.yml`` runs on pushes to ``main`` (exit check 3
  reads those runs), and neither it, the composite action nor the Makefile recipes it runs lets a
  failure pass (``masked_failure_problems``: ``continue-on-error`` not literally false, an ``||``
  alternative that always succeeds, a pipeline without pipefail, ``set +e``, a command followed by
  another where the shell has no ``-e``; ``lakehouse.shellstatus`` reads the scripts, ``sh -c``/``eval``
  strings in them, and ``lakehouse.shellscripts`` the checkout's shell scripts and Makefiles they run,
  wherever they run them: ``./scripts/test.sh``, ``bash x``, ``source x``, ``cd ci && make test``, a
  script running ``make``, the composite action's ``"$GITHUB_ACTION_PATH/x"``; ``lakehouse.makefiles`` the
  recipes; tests inside ``$(...)``, ``echo "$(pytest)"``; a step under an ``if:`` false in every green run,
  ``if: failure()``, is not judged, as exit check 3 does not: it runs only once its job is red);
  ``smoke.yml`` uploads ``reports/`` with ``if: always()``;
- ``.github/CODEOWNERS`` names owners for ``/infra/`` and ``/pipeline/`` (two-person review), and
  ``.github/dependabot.yml`` updates pip, GitHub Actions and Terraform.

zizmor (``make lint``, pinned in requirements-checkov.txt) audits more; these rules also run
where only ``.venv`` exists (the unit tests).
"""

from __future__ import annotations

import contextlib
import functools
import json
import posixpath
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lakehouse.cellreadback import CellStep, reads_matrix
from lakehouse.conditions import ANY_GREEN_RUN, RunFacts, Verdict, call_inputs, step_condition
from lakehouse.config import project_root
from lakehouse.matrices import literal_matrix, matrix_cells, value_text
from lakehouse.setuppython import version_file_pythons
from lakehouse.shellscripts import ReadFile, ScriptFollower, checkout_lister, checkout_reader
from lakehouse.shellstatus import (
    ACTION_PATH,
    ACTION_PATH_WORD,
    Follow,
    Shell,
    lost_failures,
    shell_flags,
    with_action_path,
)

#: Workflows the design names (DESIGN.md, "Layout we aim for").
REQUIRED_WORKFLOWS = ("guard.yml", "smoke.yml", "infra.yml", "e2e.yml", "sbom.yml")
COMPOSITE_ACTION = Path(".github/actions/common/action.yml")
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
_DOCKER = re.compile(r"^docker://[^:@\s]+(:[^\s@]+)?@sha256:[0-9a-f]{64}$")
#: ``uses: owner/repo@<sha> # v1.2.3`` as written in the file (the comment is not in the YAML data).
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*['\"]?([^\s'\"#]+)['\"]?\s*(#.*)?$")
_VERSION_COMMENT = re.compile(r"^#\s*v\d+(\.\d+){0,2}\b")
_OIDC_ACTION = "aws-actions/configure-aws-credentials"
CODEOWNERS = Path(".github/CODEOWNERS")
DEPENDABOT = Path(".github/dependabot.yml")
#: Paths whose changes need a code owner's review, and the ecosystems Dependabot must watch.
OWNED_PATHS = ("/infra/", "/pipeline/")
DEPENDABOT_ECOSYSTEMS = ("pip", "github-actions", "terraform")


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


def pinning_problems(path: Path, document: Any, text: str = "") -> list[Problem]:
    """Every remote ``uses:`` pinned by commit SHA (docker: by digest); in ``text``, with a version comment."""
    problems = []
    for where, value in _uses(document):
        if value.startswith("./") or _PINNED.match(value) or _DOCKER.match(value):
            continue
        problems.append(Problem(path, where, f"{value!r} is not pinned to a full commit SHA (docker: a sha256 digest)"))
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USES_LINE.match(line)
        if match and _PINNED.match(match.group(1)) and not _VERSION_COMMENT.match(match.group(2) or ""):
            message = f"{match.group(1)!r} has no version comment (`# vX.Y.Z`) after its SHA"
            problems.append(Problem(path, f"line {number}", message))
    return problems


def _steps(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(location, step) of every step mapping of a workflow's jobs or a composite action."""
    found = [
        (f"jobs/{job_id}/steps/{i}", step)
        for job_id, job in _jobs(document)
        for i, step in enumerate(job.get("steps") or [])
        if isinstance(step, dict)
    ]
    runs = document.get("runs")
    if isinstance(runs, dict):
        found += [(f"runs/steps/{i}", s) for i, s in enumerate(runs.get("steps") or []) if isinstance(s, dict)]
    return found


def step_problems(path: Path, document: Any) -> list[Problem]:
    """Checkout keeps no credentials; scripts take no ``${{ }}``; artifact names are unique per attempt."""
    if not isinstance(document, dict):
        return []
    problems = []
    for where, step in _steps(document):
        uses, with_ = str(step.get("uses", "")), step.get("with") or {}
        if uses.startswith("actions/checkout@") and with_.get("persist-credentials") is not False:
            problems.append(Problem(path, where, "actions/checkout without `persist-credentials: false`"))
        if "${{" in str(step.get("run", "")):
            problems.append(Problem(path, f"{where}/run", "`${{ }}` expanded inside a script: pass it through env:"))
        if uses.startswith("actions/upload-artifact@") and "github.run_attempt" not in str(with_.get("name", "")):
            problems.append(Problem(path, f"{where}/with/name", "artifact name without github.run_attempt"))
    return problems


#: GitHub's built-in shells on Linux and macOS, as the runner calls them (docs.github.com, workflow syntax,
#: ``jobs.<job_id>.steps[*].shell``): no ``shell:`` runs ``bash -e {0}`` (no pipefail), ``shell: bash``
#: runs ``bash --noprofile --norc -eo pipefail {0}``, ``shell: sh`` runs ``sh -e {0}``.
GITHUB_SHELLS = {
    None: Shell(errexit=True, pipefail=False, label="no `shell:`: GitHub runs `bash -e {0}`", bash=True),
    "bash": Shell(
        errexit=True, pipefail=True, label="`shell: bash`: `bash --noprofile --norc -eo pipefail {0}`", bash=True
    ),
    "sh": Shell(errexit=True, pipefail=False, label="`shell: sh`: `sh -e {0}`"),
}
_POSIX_SHELLS = ("sh", "bash", "dash", "ksh", "mksh", "zsh")


def run_shell(document: dict[str, Any], where: str, step: dict[str, Any]) -> Shell | None:
    """How GitHub runs a step's ``run:`` script: its ``shell:``, else its job's ``defaults.run.shell``, else
    the workflow's, else GitHub's default; ``None`` for a shell that is not sh-like (``pwsh``, ``python``:
    not judged). A custom template (``bash -eu {0}``) is read for ``-e`` and ``-o pipefail``; an expression,
    whose value depends on the run, is judged as if it were ``bash -eo pipefail`` (the least strict)."""
    job = (document.get("jobs") or {}).get(where.split("/")[1]) if where.startswith("jobs/") else None
    scopes = [step, ((job or {}).get("defaults") or {}).get("run") or {}, (document.get("defaults") or {}).get("run")]
    shell = next((str(s["shell"]) for s in scopes if isinstance(s, dict) and s.get("shell")), None)
    if shell in GITHUB_SHELLS:
        return GITHUB_SHELLS[shell]
    assert shell is not None
    if "${{" in shell:
        return Shell(errexit=True, pipefail=True, label=f"`shell: {shell}`, judged as `bash -eo pipefail`", bash=True)
    words = shell.split()
    if Path(words[0]).name not in _POSIX_SHELLS:
        return None
    errexit, pipefail = shell_flags(words[1:])
    return Shell(errexit, pipefail, f"`shell: {shell}`", bash=Path(words[0]).name == "bash")


def working_directory(document: dict[str, Any], where: str, step: dict[str, Any]) -> str | None:
    """Where a ``run:`` step runs, from the checkout's root (``working-directory:`` of the step, else of its
    job's or the workflow's ``defaults.run``); None when an expression decides it."""
    found = _working_directory_text(document, where, step)
    return None if "${{" in found else found


def _working_directory_text(document: dict[str, Any], where: str, step: dict[str, Any]) -> str:
    """The ``working-directory:`` that applies to a step, as written (empty: none, the checkout's root)."""
    job = (document.get("jobs") or {}).get(where.split("/")[1]) if where.startswith("jobs/") else None
    scopes = [step, ((job or {}).get("defaults") or {}).get("run") or {}, (document.get("defaults") or {}).get("run")]
    return next((str(s["working-directory"]) for s in scopes if isinstance(s, dict) and s.get("working-directory")), "")


def _run_in(follow: Follow, folder: str) -> Follow:
    """``follow`` for a step whose ``working-directory`` is an expression: what it runs runs in that folder, which
    only the run knows (``lakehouse.shellscripts`` says so: never judged, never passed)."""

    def moved(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        return follow(words, shell, (folder, *dirs), at, glob)

    return moved


_SETUP_PYTHON = "actions/setup-python@"
_CHECKOUT = "actions/checkout@"
_MATRIX_VALUE = re.compile(r"^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$")


def job_pythons(document: dict[str, Any], where: str, read: ReadFile | None = None) -> tuple[str, ...] | None:
    """The Python versions the ``actions/setup-python`` steps before a workflow step install in its job (a
    ``python-version`` string, its lines or list, ``${{ matrix.x }}`` read from the job's matrix: each cell has one
    of them; a ``python-version-file`` of the checkout ``read`` gives, :func:`job_python_setup`); ``()``: none.
    None when only the run knows (another expression, a version file not read, a local action before it, which may
    install one, a step of no workflow job). The runner image's own Python is not counted: the workflow does not say
    which image ``runs-on`` gets."""
    return job_python_setup(document, where, read)[0]


def job_python_setup(
    document: dict[str, Any], where: str, read: ReadFile | None = None
) -> tuple[tuple[str, ...] | None, str]:
    """:func:`job_pythons`, and why only the run knows when it does (empty: a generic reason is the reader's).
    ``read``: a file of the commit the checkout holds (None: no file is read, a ``python-version-file`` stays the
    run's)."""
    parts = where.split("/")
    if len(parts) < 4 or parts[0] != "jobs" or not parts[3].isdigit():
        return None, ""
    job = (document.get("jobs") or {}).get(parts[1])
    if not isinstance(job, dict):
        return None, ""
    steps = job.get("steps")
    if not isinstance(steps, list):
        return None, ""
    found: list[str] = []
    for number, step in enumerate(steps[: int(parts[3])]):
        uses = str(step.get("uses") or "") if isinstance(step, dict) else ""
        if uses.startswith("./"):
            return None, ""
        if not uses.startswith(_SETUP_PYTHON):
            continue
        value = (step.get("with") or {}).get("python-version")
        values = value if isinstance(value, list) else str(value).split("\n") if value is not None else []
        versions = [str(v).strip() for v in values if str(v).strip()]
        if not versions:
            from_file, why = _version_file(steps[:number], step, read)
            if from_file is None:
                return None, why and f"the job's step jobs/{parts[1]}/steps/{number} ({uses}): {why}"
            versions = list(from_file)
        for version in versions:
            matrix = _MATRIX_VALUE.match(version)
            if matrix is not None:
                cells = _matrix_values(job, matrix.group(1))
                if cells is None:
                    return None, ""
                found += cells
            elif "${{" in version:
                return None, ""
            else:
                found.append(version)
    return tuple(found), ""


def _version_file(before: list[Any], step: dict[str, Any], read: ReadFile | None) -> tuple[tuple[str, ...] | None, str]:
    """The versions of a setup-python step's ``python-version-file`` (``lakehouse.setuppython``), a path from the
    workspace, where ``actions/checkout`` puts the commit unless told a ``path`` or another ``repository``; None with
    why when only the run knows (no file named: setup-python's default, which changed between releases)."""
    named = str((step.get("with") or {}).get("python-version-file") or "").strip()
    if read is None or not named:
        return None, ""
    checkouts = [s.get("with") or {} for s in before if isinstance(s, dict) and _CHECKOUT in str(s.get("uses") or "")]
    if "${{" in named or named.startswith("/") or any("path" in w or "repository" in w for w in checkouts):
        return None, f"its python-version-file `{named}` is a file only the run places"
    path = posixpath.normpath(named)
    if path.startswith(".."):
        return None, f"its python-version-file `{named}` is outside the checkout"
    return version_file_pythons(path, read(path))


def _matrix_values(job: dict[str, Any], key: str) -> list[str] | None:
    """The values ``matrix.<key>`` takes in a job's cells as GitHub builds them (``lakehouse.matrices``: an
    ``exclude``d value is in no cell); None when an expression decides them or a cell has none."""
    cells = matrix_cells(_matrix(job))
    if cells is None or any(cell.values.get(key) is None for cell in cells):
        return None
    return [str(cell.values[key]) for cell in cells]


def _matrix(job: dict[str, Any]) -> Any:
    """A job's ``strategy.matrix`` (None: it has none; a ``strategy`` that is an expression of the run's is returned
    as it is written, a matrix no cell of which is known; a literal ``fromJSON('...')`` is read)."""
    strategy = literal_matrix(job.get("strategy"))
    if isinstance(strategy, str):
        return strategy
    return strategy.get("matrix") if isinstance(strategy, dict) else None


def cell_condition(job: dict[str, Any] | None, step: dict[str, Any], facts: RunFacts) -> Verdict:
    """Whether ``step`` of ``job`` (None: of no workflow job) runs in the green run ``facts`` describes, its ``if:``
    read with each cell's ``matrix`` (``lakehouse.matrices``): shown true when it is in one cell, false when in every
    cell, else only the run knows. A matrix only the run knows leaves ``matrix.x`` the run's."""
    cells = matrix_cells(_matrix(job)) if job is not None and _matrix(job) is not None else None
    if not cells or "if" not in step:
        return step_condition(step, facts)
    verdicts = [step_condition(step, replace(facts, matrix=tuple(cell.values.items()))) for cell in cells]
    if any(v.value is True for v in verdicts):
        return next(v for v in verdicts if v.value is True)
    if all(v.value is False for v in verdicts):
        return verdicts[0] if len(verdicts) == 1 else Verdict(False, f"`if: {step['if']}` is false in every cell")
    return next(v for v in verdicts if v.value is None)


def job_condition(job: dict[str, Any], facts: RunFacts) -> Verdict:
    """Whether a workflow job runs in the green run ``facts`` describes: its ``if:``, read as a step's
    (``lakehouse.conditions``: ``if: failure()`` is false in a green run), and never when its ``strategy.matrix`` has
    no cell (``exclude`` removes every combination: GitHub makes no job of it, ``lakehouse.matrices``)."""
    matrix = _matrix(job)
    if matrix is not None and matrix_cells(matrix) == []:
        return Verdict(False, "its strategy.matrix has no cell (exclude removes every combination): no job of it runs")
    return step_condition(job, facts)


def step_environment(document: dict[str, Any], where: str, step: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    """The variables a step's script starts with from the workflow's, its job's and its own ``env:`` (the
    step's win): (name, value), value None for an expression (``${{ inputs.dir }}``: the run's)."""
    job = (document.get("jobs") or {}).get(where.split("/")[1]) if where.startswith("jobs/") else None
    merged: dict[str, str | None] = {}
    for scope in (document, job or {}, step):
        env = scope.get("env") if isinstance(scope, dict) else None
        if isinstance(env, str):  # `env: ${{ fromJSON(...) }}`: every variable the run's
            merged["*"] = None
        for name, value in (env or {}).items() if isinstance(env, dict) else []:
            text = "true" if value is True else "false" if value is False else "" if value is None else str(value)
            merged[str(name)] = None if "${{" in text else text
    return tuple(merged.items())


#: ``echo "NAME=value" >> "$GITHUB_ENV"`` (or printf): a variable of the job's later steps.
_GITHUB_ENV_WRITE = re.compile(
    r"""\b(?:echo|printf)\s+(?:-\w+\s+)*["']?([A-Za-z_]\w*)=([^"'\s>]*)["']?\s*>>\s*["']?\$\{?GITHUB_ENV\b"""
)


def github_env_writes(script: str) -> list[tuple[str, str | None]]:
    """The variables a step's script sets for the later steps of its job through ``$GITHUB_ENV`` as this reader
    can read them (``echo "MAKEFLAGS=-i" >> "$GITHUB_ENV"``): (name, value), None for a value of the run. Other
    writes (``cat f >> "$GITHUB_ENV"``) are not read: the steps after them are judged with no default taken
    for a variable set nowhere else (``masked_failure_problems``' ``closed``)."""
    return [
        (name, None if "$" in value or "`" in value else value) for name, value in _GITHUB_ENV_WRITE.findall(script)
    ]


def writes_runtime_environment(document: Any) -> bool:
    """A step of the document writes ``$GITHUB_ENV`` (a later step's variables are then the run's to know)."""
    return isinstance(document, dict) and any("GITHUB_ENV" in str(step.get("run", "")) for _, step in _steps(document))


def _step_label(step: dict[str, Any]) -> str:
    """How a person finds the step: its name, else its id, its ``uses`` or its first ``run`` line."""
    lines = str(step.get("run") or "").strip().splitlines()
    return repr(str(step.get("name") or step.get("id") or step.get("uses") or (lines[0] if lines else "")))


def _shown(value: Any) -> str:
    return "true" if value is True else repr(value)


def action_path_value(folder: str) -> str:
    """``$GITHUB_ACTION_PATH`` (and ``${{ github.action_path }}``) of the local action in ``folder`` (``uses:
    ./folder``), as ``lakehouse.shellscripts`` names folders: the runner's ``$GITHUB_WORKSPACE/./folder``, the
    same folder from wherever a script has gone (``cd ci && "$GITHUB_ACTION_PATH/x"``)."""
    return f"$GITHUB_WORKSPACE/{folder}" if folder else "$GITHUB_WORKSPACE"


def masked_failure_problems(
    path: Path,
    document: Any,
    scripts: ScriptFollower | None = None,
    closed: bool | None = None,
    action_folder: str | None = None,
    facts: RunFacts = ANY_GREEN_RUN,
) -> list[Problem]:
    """Every job and step whose failure would still let the run conclude ``success``.

    ``continue-on-error`` anything but literally ``false`` on a job or a step (``true``, or an
    expression, which may evaluate true: a failing step then leaves its job green, and the runner
    reports the step itself as ``success``), and a command of a ``run:`` script whose failure the
    script's status does not carry (``lakehouse.shellstatus``, under the step's shell: ``|| true`` or
    ``|| echo ...``, a pipeline without pipefail, ``set +e``...), in the step or in a shell script of the
    tree it runs, which ``scripts`` reads (``lakehouse.shellscripts``; None: scripts are not read). Each
    script starts with the ``env:`` of its workflow, job and step; ``closed``: no variable is set but
    these (None: so unless a step of the document writes ``$GITHUB_ENV``), so ``cd "${CI_DIR:-ci}"`` goes to
    ``ci``. ``action_folder``: the folder (from the checkout's root) of the composite action ``document`` is, whose
    steps get ``$GITHUB_ACTION_PATH`` (and ``${{ github.action_path }}``) naming it, so ``"$GITHUB_ACTION_PATH/t.sh"``
    is read like ``./t.sh`` (None: a workflow, whose steps name no action folder: a file there is the run's to know,
    ``ScriptFollower.unfollowed``). Exit check 3 reads these from the guard workflow of each judged run; ``make lint``
    from the checkout.

    ``facts``: the green run the document ran in (exit check 3; ``make lint``: any green run, as only a run that
    concludes success can hide a failure). A step whose ``if:`` is shown false for it did not run
    (``lakehouse.conditions``), nor did a step of a job whose ``if:`` is, or whose matrix has no cell
    (:func:`job_condition`): neither judged nor counted; so a step under ``if: failure()``, which runs only once
    its job has failed, may end ``|| true``: it cannot turn a red run green. In a composite action
    (``action_folder`` given), whose steps the jobs API does not list, a step whose ``if:`` is not shown true may
    not have run: judged, its tests not counted. Each is recorded in ``scripts.conditional`` with why.
    """
    if not isinstance(document, dict):
        return []
    problems = []
    closed = not writes_runtime_environment(document) if closed is None else closed
    written: dict[str, list[tuple[str, str | None]]] = {}  # job -> what its steps so far wrote to $GITHUB_ENV
    jobs_run = {job_id: job_condition(job, facts) for job_id, job in _jobs(document)}
    for job_id, job in _jobs(document):
        if jobs_run[job_id].value is False:  # it never ran, so never failed
            continue
        if "continue-on-error" in job and job["continue-on-error"] is not False:
            message = (
                f"job {job_id!r} has continue-on-error: {_shown(job['continue-on-error'])}: it may fail in a green run"
            )
            problems.append(Problem(path, f"jobs/{job_id}/continue-on-error", message))
    jobs = dict(_jobs(document))
    for where, step in _steps(document):
        label = _step_label(step)
        owner = jobs.get(where.split("/")[1]) if where.startswith("jobs/") else None
        verdict = cell_condition(owner, step, facts)
        job_run = jobs_run.get(where.split("/")[1]) if where.startswith("jobs/") else None
        if job_run is not None and job_run.value is False:  # a step of a job that did not run did not either
            verdict = Verdict(False, f"its job {where.split('/')[1]!r} did not run: {job_run.why}")
        uncounted = verdict.value is False or action_folder is not None and not verdict.value
        # The jobs API shows whether a workflow step ran, by its name: one named by an expression cannot be asked.
        unseen = action_folder is None and verdict.value is None and not _named_in_jobs_api(owner, step)
        if (uncounted or unseen) and scripts is not None:
            fate = "did not run" if verdict.value is False else "may not have run: its tests not counted"
            unasked = "; its name is the run's, so the jobs API cannot show it ran" if unseen else ""
            scripts.conditional.append(f"{path}: {where}: step {label} {fate} ({verdict.why}{unasked})")
        if verdict.value is False:
            continue
        if "continue-on-error" in step and step["continue-on-error"] is not False:
            value = _shown(step["continue-on-error"])
            message = f"step {label} has continue-on-error: {value}: it may fail while its job concludes success"
            problems.append(Problem(path, f"{where}/continue-on-error", message))
        shell = run_shell(document, where, step) if "run" in step else None
        job_id = where.split("/")[1] if where.startswith("jobs/") else ""
        own = step_environment(document, where, step)
        action = {ACTION_PATH: action_path_value(action_folder)} if action_folder is not None else {}
        own += tuple(action.items())  # the runner's: a step's env: cannot change a GITHUB_* variable
        environment = tuple({**dict(written.get(job_id, [])), **dict(own)}.items())
        written.setdefault(job_id, []).extend(github_env_writes(str(step.get("run") or "")))
        if shell is not None:
            shell = replace(shell, environment=environment, closed=closed and ("*", None) not in environment)
        cwd = working_directory(document, where, step)
        folder = _working_directory_text(document, where, step)
        if action and ACTION_PATH_WORD.match(folder):  # `working-directory: ${{ github.action_path }}`
            cwd = ScriptFollower.folder(with_action_path(folder, action), "", ())
        origin = f"{path}: {where}/run: step {label}"
        if scripts is not None:  # what tox may skip for a missing interpreter (a composite action's caller: unknown)
            setup = job_python_setup(document, where, scripts.read) if action_folder is None else (None, "")
            scripts.job_pythons, scripts.job_pythons_why = setup
        follow = scripts.hook(cwd or "", origin=origin) if scripts is not None else None
        if follow is not None and cwd is None:
            follow = _run_in(follow, folder)
        counting: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if scripts is not None and uncounted:
            counting = scripts.uncounted()
        elif scripts is not None and unseen:  # tests only the run shows ran: `error` if they are all there is
            counting = scripts.undecided_step(f"{path}: {where}: step {label}, {verdict.why}")
        with counting:
            lost = lost_failures(str(step["run"]), shell, follow) if shell is not None else []
        for found in lost:
            message = f"step {label}, line {found.line} `{found.command}` {found.message}"
            problems.append(Problem(path, f"{where}/run", message))
    return problems


def unfollowed_problems(path: Path, scripts: ScriptFollower) -> list[Problem]:
    """What the guard runs that the reader could not follow (``ScriptFollower.unfollowed``): exit check 3 cannot
    tell whether its failures are lost, so it ends ``error`` on such a run; lint says so first."""
    return [
        Problem(path, "", f"cannot tell whether a failure is lost: {entry.removeprefix(f'{path}: ')}")
        for entry in scripts.unfollowed
    ]


def displayed_run_steps(document: Any) -> dict[str, list[str]]:
    """Each job's displayed name -> the names GitHub shows for its steps that run this repository's code
    (:func:`shown_jobs`, without a run's facts, matrix cells or the reusable workflows it calls)."""
    return {job.base: job.steps for job in shown_jobs(document)}


#: Reusable workflows calling reusable workflows: GitHub allows ten levels in all.
_MAX_CALL_DEPTH = 10


@dataclass(frozen=True)
class ShownJob:
    """A job of a workflow as the jobs API names it: ``name`` for a reason, ``pattern`` the names GitHub gives
    it (a matrix cell's ``test (3.11)``, a called workflow's ``call / test``), ``steps`` those it must show;
    ``base`` its workflow job's own name (before any matrix cell). ``skipped``: why it did not run in any green run
    (its ``if:`` false, its matrix without a cell): not expected, and listed (or not) ``skipped``; empty: expected."""

    name: str
    pattern: re.Pattern[str]
    steps: list[str]
    base: str = ""
    skipped: str = ""
    by_cell: tuple[CellStep, ...] = ()


def shown_jobs(
    document: Any, facts: RunFacts | None = None, called: Mapping[str, Any] | None = None, depth: int = 0
) -> list[ShownJob]:
    """The jobs GitHub lists for a run of ``document``, each with the steps of it that run this repository's code:
    its own ``run:`` steps and those using a local action (``uses: ./...``, whose steps the guard's reader follows at
    the same commit) (``name:``, else ``Run`` and the command's first line or the action). A step under an ``if:``
    that was false is listed skipped while its job concludes success, so a green run must show each of them
    concluded success, but for a step whose ``if:`` is shown false for the run ``facts`` describes (``if:
    failure()`` in a green run: ``lakehouse.conditions``); and a job whose ``if:`` is so, or whose matrix has no cell
    (:func:`job_condition`), is not expected (``ShownJob.skipped``), nor is what it calls. A job with a
    ``strategy.matrix`` and no expression in its name is listed once per cell, by the name GitHub gives it
    (``lakehouse.matrices``: ``name (3.11)``; a matrix only the run knows, some ``name (...)``); a job calling a
    reusable workflow (``uses:``) as ``name / <its job>``, the called workflow's jobs read from ``called`` (by path
    from the checkout's root; not there, as another repository's is: some job ``name / ...``, steps unknown), its
    steps' ``if:`` judged with the inputs the call's ``with:`` (else their ``on.workflow_call`` defaults, else their
    type's) shows (``lakehouse.conditions.call_inputs``). Without ``facts`` (:func:`displayed_run_steps`) neither
    conditions nor cells are read. Jobs or steps named by an expression are left out: what GitHub shows for them
    depends on the run."""
    if not isinstance(document, dict):
        return []
    shown: list[ShownJob] = []
    for job_id, job in _jobs(document):
        name = str(job.get("name") or job_id)
        if "${{" in name:
            continue
        ran = job_condition(job, facts) if facts is not None else None
        if ran is not None and ran.value is False:  # listed skipped by its own name (or its cells'), or not at all
            pattern = re.compile(re.escape(name) + r"(?: \(.+\))?(?: / .+)?")
            shown.append(ShownJob(name, pattern, [], name, ran.why))
            continue
        uses = str(job.get("uses") or "")
        for cell, segment, values in _cell_names(job, name, facts is not None):
            if uses:
                shown += _called_jobs(job, uses, cell, segment, facts, called, depth)
                continue
            runs = [s for s in job.get("steps") or [] if isinstance(s, dict) and _runs_own_code(s)]
            here = facts if facts is None or values is None else replace(facts, matrix=tuple(values.items()))
            steps = [
                shown_step_name(s, values) for s in runs if here is None or step_condition(s, here).value is not False
            ]
            by_cell = _by_cell(job, runs, here) if values is None and _matrix(job) is not None else ()
            labels = [label for label in steps if "${{" not in label]
            shown.append(ShownJob(cell, re.compile(segment), labels, name, by_cell=by_cell))
    return shown


def _by_cell(job: dict[str, Any], runs: list[dict[str, Any]], facts: RunFacts | None) -> tuple[CellStep, ...]:
    """The steps of a job whose matrix only the run knows that its jobs API names and whose ``if:`` reads that
    matrix and is not decided without it: each listed cell tells whether it ran as meant
    (``lakehouse.cellreadback``)."""
    if facts is None:
        return ()
    return tuple(
        CellStep(shown_step_name(s), s, job, facts)
        for s in runs
        if reads_matrix(s) and step_condition(s, facts).value is None and "${{" not in shown_step_name(s)
    )


def _cell_names(job: dict[str, Any], name: str, cells: bool) -> list[tuple[str, str, dict[str, Any] | None]]:
    """``(name, regex, matrix)`` of each job GitHub lists for a workflow job: one per matrix cell (``cells``: by the
    names ``lakehouse.matrices`` gives them, with the cell's ``matrix`` context, else some ``name (...)``), else the
    job's own name (``matrix`` None: not known)."""
    matrix = _matrix(job)
    if matrix is None:
        return [(name, re.escape(name), None)]
    found = matrix_cells(matrix) if cells else None
    if found is None:
        return [(name, re.escape(name) + r" \(.+\)", None)]
    return [(cell.name(name), re.escape(cell.name(name)), cell.values) for cell in found]


def _called_jobs(
    job: dict[str, Any],
    uses: str,
    name: str,
    segment: str,
    facts: RunFacts | None,
    called: Mapping[str, Any] | None,
    depth: int,
) -> list[ShownJob]:
    """The jobs of the reusable workflow a job (a cell of it: ``name``, ``segment``) calls, as ``name / <its job>``."""
    inner = (called or {}).get(uses.removeprefix("./")) if uses.startswith("./") else None
    if inner is None or depth >= _MAX_CALL_DEPTH:
        return [ShownJob(f"{name} / ...", re.compile(f"{segment} / .+"), [], f"{name} / ...")]
    given = job.get("with") if "with" in job else {}  # the inputs this call gives: fixed by its text
    inputs = call_inputs(inner, given)
    return [
        ShownJob(
            f"{name} / {sub.name}",
            re.compile(f"{segment} / {sub.pattern.pattern}"),
            sub.steps,
            f"{name} / {sub.base}",
            sub.skipped,
        )
        for sub in shown_jobs(inner, None if facts is None else replace(facts, inputs=inputs), called, depth + 1)
    ]


def _runs_own_code(step: dict[str, Any]) -> bool:
    """A ``run:`` step, or one using a local action (``uses: ./...``): what the guard's reader judges."""
    return "run" in step or str(step.get("uses") or "").startswith("./")


def _named_in_jobs_api(job: dict[str, Any] | None, step: dict[str, Any]) -> bool:
    """Whether the jobs API can be asked for ``step`` by name in each cell of ``job``: its name holds no expression,
    or only ``${{ matrix.x }}`` of a matrix whose cells are known (:func:`shown_step_name`)."""
    cells = matrix_cells(_matrix(job)) if job is not None and _matrix(job) is not None else None
    values: list[dict[str, Any] | None] = [cell.values for cell in cells] if cells else [None]
    return all("${{" not in shown_step_name(step, cell) for cell in values)


_MATRIX_IN_TEXT = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def shown_step_name(step: dict[str, Any], matrix: Mapping[str, Any] | None = None) -> str:
    """The name GitHub shows for a step: its ``name:``, else ``Run`` and its action or its command's first line;
    ``${{ matrix.x }}`` in a ``name:`` as the cell ``matrix`` (None: not known, the expression left as written) has
    it (a command's text is left as written: what GitHub shows of it is not read here)."""
    lines = str(step.get("run") or "").strip().splitlines()
    name = str(step.get("name") or f"Run {step.get('uses') or (lines[0].strip() if lines else '')}")
    if matrix is None or not step.get("name"):
        return name

    def text(found: re.Match[str]) -> str:
        value = next((v for k, v in matrix.items() if str(k).casefold() == found.group(1).casefold()), None)
        return found.group(0) if isinstance(value, dict | list) else value_text(value)  # an object: left out

    return _MATRIX_IN_TEXT.sub(text, name)


def local_uses(document: Any) -> list[tuple[str, str]]:
    """``(kind, path)`` of each local reusable workflow (kind ``workflow``) or action directory (``action``)
    that a workflow or composite action uses: they run at the same commit, so they are part of it."""
    found = [
        ("action" if "/steps/" in where else "workflow", value.removeprefix("./").rstrip("/"))
        for where, value in _uses(document)
        if value.startswith("./")
    ]
    return list(dict.fromkeys(found))


def local_calls(document: Any, facts: RunFacts) -> list[tuple[str, dict[str, Any], str, Verdict]]:
    """``(kind, caller, target, runs)`` of each step of a workflow or composite action that uses a local action
    (kind ``action``, target its folder) and each job of a workflow that calls a local reusable workflow (``workflow``,
    its path), as :func:`local_uses` names them, with whether it runs in the green run ``facts`` describes: a step's
    ``if:``, and false when its job does not run (:func:`job_condition`); a calling job's own :func:`job_condition`
    (its ``with:`` and ``if:`` are read like a step's that uses an action)."""
    if not isinstance(document, dict):
        return []
    jobs = dict(_jobs(document))
    found: list[tuple[str, dict[str, Any], str, Verdict]] = []
    for where, step in _steps(document):
        uses = str(step.get("uses") or "")
        if not uses.startswith("./"):
            continue
        job = jobs.get(where.split("/")[1]) if where.startswith("jobs/") else None
        ran = job_condition(job, facts) if job is not None else None
        verdict = ran if ran is not None and ran.value is False else step_condition(step, facts)
        found.append(("action", step, uses.removeprefix("./").rstrip("/"), verdict))
    for job in jobs.values():
        uses = str(job.get("uses") or "")
        if uses.startswith("./"):
            found.append(("workflow", job, uses.removeprefix("./").rstrip("/"), job_condition(job, facts)))
    return found


def remote_uses(document: Any) -> list[str]:
    """Each action or reusable workflow of another repository (``owner/action@v1``, ``docker://...``) a workflow or
    composite action uses: not read here (another repository's code), so nothing it runs is known."""
    return list(dict.fromkeys(value for _, value in _uses(document) if not value.startswith("./")))


def grants_id_token(permissions: Any) -> bool:
    """``permissions`` (a workflow's or a job's) lets the job ask GitHub for an OIDC token."""
    return permissions == "write-all" or (isinstance(permissions, dict) and permissions.get("id-token") == "write")


def workflow_rule_problems(path: Path, document: Any, text: str = "") -> list[Problem]:
    """The house rules for one workflow file (see the module doc)."""
    if not isinstance(document, dict):
        return [Problem(path, "", "not a YAML mapping")]
    problems = pinning_problems(path, document, text) + step_problems(path, document)
    if "permissions" not in document:
        problems.append(Problem(path, "permissions", "missing: grant the GITHUB_TOKEN only what the jobs need"))
    elif grants_id_token(document["permissions"]):
        problems.append(Problem(path, "permissions", "id-token: write for the whole workflow: grant it per job"))
    for job_id, job in _jobs(document):
        if "concurrency" not in document and "concurrency" not in job:
            problems.append(Problem(path, f"jobs/{job_id}", "no concurrency group (the workflow's or the job's)"))
        steps = job.get("steps") or []
        assumes_role = any(isinstance(s, dict) and str(s.get("uses", "")).startswith(_OIDC_ACTION) for s in steps)
        granted = grants_id_token(job.get("permissions", document.get("permissions")))
        if assumes_role and not granted:
            problems.append(Problem(path, f"jobs/{job_id}", "assumes an AWS role through OIDC without id-token: write"))
    if path.name == "guard.yml":
        root = path.resolve().parents[2]  # .github/workflows/guard.yml -> the checkout
        scripts = ScriptFollower(checkout_reader(root), list_dir=checkout_lister(root))  # the scripts of the same tree
        problems += masked_failure_problems(path, document, scripts)  # the Makefiles its make reads too
        problems += unfollowed_problems(path, scripts)
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
    text = path.read_text(encoding="utf-8")
    try:
        document = load_yaml(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        return [Problem(path, where, f"not valid YAML: {getattr(err, 'problem', None) or err}")]
    if kind == "action":  # the composite action runs inside guard's jobs too: its failures must fail them
        root = next((p.parent for p in path.resolve().parents if p.name == ".github"), None)
        scripts = ScriptFollower(checkout_reader(root), list_dir=checkout_lister(root)) if root is not None else None
        folder = path.resolve().parent.relative_to(root).as_posix() if root is not None else None
        return (
            schema_problems(path, document, "github-actions")
            + pinning_problems(path, document, text)
            + step_problems(path, document)
            + masked_failure_problems(path, document, scripts, closed=False, action_folder=folder)
            + (unfollowed_problems(path, scripts) if scripts is not None else [])
        )
    return schema_problems(path, document, "github-workflows") + workflow_rule_problems(path, document, text)


def codeowners_problems(root: Path) -> list[Problem]:
    """CODEOWNERS gives each owned path at least one owner (its last matching line decides, as on GitHub)."""
    path = root / CODEOWNERS
    if not path.exists():
        return [Problem(path, "", "missing: infra/ and pipeline/ changes need a code owner's review")]
    owners: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            owners[fields[0]] = fields[1:]
    return [
        Problem(path, owned, "no owner: changes there need a code owner's review")
        for owned in OWNED_PATHS
        if not owners.get(owned) and not owners.get(owned.rstrip("/"))
    ]


def dependabot_problems(root: Path) -> list[Problem]:
    """dependabot.yml is valid (its schema) and updates every ecosystem the repository pins."""
    path = root / DEPENDABOT
    if not path.exists():
        return [Problem(path, "", "missing: pins (pip, actions, terraform) would never move")]
    document = load_yaml(path.read_text(encoding="utf-8"))
    problems = schema_problems(path, document, "dependabot")
    updates = document.get("updates") if isinstance(document, dict) else None
    watched = {str(u.get("package-ecosystem")) for u in updates or [] if isinstance(u, dict)}
    problems += [
        Problem(path, "updates", f"no {eco!r} ecosystem") for eco in DEPENDABOT_ECOSYSTEMS if eco not in watched
    ]
    return problems


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
    return problems + codeowners_problems(root) + dependabot_problems(root)


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]) if argv else project_root()
    problems = check_repository(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(".github/: valid" if not problems else f".github/: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
