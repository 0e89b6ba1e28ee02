"""GUARD-review, review before apply: no one person runs ``terraform apply`` on code nobody else reviewed.

A merge to main needs a second person (``lakehouse.checks.review``); that is worth nothing if a workflow
applies code that never went through a merge. Read through GitHub's REST API at main's bound head, as the
rest of the check: the workflows of the tree (``.github/workflows/*.yml``), each job whose ``run:`` script
calls ``terraform ... apply`` or ``destroy`` (an *apply job*), the triggers of its workflow, and the
environment the job deploys through (``GET /repos/{repo}/environments/{name}``, with
``.../deployment-branch-policies`` when it names branches).

An environment is a *gate* when GitHub holds every job naming it until a second person approves, and only
reviewed code can reach it:

- it exists (GitHub creates an environment a job names on the job's first run, with no protection);
- a ``required_reviewers`` rule names at least one reviewer and ``prevent_self_review`` is on (else whoever
  starts the run approves it: GitHub, "users who initiate a deployment cannot approve the deployment job");
- its ``deployment_branch_policy`` lets only protected branches deploy (``protected_branches``), or only
  branch policies naming the reviewed branch exactly (a wildcard, another branch or a tag pattern lets
  anyone with write access push a ref that deploys); ``null`` lets every branch deploy;
- admins may not bypass it (``can_admins_bypass`` false; GitHub's default is true): "admins included", as
  for merges.

Triggers. Only ``push`` limited to the reviewed branch (``branches: [main]``, no ``branches-ignore``,
``tags`` or ``tags-ignore``) reaches an apply job with reviewed code alone. Every other trigger needs the
job's environment to be a gate: ``workflow_dispatch`` runs the copy of the workflow on the ref its starter
picks, ``pull_request`` the pull request's code, ``push`` to other branches or tags unreviewed commits.
``schedule``, ``repository_dispatch`` and ``workflow_run`` run the default branch's copy, main's only if main
is the default branch (not read), at a moment and with a payload (a ref to check out) one person or nobody
chose; ``workflow_call`` runs on its caller's triggers. These need the gate too: a scheduled apply through it
waits for a reviewer, which the plan's "review before apply" asks anyway. The job's ``if:`` is not read as a
gate: a dispatched branch's copy of the file carries the ``if:`` its author wrote. A job naming an
environment that is no gate fails whatever its triggers (a workflow on any branch may name it too); an
environment named by an expression is one the starter picks, and fails.

Not seen from GitHub: the cloud credentials' trust (whether the AWS role the job assumes accepts only the
environment's OIDC subject), and ``terraform apply`` reached through ``make`` or a script rather than a
``run:`` line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lakehouse.github import GitHubApiError, GitHubRepo

WORKFLOWS_DIR = ".github/workflows/"
#: ``terraform`` (or OpenTofu's ``tofu``) then ``apply`` or ``destroy`` as a word on the same command line
#: (``terraform -chdir=infra apply tfplan``); ``plan -destroy`` is a flag, not the command.
_APPLIES = re.compile(r"\b(?:terraform|tofu)\b[^\n;&|]*?(?<![-\w])(apply|destroy)\b")
#: Push filters that keep a ref other than the branches listed from triggering.
_PUSH_REF_FILTERS = ("branches-ignore", "tags", "tags-ignore")
#: Why an event brings code or a moment nobody reviewed (GitHub's "Events that trigger workflows").
_EVENTS = {
    "workflow_dispatch": "anyone with write access starts it on a ref they pick, running that ref's copy of the file",
    "repository_dispatch": "anyone with a write token starts it, with a payload they write",
    "schedule": "a timer starts it on the default branch's copy, which is main's only if main is the default",
    "pull_request": "a pull request's code starts it, before any review",
    "pull_request_target": "a pull request starts it, on the copy of whatever base branch it targets",
    "workflow_run": "another workflow's run starts it, which may have run on any branch",
    "workflow_call": "a calling workflow starts it, on its own triggers",
    "merge_group": "a merge queue's commit starts it, before it is on main",
    "release": "a release of any tag starts it",
    "create": "creating any branch or tag starts it, on that ref's copy",
}


@dataclass(frozen=True)
class Trigger:
    """One event of a workflow's ``on:``, where it is written, and whether it brings reviewed code only."""

    event: str
    line: int
    reviewed_only: bool
    said: str


@dataclass(frozen=True)
class ApplyJob:
    """A job whose ``run:`` script applies Terraform, with its workflow's triggers and its environment."""

    workflow: str
    job: str
    line: int
    applies_at: str
    triggers: tuple[Trigger, ...]
    #: The environment's name as written (``None``: the job names none).
    environment: str | None = None
    environment_line: int | None = None

    @property
    def environment_is_expression(self) -> bool:
        return self.environment is not None and "${{" in self.environment

    @property
    def where(self) -> str:
        return f"{self.workflow} line {self.line} (job {self.job!r})"


@dataclass
class ApplyReading:
    """What was read of the apply jobs of a ref: the jobs, their environments, and what could not be read."""

    workflows: list[str] = field(default_factory=list)
    jobs: list[ApplyJob] = field(default_factory=list)
    #: Environment name -> GitHub's answer (None: GitHub has no such environment), or why it could not be read.
    environments: dict[str, dict[str, Any] | None | str] = field(default_factory=dict)
    #: Environment name -> its deployment branch policies (when ``custom_branch_policies``), or why unread.
    branch_policies: dict[str, list[dict[str, Any]] | str] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


# -- reading the workflows -----------------------------------------------------------------------------------


def _line(node: Any, key: Any) -> int:
    """1-based line of ``key`` in a round-trip mapping (or item in a sequence); 0 when unknown."""
    lc: Any = getattr(node, "lc", None)  # ruamel's round-trip position of each key and item
    try:
        position = lc.key(key) if isinstance(node, dict) else lc.item(key)
        return int(position[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0


def _push_trigger(config: Any, branch: str, line: int) -> Trigger:
    """``push``: reviewed only when its branches are exactly ``branch`` and no other ref filter lets more in."""
    if not isinstance(config, dict):
        return Trigger("push", line, False, "push to any branch or tag")
    branches = config.get("branches")
    extra = [k for k in _PUSH_REF_FILTERS if k in config]
    if extra:
        return Trigger("push", line, False, f"push with {', '.join(extra)}: refs other than {branch} start it")
    if branches is None:
        return Trigger("push", line, False, "push to any branch (no branches filter)")
    names = [str(b) for b in branches] if isinstance(branches, list) else [str(branches)]
    if names and all(n == branch for n in names):
        return Trigger("push", line, True, f"push to {branch}")
    others = [n for n in names if n != branch] or ["(none listed)"]
    return Trigger("push", line, False, f"push to branches {', '.join(others)}")


def triggers(document: Any, branch: str) -> tuple[Trigger, ...]:
    """Each event of the workflow's ``on:`` (a name, a list or a mapping), with its line."""
    on = document.get("on") if isinstance(document, dict) else None
    on_line = _line(document, "on")
    if isinstance(on, str):
        events: list[tuple[str, Any, int]] = [(on, None, on_line)]
    elif isinstance(on, list):
        events = [(str(e), None, _line(on, i) or on_line) for i, e in enumerate(on)]
    elif isinstance(on, dict):
        events = [(str(k), v, _line(on, k) or on_line) for k, v in on.items()]
    else:
        events = []
    found = []
    for event, config, line in events:
        if event == "push":
            found.append(_push_trigger(config, branch, line))
        else:
            found.append(Trigger(event, line, False, _EVENTS.get(event, f"not a push to {branch}")))
    return tuple(found)


def _environment(job: dict[str, Any]) -> tuple[str | None, int | None]:
    """The environment a job names (``environment: name`` or ``environment: {name: ...}``) and its line."""
    if "environment" not in job:
        return None, None
    value = job["environment"]
    name = value.get("name") if isinstance(value, dict) else value
    return (str(name) if name is not None else None), _line(job, "environment")


def _commands(script: str) -> list[tuple[int, str]]:
    """A script's command lines with their offset in it: a line ending in ``\\`` goes on with the next."""
    found: list[tuple[int, str]] = []
    start, pending = 0, ""
    for offset, text in enumerate(script.splitlines()):
        if not pending:
            start = offset
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        found.append((start, pending + text))
        pending = ""
    if pending:
        found.append((start, pending))
    return found


def _apply_step(job: dict[str, Any]) -> str | None:
    """Where a job's ``run:`` scripts apply Terraform (its step's line and command), None when they do not."""
    for index, step in enumerate(job.get("steps") or []):
        if not isinstance(step, dict) or not isinstance(step.get("run"), str):
            continue
        block = 1 if "\n" in step["run"] else 0  # a block scalar's text starts on the line after ``run: |``
        for offset, command in _commands(step["run"]):
            if _APPLIES.search(command):
                line = (_line(step, "run") or _line(job["steps"], index)) + block + offset
                return f"line {line}: `{' '.join(command.split())}`"
    return None


def apply_jobs(path: str, text: str, branch: str) -> list[ApplyJob]:
    """The jobs of one workflow file that apply Terraform; a file that is no YAML raises ``ValueError``."""
    try:
        document = YAML(typ="rt", pure=True).load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(
            f"{path}{where} is not YAML GitHub would read: {getattr(err, 'problem', None) or err}"
        ) from None
    jobs = document.get("jobs") if isinstance(document, dict) else None
    found = []
    for job_id, job in (jobs or {}).items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict) or (step := _apply_step(job)) is None:
            continue
        name, line = _environment(job)
        found.append(ApplyJob(path, str(job_id), _line(jobs, job_id), step, triggers(document, branch), name, line))
    return found


def read_apply_gates(client: GitHubRepo, ref: str, tree: list[str], branch: str) -> ApplyReading:
    """The apply jobs of the workflows in ``tree`` (the files of ``ref``) and the environments they name."""
    reading = ApplyReading()
    # GitHub runs the files directly in .github/workflows, not in folders under it.
    reading.workflows = sorted(
        p
        for p in tree
        if p.startswith(WORKFLOWS_DIR) and "/" not in p[len(WORKFLOWS_DIR) :] and p.endswith((".yml", ".yaml"))
    )
    for path in reading.workflows:
        try:
            text = client.file_text(path, ref)
        except GitHubApiError as err:
            reading.unreadable.append(f"could not read {path} at {ref[:12]}: {err} [{err.kind}]")
            continue
        if text is None:
            reading.unreadable.append(f"{path} is in the tree of {ref[:12]} but GitHub's contents API has no file")
            continue
        reading.requests.append(text.url)
        try:
            reading.jobs += apply_jobs(path, str(text.data), branch)
        except ValueError as err:
            reading.unreadable.append(f"which jobs apply Terraform is unknown: {err}")
    for name in dict.fromkeys(j.environment for j in reading.jobs if j.environment):
        if "${{" in name:
            continue
        try:
            answer = client.environment(name)
        except GitHubApiError as err:
            reading.environments[name] = f"{err} [{err.kind}]"
            continue
        reading.environments[name] = answer.data if answer is not None else None
        if answer is None:
            continue
        reading.requests.append(answer.url)
        policy = answer.data.get("deployment_branch_policy")
        if isinstance(policy, dict) and policy.get("custom_branch_policies") is True:
            try:
                listed = client.deployment_branch_policies(name)
                reading.branch_policies[name] = list(listed.data)
                reading.requests.append(listed.url)
            except GitHubApiError as err:
                reading.branch_policies[name] = f"{err} [{err.kind}]"
    return reading


# -- judging -------------------------------------------------------------------------------------------------


def _reviewers(rule: dict[str, Any]) -> list[str]:
    names = []
    for entry in rule.get("reviewers") or []:
        who = entry.get("reviewer") if isinstance(entry, dict) else None
        if isinstance(who, dict):
            names.append(f"{entry.get('type', '?')} {who.get('login') or who.get('slug') or who.get('name')}")
    return names


def gate_gaps(
    name: str, environment: dict[str, Any], policies: list[dict[str, Any]] | str | None, branch: str
) -> tuple[list[str], list[str]]:
    """Why environment ``name`` is no gate (empty: it is one), and what of it could not be read."""
    gaps: list[str] = []
    unread: list[str] = []
    rules = [r for r in environment.get("protection_rules") or [] if isinstance(r, dict)]
    review = next((r for r in rules if r.get("type") == "required_reviewers"), None)
    if review is None or not _reviewers(review):
        gaps.append("no required reviewers (protection_rules has no required_reviewers rule naming a reviewer)")
    elif review.get("prevent_self_review") is not True:
        gaps.append(
            f"prevent_self_review is off: whoever starts the run may approve it themself (reviewers "
            f"{', '.join(_reviewers(review))})"
        )
    policy = environment.get("deployment_branch_policy")
    if not isinstance(policy, dict):
        gaps.append("deployment_branch_policy is null: every branch may deploy")
    elif policy.get("protected_branches") is True:
        pass
    elif policy.get("custom_branch_policies") is True:
        if isinstance(policies, str) or policies is None:
            unread.append(f"its deployment branch policies could not be read: {policies or 'not read'}")
        else:
            loose = [
                f"{p.get('type', 'branch')} {p.get('name')!r}"
                for p in policies
                if p.get("type", "branch") != "branch" or p.get("name") != branch
            ]
            if loose:
                gaps.append(
                    f"its deployment branch policies let {', '.join(loose)} deploy: anyone with write access pushes "
                    f"such a ref unreviewed (only branch {branch!r} is reviewed)"
                )
    else:
        gaps.append(f"deployment_branch_policy {policy} restricts no branch")
    bypass = environment.get("can_admins_bypass")
    if bypass is True:
        gaps.append("can_admins_bypass is true: an admin deploys without the required reviewer")
    elif bypass is not False:
        unread.append("GitHub's answer has no can_admins_bypass: whether admins skip its rules is unknown")
    return gaps, unread


def judge_apply_gates(
    reading: ApplyReading, repo: str, branch: str
) -> tuple[dict[str, Any], list[str], list[str], dict[str, Any]]:
    """Every apply job is reached by reviewed code only, or held by an environment that is a gate.

    Returns measured, problems, unreadable parts and details (as the other parts of GUARD-review)."""
    problems: list[str] = []
    unreadable = list(reading.unreadable)
    gates: dict[str, dict[str, Any]] = {}
    for name, answer in reading.environments.items():
        if isinstance(answer, str):
            gates[name] = {"error": answer}
            unreadable.append(f"could not read environment {name!r} of {repo}: {answer}")
        elif answer is None:
            gates[name] = {"exists": False}
        else:
            gaps, unread = gate_gaps(name, answer, reading.branch_policies.get(name), branch)
            gates[name] = {"exists": True, "gaps": gaps, "unread": unread}
            unreadable += [f"environment {name!r} of {repo}: {u}" for u in unread]
    open_paths: list[str] = []
    ungated: list[str] = []
    for job in reading.jobs:
        env = job.environment
        at = f"{job.workflow} line {job.environment_line}"
        gate = gates.get(env or "", {})
        if env is None:
            why_open = "names no environment, so nothing holds it for a second person"
        elif job.environment_is_expression:
            why_open = "takes its environment from an expression, which whoever starts the run picks"
            problems.append(
                f"{job.where} applies Terraform ({job.applies_at}) through an environment named by an expression "
                f"({at}: {env!r}): whoever starts the run picks it, an unprotected one too"
            )
        elif gate.get("exists") is False:
            why_open = f"names environment {env!r} ({at}), which {repo} does not have"
            problems.append(
                f"{job.where} applies Terraform ({job.applies_at}) through environment {env!r} ({at}), which "
                f"{repo} does not have: GitHub creates it on the job's first run, with no protection rule"
            )
        elif gate.get("gaps"):
            why_open = f"deploys through environment {env!r}, which is no gate"
            problems.append(
                f"{job.where} applies Terraform ({job.applies_at}) through environment {env!r} ({at}), which is no "
                f"gate: {'; '.join(gate['gaps'])}"
            )
        else:
            continue  # a gate (or unreadable, said above): every trigger waits for a second person
        if env is not None:
            ungated.append(job.where)
        for trigger in job.triggers:
            if trigger.reviewed_only:
                continue
            path = f"{job.workflow} line {trigger.line}: {trigger.event} ({trigger.said})"
            open_paths.append(path)
            problems.append(
                f"{path} starts job {job.job!r}, which applies Terraform ({job.applies_at}) and {why_open}: one "
                f"person applies code nobody reviewed; run it on push to {branch} only, or through an "
                "environment with required reviewers, prevent_self_review, protected branches only and no admin "
                "bypass"
            )
    measured = {"unreviewed_apply_triggers": open_paths, "apply_environments_not_gates": ungated}
    details = {
        "workflows_read": reading.workflows,
        "apply_jobs": [
            {
                "where": j.where,
                "applies": j.applies_at,
                "environment": j.environment,
                "triggers": [t.__dict__ for t in j.triggers],
            }
            for j in reading.jobs
        ],
        "environments": gates,
        "requests": reading.requests,
    }
    return measured, problems, unreadable, details
