"""GUARD-review, review before apply: no one person runs ``terraform apply`` on code nobody else reviewed.

A merge to main needs a second person (``lakehouse.checks.review``); that is worth nothing if a workflow
applies code that never went through a merge. Read through GitHub's REST API at main's bound head, as the
rest of the check: the workflows of the tree (``.github/workflows/*.yml``), each job whose ``run:`` script
calls ``terraform ... apply`` or ``destroy`` (an *apply job*; the steps of a local composite action it uses,
``uses: ./dir``, are its own), the triggers of its workflow, and the
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
chose. These need the gate too: a scheduled apply through it waits for a reviewer, which the plan's "review
before apply" asks anyway. A reusable workflow (``workflow_call``) runs on its caller's triggers: a job calling a
local one (``uses: ./.github/workflows/y.yml``) is replaced by the called workflow's jobs, judged under the
caller's triggers with the secrets (``secrets: inherit``, or a ``secrets:`` map: ``secrets.key`` there holds what
the caller maps to it, a repository secret, ``${{ vars.X }}`` or a literal ARN; none passed, none held) and inputs
(``inputs.role``: the caller's ``with:``, whose ``vars.X`` GitHub reads in the calling job, which names no
environment: ``lakehouse.checks.role_values``) the call hands them, each translated in the scope it is written in (an
expression using a handed value other than alone, ``secrets.role || vars.X``, is unknown: ``error`` where it may be
an apply job's role on unreviewed code), so a workflow only ``workflow_call`` starts has no jobs of its own. In a
workflow an event starts, an input its ``workflow_dispatch`` or ``workflow_call`` trigger declares is whatever the
dispatcher (or a caller of another repository) writes, the deploy role's ARN included: unknown, so ``error`` where
the job is open to unreviewed code, unless it is a ``type: choice`` whose ``options`` are all literal, then each
option is compared as a role the job may assume. ``github.event.inputs.x``, the older spelling, is the same
``workflow_dispatch`` input, in the workflows and actions it calls too (their ``github`` context is the caller's);
without that trigger it is empty. A secret an input picks (``secrets[inputs.x]``, ``secrets[github.event.inputs.x]``)
is whichever secret its starter names, the deploy key included: unknown, but for a choice, each option a secret;
``secrets[format('AWS_{0}_KEY', inputs.x)]`` is the secret GitHub's ``format`` names from literal arguments and inputs
whose text is known (a caller's ``with:``, each option of a choice), else unknown. One of
another repository (``owner/repo/.github/workflows/y.yml@ref``) is not read: handed secrets or ``id-token: write`` on a
trigger bringing unreviewed code, whether its jobs apply is unknown, and the verdict is ``error``. The job's
``if:`` is not read as a gate: a dispatched branch's copy of the file carries the ``if:`` its author wrote. A
job naming an environment that is no gate fails whatever its triggers (a workflow on any branch may name it too);
an environment named by an expression is one the starter picks, and fails.

Credentials. The gate holds the apply job, not the cloud credentials it applies with. Every other job of main's
workflows that obtains the same ones (``aws-actions/configure-aws-credentials`` with the same
``role-to-assume``: the same text, or the same value once its ``${{ vars.X }}`` are read from GitHub's environment,
repository and organization variables, ``lakehouse.checks.role_values``; a variable GitHub does not answer for
makes the verdict ``error`` when an ungated job's role may be an apply job's; or the same secrets as AWS keys: its
``aws-access-key-id``, ``aws-secret-access-key``, ``aws-session-token``, or ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` in a workflow's, job's or step's ``env:``) is judged as an
apply job. A secret is the one GitHub gives the job: a secret of the name it asks of the environment it names (listed
by name, ``GET /repos/{repo}/environments/{name}/secrets``) takes precedence over the repository's and the
organization's, in a called workflow's job too when its caller passes that name ("Reusing workflows"), so one name at
two levels is two secrets; an environment whose secrets cannot be listed leaves it unknown (``error`` where the job
is open). It is then judged as an apply job: on push to main only, or through a gate. A pull request's author
rewrites that job on their branch to run ``terraform apply`` with them (GitHub runs the branch's copy, which main's
reading never sees), and the repository's secrets and variables reach it: "Anyone with collaborator access to this
repository can use these secrets and variables for actions. They are not passed to workflows that are triggered by a
pull request from a fork." An OIDC role whose trust accepts only the subject the apply job's environment gives ("The
subject claim includes the environment name when the job references an environment":
``repo:OWNER/NAME:environment:NAME``) is safe wherever else it is named, but the trust is the cloud's, not GitHub's:
the reason says so, and the fix is a role of its own for the other job (``infra.yml``'s plan job assumes a read-only
``AWS_PLAN_ROLE_ARN``).

The apply role's trust (``lakehouse.checks.apply_trust``): with the harness's AWS session, the trust policy of each
apply job's role in that account must accept only the OIDC subjects gated jobs get, else a workflow a branch adds
(never on main, never read here) assumes it.

Not seen: the trust of a role in another account, or without an AWS session (recorded in the evidence, not
judged); two secrets holding the same role or key (secrets are never readable); a
workflow a branch adds naming the apply job's repository secrets (put static keys in the gate's
environment secrets: "Secrets stored in an environment are only available to workflow jobs that reference the
environment"); the jobs of another repository's reusable workflow, and the steps of a JavaScript or Docker action;
and ``terraform apply`` reached through ``make`` or a script rather than a ``run:`` line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lakehouse.checks.apply_trust import RoleUse, TrustReading, judge_trust
from lakehouse.checks.role_values import RoleValue, VariableReader, as_written, caller_side
from lakehouse.github import GitHubApiError, GitHubRepo
from lakehouse.shellscripts import ReadFile
from lakehouse.workflows import grants_id_token

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
class Credential:
    """Cloud credentials a job obtains: an AWS role it assumes or a secret it uses as an AWS key."""

    #: What two jobs share when equal: ``role <value>`` (blanks dropped, lower case: IAM role names, secret
    #: and variable names are case-insensitive) or ``secret <NAME>``.
    key: str
    #: The line of the input or variable handing it over, and how, as written:
    #: ``role-to-assume ${{ vars.AWS_DEPLOY_ROLE_ARN }}``, ``job env AWS_ACCESS_KEY_ID secrets.KEY_ID``.
    line: int
    how: str
    #: The ``role-to-assume`` text as the repository holds it (None: a secret used as an AWS key).
    role: str | None = None
    #: Why the role's text is not known (it uses what a caller handed in an expression); empty when known.
    unknown: str = ""
    #: A secret (an AWS key, or a role written ``${{ secrets.X }}``): the name the job asks its ``secrets`` context
    #: for (upper case), which a secret of that name of the job's environment takes precedence over; empty when not
    #: followed (a role written otherwise, a secret its starter picks).
    named: str = ""

    @property
    def said(self) -> str:
        return f"line {self.line}: {self.how}"


@dataclass(frozen=True)
class Job:
    """A workflow job: its workflow's triggers, the environment it names and the cloud credentials it obtains."""

    workflow: str
    job: str
    line: int
    triggers: tuple[Trigger, ...]
    #: The environment's name as written (``None``: the job names none).
    environment: str | None = None
    environment_line: int | None = None
    credentials: tuple[Credential, ...] = ()
    #: A job of a reusable workflow: the calling workflow (whose triggers start it) and the calling job, as said.
    caller: str = ""
    called_by: str = ""

    @property
    def environment_is_expression(self) -> bool:
        return self.environment is not None and "${{" in self.environment

    @property
    def where(self) -> str:
        called = f", called by {self.called_by}" if self.called_by else ""
        return f"{self.workflow} line {self.line} (job {self.job!r}{called})"

    def trigger_at(self, trigger: Trigger) -> str:
        """Where ``trigger`` is written: the calling workflow's ``on:`` for a job of a reusable workflow."""
        return f"{self.caller or self.workflow} line {trigger.line}"


@dataclass(frozen=True)
class ApplyJob(Job):
    """A job whose ``run:`` script applies Terraform (``applies_at``: the line and command)."""

    applies_at: str = ""


@dataclass(frozen=True)
class RemoteCall(Job):
    """A job calling a reusable workflow of another repository (``calls``), whose jobs are not read here, and what
    it hands them that could apply Terraform (``hands``: ``secrets: inherit``, the secrets it maps,
    ``id-token: write``; empty: nothing)."""

    calls: str = ""
    hands: str = ""


@dataclass
class ApplyReading:
    """What was read of the apply jobs of a ref: the jobs, their environments, and what could not be read."""

    workflows: list[str] = field(default_factory=list)
    jobs: list[ApplyJob] = field(default_factory=list)
    #: The jobs that apply nothing but obtain cloud credentials an apply job obtains too.
    credential_jobs: list[Job] = field(default_factory=list)
    #: Environment name -> GitHub's answer (None: GitHub has no such environment), or why it could not be read.
    environments: dict[str, dict[str, Any] | None | str] = field(default_factory=dict)
    #: Environment name -> its deployment branch policies (when ``custom_branch_policies``), or why unread.
    branch_policies: dict[str, list[dict[str, Any]] | str] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: (environment a job names, ``role-to-assume`` as written) -> its value read from GitHub's variables.
    roles: dict[tuple[str | None, str], RoleValue] = field(default_factory=dict)
    #: The trust of the apply jobs' roles in the harness's AWS account (None: not asked).
    trust: TrustReading | None = None
    #: Environment name -> the names of its secrets (None: GitHub has no such environment), or why unread.
    environment_secrets: dict[str, frozenset[str] | None | str] = field(default_factory=dict)

    def secret(self, job: Job, credential: Credential) -> tuple[frozenset[str], str]:
        """Which secret ``credential`` (an AWS key, or a role written ``${{ secrets.X }}``) is for ``job``: the
        repository's (its ``key``: the secret, else the organization's of that name, or the text its caller handed),
        or ``environment E secret|role X`` when the environment ``E`` the job names has a secret of the name the job
        asks (GitHub: "if an organization, repository, and environment all have a secret with the same name, the
        environment-level secret takes precedence", in a called workflow's job too when its caller passes the name).
        Both, with why, when ``E``'s secrets could not be listed."""
        env, named = job.environment, credential.named
        if not named or env is None or job.environment_is_expression:
            return frozenset({credential.key}), ""
        own = f"environment {env.lower()} {'secret' if credential.role is None else 'role'} {named}"
        listed = self.environment_secrets.get(env)
        if isinstance(listed, str):
            why = f"whether environment {env!r} has its own secret {named}, which {job.where} would get, is unknown"
            return frozenset({credential.key, own}), f"{why}: {listed}"
        return frozenset({own} if listed is not None and named in listed else {credential.key}), ""

    def role(self, job: Job, credential: Credential) -> RoleValue | None:
        """The value of ``credential``'s role for ``job`` (None: a secret key, or not resolved)."""
        if credential.role is None:
            return None
        if credential.unknown:
            return RoleValue(credential.role, None, unknown=credential.unknown)
        return self.roles.get((job.environment, credential.role))

    def apply_roles(self) -> list[RoleUse]:
        """Each apply job's role whose value is known, for the trust part."""
        return [
            RoleUse(value.value, j.where, j.environment, all(t.reviewed_only for t in j.triggers))
            for j in self.jobs
            for c in j.credentials
            if (value := self.role(j, c)) is not None and value.value
        ]


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


#: One ``${{ ... }}`` expression, and one that is an input or a secret alone (``inputs.x``, ``secrets.X`` or
#: ``secrets['X']``).
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_LONE_INPUT = re.compile(r"^\s*inputs\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$")
_LONE_SECRET = re.compile(r"^\s*secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\])\s*$")
#: ``secrets.NAME`` or ``secrets['NAME']`` in an expression.
_SECRET = re.compile(r"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\])")
_INPUT_USE = re.compile(r"\binputs\s*[.\[]")
#: ``github.event.inputs.x`` (or ``['x']``) alone: the older spelling of a ``workflow_dispatch`` input.
_LONE_EVENT_INPUT = re.compile(
    r"^\s*github\s*\.\s*event\s*\.\s*inputs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'([A-Za-z_][A-Za-z0-9_-]*)'\s*\])\s*$"
)
#: ``secrets[...]`` indexed by an expression rather than a quoted name (alone, and anywhere in an expression).
_LONE_PICKED_SECRET = re.compile(r"^\s*secrets\s*\[\s*(?!')(.*?)\s*\]\s*$", re.S)
_PICKS_SECRET = re.compile(r"\bsecrets\s*\[\s*(?!')")
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


#: ``format(template, arg, ...)`` (GitHub's function names are case-insensitive), and its ``{N}`` and ``{{``/``}}``.
_FORMAT = re.compile(r"^\s*format\s*\((.*)\)\s*$", re.S | re.I)
_FORMAT_PART = re.compile(r"\{\{|\}\}|\{(\d+)\}|[{}]")
_NUMBER = re.compile(r"^-?\d+$")


def _arguments(text: str) -> list[str] | None:
    """``text`` (a function's arguments) split at its top-level commas, outside quotes and brackets; None when a quote
    or bracket is left open."""
    found, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted  # ``''`` inside a string closes and reopens it: the same split
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            found.append(text[start:index].strip())
            start = index + 1
    return None if quoted or depth else [*found, text[start:].strip()]


def _format_call(inner: str) -> tuple[str, list[str]] | None:
    """(template, arguments as written) of ``format('...', ...)`` whose template is a string literal, else None."""
    call = _FORMAT.match(inner)
    parts = _arguments(call.group(1)) if call is not None else None
    if not parts or not (len(parts[0]) >= 2 and parts[0][0] == parts[0][-1] == "'"):
        return None
    return parts[0][1:-1].replace("''", "'"), parts[1:]


def _formatted(template: str, values: list[str]) -> str | None:
    """GitHub's ``format``: each ``{N}`` replaced by argument N, ``{{`` and ``}}`` a brace; None where GitHub fails
    the expression (a lone brace, an argument not given)."""
    out, position = [], 0
    for part in _FORMAT_PART.finditer(template):
        out.append(template[position : part.start()])
        token = part.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
        elif part.group(1) is not None and int(part.group(1)) < len(values):
            out.append(values[int(part.group(1))])
        else:
            return None
        position = part.end()
    return "".join([*out, template[position:]])


def _input_ref(inner: str) -> tuple[str, str] | None:
    """``("inputs", x)`` for ``inputs.x`` alone, ``("event", x)`` for ``github.event.inputs.x`` alone, else None."""
    if (lone := _LONE_INPUT.match(inner)) is not None:
        return "inputs", lone.group(1).lower()
    if (event := _LONE_EVENT_INPUT.match(inner)) is not None:
        return "event", (event.group(1) or event.group(2)).lower()
    return None


def _refs(inner: str) -> list[tuple[str, str]]:
    """The input references an expression is (``inputs.x``), or picks a secret by (``secrets[inputs.x]``, or the
    arguments of ``secrets[format('...', inputs.x)]``)."""
    picked = _LONE_PICKED_SECRET.match(inner)
    index = picked.group(1) if picked is not None else inner
    if (ref := _input_ref(index)) is not None:
        return [ref]
    call = _format_call(index) if picked is not None else None
    return [ref for argument in (call[1] if call else []) if (ref := _input_ref(argument)) is not None]


#: How deep GitHub nests reusable workflows and composite actions (10 levels, with the top one).
_MAX_DEPTH = 10


@dataclass(frozen=True)
class _Text:
    """A value as the repository holds it: ``text`` names only repository-level ``secrets.X`` and ``vars.X`` (each
    input and each secret a caller handed replaced by what the caller wrote for it); ``unknown`` says why it is not
    known (an expression using an input or a handed secret in another way than alone), empty when it is."""

    text: str
    unknown: str = ""
    #: The texts it may be, one of which its starter picks (a ``type: choice`` input's literal options); when set,
    #: ``text`` is unused.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Scope:
    """What ``inputs.x`` and ``secrets.X`` mean where a step runs.

    ``inputs``: each input (lower case) as its caller wrote it (a reusable workflow's ``with:``, a composite action
    step's), else its default. ``secrets``: None in a workflow an event starts (``secrets.X`` is repository secret X)
    and in one called with ``secrets: inherit``; else what the caller wrote for each name it mapped (a name not
    mapped is empty: GitHub hands a called workflow only the secrets its caller passes). Both already translated to
    the repository's level, so a value is translated once, in the scope it is written in. ``called``: inside a
    reusable workflow or composite action (an input used in an expression is then the caller's, not readable).
    ``event_inputs``: what ``github.event.inputs.x`` holds, the inputs of the started workflow's ``workflow_dispatch``
    trigger, the same in every workflow and action it calls ("the github context is always associated with the
    caller workflow"); empty without that trigger (GitHub refuses a dispatch naming an input not declared)."""

    inputs: Mapping[str, _Text] = field(default_factory=dict)
    secrets: Mapping[str, _Text] | None = None
    called: bool = False
    event_inputs: Mapping[str, _Text] = field(default_factory=dict)

    def held(self, ref: tuple[str, str]) -> _Text:
        """What an input reference of ``_input_ref`` holds (empty: not declared, not handed)."""
        kind, name = ref
        return (self.inputs if kind == "inputs" else self.event_inputs).get(name, _Text(""))

    def _picked(self, expression: str, index: str) -> str | _Text:
        """The secret ``secrets[index]`` names at the repository's level (as ``${{ secrets.X }}``, or the text its
        caller handed for X), or, as a ``_Text`` with ``unknown``, why it is not known: an index its starter
        writes names any secret, the deploy key included."""
        ref = _input_ref(index)
        if ref is not None:
            held = self.held(ref)
        elif (call := _format_call(index)) is not None:
            held = self._format(expression, *call)
        else:
            held = _Text("", f"{expression} picks a secret by an expression")
        if held.choices:  # only ``resolve_each`` follows each option
            return _Text("", f"{expression} is one of secrets {', '.join(held.choices)}, not followed here")
        if held.unknown or (held.text.strip() and not _SECRET_NAME.fullmatch(held.text.strip())):
            why = held.unknown or f"{index.strip()} holds {held.text.strip()!r}, not read here"
            return _Text(
                "", f"{expression} names whichever secret {index.strip()} holds, the deploy key's included: {why}"
            )
        name = held.text.strip()
        if not name:
            return ""  # ``secrets['']``: empty
        if self.secrets is None:
            return f"${{{{ secrets.{name} }}}}"
        return self.secrets.get(name.upper(), _Text(""))

    def _format(self, expression: str, template: str, arguments: list[str]) -> _Text:
        """The text ``format(template, arguments...)`` gives where each argument is a string or number literal or an
        input whose text is known (a choice's options are followed by ``resolve_each``); else ``unknown`` says
        which argument is not."""
        values = []
        for argument in arguments:
            ref = _input_ref(argument)
            held = self.held(ref) if ref is not None else None
            if len(argument) >= 2 and argument[0] == argument[-1] == "'":
                values.append(argument[1:-1].replace("''", "'"))
            elif _NUMBER.match(argument):
                values.append(str(int(argument)))
            elif held is not None and held.choices:
                return _Text("", f"{expression}: {argument} is one of {', '.join(held.choices)}, not followed here")
            elif held is not None and not held.unknown and "${{" not in held.text:
                values.append(held.text)
            else:
                why = (held.unknown or f"it holds {held.text.strip()!r}") if held is not None else "not a literal"
                return _Text("", f"{expression}: format argument {argument} is not known here ({why})")
        text = _formatted(template, values)
        return _Text(text) if text is not None else _Text("", f"{expression}: GitHub fails this format")

    def resolve(self, value: Any) -> _Text:
        """``value`` with each ``${{ inputs.x }}`` and ``${{ secrets.X }}`` replaced by what it holds at the
        repository's level: the caller's ``with:`` or ``secrets:`` text (a literal, ``${{ vars.Y }}``, a repository
        secret), empty when not handed. Other expressions stay as written, unknown when they use an input or a
        handed secret."""
        unknown: list[str] = []

        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            if (ref := _input_ref(inner)) is not None:
                held = self.held(ref)
                if held.choices:  # only ``resolve_each`` follows each option
                    unknown.append(f"{match.group(0).strip()} is one of {', '.join(held.choices)}, not followed here")
                    return match.group(0)
            elif (secret := _LONE_SECRET.match(inner)) is not None:
                name = secret.group(1) or secret.group(2)
                if self.secrets is None:
                    return match.group(0)  # the repository's secret (or, inherited, the caller's: the same)
                held = self.secrets.get(name.upper(), _Text(""))
            elif (picked := _LONE_PICKED_SECRET.match(inner)) is not None:
                found = self._picked(match.group(0).strip(), picked.group(1))
                if isinstance(found, str):
                    return found
                held = found
            else:
                if _PICKS_SECRET.search(inner):
                    unknown.append(f"{match.group(0).strip()} picks a secret by an expression, not read here")
                elif (self.called and _INPUT_USE.search(inner)) or (self.secrets is not None and _SECRET.search(inner)):
                    unknown.append(
                        f"{match.group(0).strip()} uses what its caller hands it in an expression, not read here"
                    )
                return match.group(0)
            unknown.extend([held.unknown] if held.unknown else [])
            return held.text

        text = _EXPRESSION.sub(one, str(value))
        return _Text(text, "; ".join(dict.fromkeys(unknown)))

    def resolve_each(self, value: Any) -> list[_Text]:
        """Each text ``value`` may hold: ``resolve`` once per combination of the options of the choice inputs it
        names alone (one text when it names none)."""
        refs = sorted(
            {
                ref
                for match in _EXPRESSION.finditer(str(value))
                for ref in _refs(match.group(1))
                if self.held(ref).choices
            }
        )
        found = []
        for options in itertools.product(*(self.held(r).choices for r in refs)):
            chosen = {r: _Text(o) for r, o in zip(refs, options, strict=True)}
            inputs = {**self.inputs, **{n: t for (kind, n), t in chosen.items() if kind == "inputs"}}
            event_inputs = {**self.event_inputs, **{n: t for (kind, n), t in chosen.items() if kind == "event"}}
            found.append(replace(self, inputs=inputs, event_inputs=event_inputs).resolve(value))
        return found

    def picked_secrets(self, value: Any) -> list[_Text]:
        """The repository secret each ``secrets[...]`` indexed by an expression in ``value`` names (``text``, one
        per option of a choice input), or why it is not known (``unknown``)."""
        found: list[_Text] = []
        for match in _EXPRESSION.finditer(str(value)):
            if not _PICKS_SECRET.search(match.group(1)):
                continue
            for held in self.resolve_each(match.group(0)):
                names = [s.group(1) or s.group(2) for s in _SECRET.finditer(held.text)]
                found += [_Text(n) for n in names] if not held.unknown else [held]
        return found

    def repository_secrets(self, value: Any) -> list[tuple[str, str]]:
        """(repository secret, name as written) of each ``secrets.NAME`` in ``value``, translated through the
        inputs and the secrets its caller handed (all the secrets an expression names when it is not one alone)."""
        found: list[tuple[str, str]] = []
        for match in _EXPRESSION.finditer(str(value)):
            inner = match.group(1)
            if _LONE_INPUT.match(inner) or _LONE_SECRET.match(inner):
                held = self.resolve(match.group(0)).text
                written = _LONE_SECRET.match(inner)
                for secret in _SECRET.finditer(held):
                    name = secret.group(1) or secret.group(2)
                    found.append((name, (written.group(1) or written.group(2)) if written else name))
                continue
            for secret in _SECRET.finditer(inner):
                name = secret.group(1) or secret.group(2)
                held_in = (
                    [name]
                    if self.secrets is None
                    else [
                        s.group(1) or s.group(2)
                        for s in _SECRET.finditer(self.secrets.get(name.upper(), _Text("")).text)
                    ]
                )
                found += [(h, name) for h in held_in]
        return found


@dataclass(frozen=True)
class _Step:
    """A step a job runs: its own (``origin`` empty), or one of a local composite action it uses (``origin`` that
    action's file; ``via``, ``via_line``: the job's step using it, ``uses ./.github/actions/deploy`` and its line)."""

    node: dict[str, Any]
    scope: _Scope
    line: int
    origin: str = ""
    via: str = ""
    via_line: int = 0

    def said(self, line: int, what: str) -> tuple[int, str]:
        """(line, how) of ``what`` written at ``line`` of this step's file: in a composite action, the line of the
        job's step using it, and the action's line in ``how``."""
        return (self.via_line, f"{self.via}, {self.origin} line {line}: {what}") if self.origin else (line, what)


def _callers(text: _Text) -> _Text:
    """A value a reusable workflow's caller hands it, its ``vars.X`` marked as the caller's (``caller_side``)."""
    return replace(text, text=caller_side(text.text), choices=tuple(caller_side(c) for c in text.choices))


def _inputs(declared: Any, given: Any, scope: _Scope, called: bool = False) -> dict[str, _Text]:
    """The inputs a callee gets: ``given`` (its caller's ``with:``, translated in the caller's ``scope``) over the
    ``default`` of each input ``declared``. ``called``: the callee is a reusable workflow, whose caller's ``vars.X``
    are read in the calling job's context (a composite action's ``with:`` is read in its job, as its steps)."""
    found = {
        str(name).lower(): _Text(str(spec["default"]))
        for name, spec in (declared.items() if isinstance(declared, dict) else [])
        if isinstance(spec, dict) and spec.get("default") is not None
    }
    for name, value in given.items() if isinstance(given, dict) else []:
        held = [_callers(h) if called else h for h in scope.resolve_each(value)]
        unknown = "; ".join(dict.fromkeys(h.unknown for h in held if h.unknown))
        many = len(held) > 1 and not unknown
        found[str(name).lower()] = (
            _Text("", choices=tuple(h.text for h in held)) if many else replace(held[0], unknown=unknown)
        )
    return found


def _started_inputs(
    path: str, document: Any, events: tuple[str, ...] = ("workflow_dispatch", "workflow_call"), spelled: str = "inputs"
) -> dict[str, _Text]:
    """The inputs of a workflow an event starts: each one its ``workflow_dispatch`` or ``workflow_call`` trigger
    declares is whatever its starter writes (GitHub, "inputs context": the values the dispatcher or a caller of
    another repository passes), so unknown, but for a ``type: choice`` input whose ``options`` are all literal: one of
    them. On every other event ``inputs.x`` is empty. ``events``: the triggers read; ``spelled``: how the reason
    names the context (``github.event.inputs`` holds the ``workflow_dispatch`` ones only)."""
    on = document.get("on") if isinstance(document, dict) else None
    found: dict[str, _Text] = {}
    for event in events:
        config = on.get(event) if isinstance(on, dict) else None
        declared = config.get("inputs") if isinstance(config, dict) else None
        for name, spec in declared.items() if isinstance(declared, dict) else []:
            key, spec = str(name).lower(), spec if isinstance(spec, dict) else {}
            options = spec.get("options")
            if (
                event == "workflow_dispatch"
                and spec.get("type") == "choice"
                and isinstance(options, list)
                and options
                and all(isinstance(o, str | int | float) and "${{" not in str(o) for o in options)
            ):
                found.setdefault(key, _Text("", choices=tuple(str(o) for o in options)))
                continue
            starter = (
                "whoever dispatches the workflow chooses its value"
                if event == "workflow_dispatch"
                else "a calling workflow of another repository, not read here, chooses its value"
            )
            found[key] = _Text(
                "",
                f"{spelled}.{name} is an input of {path}'s {event} trigger (line {_line(declared, name)}): {starter}, "
                "the deploy role's included",
            )
    return found


def _load(path: str, text: str) -> Any:
    """A workflow or action file as ruamel's round-trip reader gives it (with lines); no YAML raises ValueError."""
    try:
        return YAML(typ="rt", pure=True).load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(
            f"{path}{where} is not YAML GitHub would read: {getattr(err, 'problem', None) or err}"
        ) from None


def _job_steps(job: dict[str, Any], scope: _Scope, read: ReadFile | None) -> list[_Step]:
    """A job's steps, each local composite action (``uses: ./dir``, ``dir/action.yml``) it uses replaced by the
    action's own steps, read with the inputs the step hands it: they run in the job, with its credentials."""
    steps = job.get("steps")
    found: list[_Step] = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict):
            line = _line(step, "run") or _line(step, "uses") or _line(steps, index)
            found += _expanded(_Step(step, scope, line), read, 1)
    return found


def _expanded(step: _Step, read: ReadFile | None, depth: int) -> list[_Step]:
    """``step``, or the steps of the local composite action it uses (theirs too, as deep as GitHub goes)."""
    uses = str(step.node.get("uses") or "").strip()
    if read is None or not uses.startswith("./") or depth > _MAX_DEPTH:
        return [step]
    folder = uses.removeprefix("./").rstrip("/")
    path, text = next(((p, t) for p in (f"{folder}/action.yml", f"{folder}/action.yaml") if (t := read(p))), ("", None))
    action: Any = _load(path, text) if text is not None else None
    runs = action.get("runs") if isinstance(action, dict) else None
    inner = runs.get("steps") if isinstance(runs, dict) and runs.get("using") == "composite" else None
    if not isinstance(inner, list):
        return [step]  # no such action (the step fails), or one of JavaScript or Docker: not read
    given = _inputs(action.get("inputs"), step.node.get("with"), step.scope)
    scope = _Scope(given, step.scope.secrets, True, step.scope.event_inputs)
    via, via_line = (step.via, step.via_line) if step.via else (f"uses {uses}", step.line)
    found: list[_Step] = []
    for index, node in enumerate(inner):
        if isinstance(node, dict):
            line = _line(node, "run") or _line(node, "uses") or _line(inner, index)
            found += _expanded(_Step(node, scope, line, path, via, via_line), read, depth + 1)
    return found


def _apply_step(steps: list[_Step]) -> str | None:
    """Where a job's ``run:`` scripts apply Terraform (its step's line and command), None when they do not."""
    for step in steps:
        script = step.node.get("run")
        if not isinstance(script, str):
            continue
        block = 1 if "\n" in script else 0  # a block scalar's text starts on the line after ``run: |``
        for offset, command in _commands(script):
            if _APPLIES.search(command):
                line, how = step.said(step.line + block + offset, f"`{' '.join(command.split())}`")
                return f"line {line}: {how}"
    return None


#: The action that hands a job AWS credentials, its inputs naming static keys, and the variables that do.
_AWS_ACTION = "aws-actions/configure-aws-credentials@"
_KEY_INPUTS = ("aws-access-key-id", "aws-secret-access-key", "aws-session-token")
_KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _secret_keys(
    node: Any, names: tuple[str, ...], what: str, scope: _Scope, at: _Step | None = None
) -> list[Credential]:
    """The repository secrets a mapping (``with:`` or ``env:``) hands over under the AWS key ``names``, with their
    lines (in a composite action: the line of the job's step using it, and the action's line in ``how``)."""
    found = []
    for name in names:
        value = node.get(name) if isinstance(node, dict) else None
        for secret, written in scope.repository_secrets(value) if value is not None else []:
            how = f"{what}{name} secrets.{written}" + (f" (repository secret {secret})" if secret != written else "")
            line, how = at.said(_line(node, name), how) if at is not None else (_line(node, name), how)
            found.append(Credential(f"secret {secret.upper()}", line, how, named=written.upper()))
        for held in scope.picked_secrets(value) if value is not None else []:
            written = str(value).strip()
            how = f"{what}{name} {written}" + (f" (secret {held.text})" if held.text else "")
            line, how = at.said(_line(node, name), how) if at is not None else (_line(node, name), how)
            key = f"secret {held.text.upper() or ''.join(written.split()).lower()}"
            # In a called workflow the name picked is the callee's, translated through its caller's: not followed.
            named = held.text.upper() if scope.secrets is None and not held.unknown else ""
            found.append(Credential(key, line, how, unknown=held.unknown, named=named))
    return found


def _credentials(
    document: dict[str, Any], job: dict[str, Any], steps: list[_Step], scope: _Scope
) -> tuple[Credential, ...]:
    """The AWS roles a job assumes and the secrets it uses as AWS keys (workflow, job and step ``env:`` too, and
    the steps of the local composite actions it uses)."""
    found = _secret_keys(document.get("env"), _KEY_VARIABLES, "workflow env ", scope)
    found += _secret_keys(job.get("env"), _KEY_VARIABLES, "job env ", scope)
    for step in steps:
        found += _secret_keys(step.node.get("env"), _KEY_VARIABLES, "step env ", step.scope, step)
        if not str(step.node.get("uses") or "").strip().lower().startswith(_AWS_ACTION):
            continue
        inputs = step.node.get("with")
        if not isinstance(inputs, dict):
            continue
        role = inputs.get("role-to-assume")
        each = step.scope.resolve_each(role) if role is not None else []
        for held in each:
            # An unknown role (an input its starter writes) is one all the same: kept as written, compared "maybe".
            written = held.text.strip() or (str(role).strip() if held.unknown else "")
            if not written:
                continue
            key = "role " + "".join(written.split()).lower()
            how = f"role-to-assume {str(role).strip()}"
            if written != str(role).strip():
                how += f" (option {written})" if len(each) > 1 else f" (its caller's {as_written(written)})"
            line, how = step.said(_line(inputs, "role-to-assume"), how)
            # ``${{ secrets.X }}`` alone: a secret X of the job's environment takes precedence over what it holds.
            alone = _EXPRESSION.fullmatch(str(role).strip())
            lone = _LONE_SECRET.match(alone.group(1)) if alone is not None and len(each) == 1 else None
            named = (lone.group(1) or lone.group(2)).upper() if lone is not None and not held.unknown else ""
            found.append(Credential(key, line, how, written, held.unknown, named))
        found += _secret_keys(inputs, _KEY_INPUTS, "", step.scope, step)
    return tuple(dict.fromkeys(found))


def workflow_jobs(path: str, text: str, branch: str, read: ReadFile | None = None) -> list[Job]:
    """Every job of one workflow file (an ``ApplyJob`` when it applies Terraform); no YAML raises ``ValueError``.

    ``read``: the files of the same ref, to follow the local composite actions and reusable workflows the jobs use
    (None: not followed). A reusable workflow's jobs are judged under its caller's triggers: a workflow started only
    by ``workflow_call`` has no jobs of its own here, they are its callers'."""
    document = _load(path, text)
    found_triggers = triggers(document, branch)
    started = tuple(t for t in found_triggers if t.event != "workflow_call")
    if found_triggers and not started:
        return []
    inputs = _started_inputs(path, document)
    event_inputs = _started_inputs(path, document, ("workflow_dispatch",), "github.event.inputs")
    scope = _Scope(inputs, None, bool(inputs), event_inputs)
    return _workflow_jobs(path, document, branch, started, ("", ""), scope, read, 1)


def _workflow_jobs(
    path: str,
    document: Any,
    branch: str,
    started: tuple[Trigger, ...],
    caller: tuple[str, str],
    scope: _Scope,
    read: ReadFile | None,
    depth: int,
) -> list[Job]:
    """The jobs of a workflow ``document`` started by ``started`` (written in ``caller[0]``, the calling workflow, or
    in ``path``), called by ``caller[1]`` (empty: an event starts it)."""
    jobs = document.get("jobs") if isinstance(document, dict) else None
    found: list[Job] = []
    for job_id, job in (jobs or {}).items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        line = _line(jobs, job_id)
        if isinstance(job.get("uses"), str):
            call = Job(path, str(job_id), line, started, caller=caller[0], called_by=caller[1])
            found += _called(call, document, job, branch, scope, read, depth)
            continue
        name, env_line = _environment(job)
        steps = _job_steps(job, scope, read)
        said = (path, str(job_id), line, started, name, env_line, _credentials(document, job, steps, scope))
        step = _apply_step(steps)
        found.append(Job(*said, *caller) if step is None else ApplyJob(*said, *caller, applies_at=step))
    return found


def _called(
    call: Job, document: Any, job: dict[str, Any], branch: str, scope: _Scope, read: ReadFile | None, depth: int
) -> list[Job]:
    """The jobs a reusable workflow call (``jobs.<id>.uses``) runs: a local workflow's, read at the same ref and
    judged under the caller's triggers with the inputs and secrets the call hands it; for another repository's, a
    ``RemoteCall`` saying what it is handed."""
    uses = str(job["uses"]).strip()
    handed = job.get("secrets")
    if isinstance(handed, dict):
        secrets: Mapping[str, _Text] | None = {
            str(name).upper(): _callers(scope.resolve(v)) for name, v in handed.items()
        }
    else:
        secrets = scope.secrets if handed == "inherit" else {}
    if uses.startswith("./"):
        target = uses.removeprefix("./")
        text = read(target) if read is not None and depth < _MAX_DEPTH else None
        if text is None:
            return []  # not followed, or no such file (GitHub fails the call)
        called = _load(target, text)
        on = called.get("on") if isinstance(called, dict) else None
        declared = on.get("workflow_call") if isinstance(on, dict) else None
        inputs = _inputs(declared.get("inputs") if isinstance(declared, dict) else None, job.get("with"), scope, True)
        return _workflow_jobs(
            target,
            called,
            branch,
            call.triggers,
            (call.caller or call.workflow, call.where),
            _Scope(inputs, secrets, True, scope.event_inputs),
            read,
            depth + 1,
        )
    credentials = [
        Credential(f"secret {secret.upper()}", _line(handed, name), f"secrets: {name} secrets.{secret} to {uses}")
        for name, value in (handed.items() if isinstance(handed, dict) else [])
        for secret, _ in scope.repository_secrets(value)
    ]
    hands = []
    if handed == "inherit":
        hands.append("secrets: inherit")
    elif isinstance(handed, dict) and handed:
        hands.append(f"secrets {', '.join(map(str, handed))}")
    if grants_id_token(job.get("permissions", document.get("permissions"))):
        hands.append("id-token: write")
    return [
        RemoteCall(
            call.workflow,
            call.job,
            call.line,
            call.triggers,
            credentials=tuple(credentials),
            caller=call.caller,
            called_by=call.called_by,
            calls=uses,
            hands=" and ".join(hands),
        )
    ]


def apply_jobs(path: str, text: str, branch: str, read: ReadFile | None = None) -> list[ApplyJob]:
    """The jobs of one workflow file that apply Terraform; a file that is no YAML raises ``ValueError``."""
    return [j for j in workflow_jobs(path, text, branch, read) if isinstance(j, ApplyJob)]


def _file_reader(client: GitHubRepo, ref: str, reading: ApplyReading) -> ReadFile:
    """The files of ``ref`` through GitHub's contents API, each asked once (the request goes to the evidence); a
    file GitHub does not answer for raises ``ValueError`` saying why."""
    seen: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in seen:
            try:
                answer = client.file_text(path, ref)
            except GitHubApiError as err:
                raise ValueError(f"could not read {path} at {ref[:12]}: {err} [{err.kind}]") from None
            if answer is not None:
                reading.requests.append(answer.url)
            seen[path] = str(answer.data) if answer is not None else None
        return seen[path]

    return read


def _opens(call: RemoteCall) -> bool:
    """A remote reusable workflow handed something to apply with, on a trigger that brings unreviewed code."""
    return bool(call.hands) and not all(t.reviewed_only for t in call.triggers)


def _remote_unknown(call: RemoteCall, branch: str) -> str:
    starts = ", ".join(f"{t.event} ({call.trigger_at(t)})" for t in call.triggers if not t.reviewed_only)
    return (
        f"{call.where} calls reusable workflow {call.calls} of another repository, handing it {call.hands}, and is "
        f"started by {starts}: its jobs are not readable here, so whether they apply Terraform, or obtain an apply "
        f"job's credentials, on code nobody reviewed is unknown (call a local copy, ./.github/workflows/..., whose "
        f"jobs are judged, or start the caller on push to {branch} only)"
    )


def read_environment_secrets(client: GitHubRepo, reading: ApplyReading) -> None:
    """The secret names of each environment a job using secrets as AWS keys names (by name, not an expression): a
    secret of the name the job asks there is the environment's own, not the repository's."""
    named = [
        j.environment
        for j in [*reading.jobs, *reading.credential_jobs]
        if j.environment and not j.environment_is_expression and any(c.named for c in j.credentials)
    ]
    for name in dict.fromkeys(named):
        try:
            answer = client.environment_secrets(name)
        except GitHubApiError as err:
            reading.environment_secrets[name] = (
                f"could not list the secrets of environment {name!r}: {err} [{err.kind}]"
            )
            continue
        reading.environment_secrets[name] = frozenset(answer.data) if answer is not None else None
        if answer is not None:
            reading.requests.append(answer.url)


def read_apply_gates(client: GitHubRepo, ref: str, tree: list[str], branch: str) -> ApplyReading:
    """The apply jobs of the workflows in ``tree`` (the files of ``ref``) and the environments they name."""
    reading = ApplyReading()
    # GitHub runs the files directly in .github/workflows, not in folders under it.
    reading.workflows = sorted(
        p
        for p in tree
        if p.startswith(WORKFLOWS_DIR) and "/" not in p[len(WORKFLOWS_DIR) :] and p.endswith((".yml", ".yaml"))
    )
    read = _file_reader(client, ref, reading)
    for path in reading.workflows:
        try:
            text = read(path)
        except ValueError as err:
            reading.unreadable.append(str(err))
            continue
        if text is None:
            reading.unreadable.append(f"{path} is in the tree of {ref[:12]} but GitHub's contents API has no file")
            continue
        try:
            jobs = workflow_jobs(path, text, branch, read)
        except ValueError as err:
            reading.unreadable.append(f"which jobs apply Terraform is unknown: {err}")
            continue
        reading.jobs += [j for j in jobs if isinstance(j, ApplyJob)]
        reading.credential_jobs += [j for j in jobs if not isinstance(j, ApplyJob) and j.credentials]
        reading.unreadable += [_remote_unknown(j, branch) for j in jobs if isinstance(j, RemoteCall) and _opens(j)]
    read_environment_secrets(client, reading)
    variables = VariableReader(client)
    for job in [*reading.jobs, *reading.credential_jobs]:
        for credential in job.credentials:
            if (
                credential.role is not None
                and not credential.unknown
                and (job.environment, credential.role) not in reading.roles
            ):
                reading.roles[(job.environment, credential.role)] = variables.role(credential.role, job.environment)
    reading.requests += variables.requests
    applying = reading.jobs
    reading.credential_jobs = [
        j for j in reading.credential_jobs if _shared(j, applying, reading) or _maybe_shared(j, applying, reading)
    ]
    named = [*reading.jobs, *reading.credential_jobs]
    for name in dict.fromkeys(j.environment for j in named if j.environment):
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


def _why_open(job: Job, does: str, gates: dict[str, dict[str, Any]], repo: str) -> tuple[str | None, str | None]:
    """Why nothing holds ``job`` for a second person (None: a gate holds it, or its environment is unreadable,
    said elsewhere), and what is wrong with the environment it names (None: it names none). ``does``: what
    the job does, for the reason."""
    env = job.environment
    at = f"{job.workflow} line {job.environment_line}"
    gate = gates.get(env or "", {})
    if env is None:
        return "names no environment, so nothing holds it for a second person", None
    if job.environment_is_expression:
        return (
            "takes its environment from an expression, which whoever starts the run picks",
            f"{job.where} {does} through an environment named by an expression ({at}: {env!r}): whoever starts "
            "the run picks it, an unprotected one too",
        )
    if gate.get("exists") is False:
        return (
            f"names environment {env!r} ({at}), which {repo} does not have",
            f"{job.where} {does} through environment {env!r} ({at}), which {repo} does not have: GitHub creates it "
            "on the job's first run, with no protection rule",
        )
    if gate.get("gaps"):
        return (
            f"deploys through environment {env!r}, which is no gate",
            f"{job.where} {does} through environment {env!r} ({at}), which is no gate: {'; '.join(gate['gaps'])}",
        )
    return None, None


def _compare(job: Job, mine: Credential, other: Job, theirs: Credential, reading: ApplyReading) -> str | None:
    """``same`` when two credentials are one (as written, or their roles' values read from GitHub are equal, or one
    environment's own secret), ``maybe`` when what GitHub did not answer (a variable, an environment's secrets) or
    a starter picks leaves it open, else None."""
    if mine.role is None and theirs.role is None and (mine.unknown or theirs.unknown):
        return "maybe"  # a secret picked by what its starter writes
    (a_may, _), (b_may, _) = reading.secret(job, mine), reading.secret(other, theirs)
    verdicts = {
        _compare_held(job, mine, other, theirs, reading)
        if (a, b) == (mine.key, theirs.key)
        else "same"
        if a == b
        else None
        for a in a_may
        for b in b_may
    }
    if verdicts == {"same"}:
        return "same"
    return "maybe" if verdicts & {"same", "maybe"} else None


def _compare_held(job: Job, mine: Credential, other: Job, theirs: Credential, reading: ApplyReading) -> str | None:
    """``_compare`` where neither is its environment's own secret: the repository's secrets by name, roles by text
    or by the values their variables hold."""
    if mine.role is None and theirs.role is None:
        return "same" if mine.key == theirs.key else None
    a, b = reading.role(job, mine), reading.role(other, theirs)
    if mine.key == theirs.key and not (mine.unknown or theirs.unknown):
        # One text, but its ``vars.X`` read for two environments may hold two roles (environment variables first).
        values = (a.value if a is not None else None, b.value if b is not None else None)
        return None if None not in values and values[0] != values[1] else "same"
    if a is None or b is None:
        return None
    if a.value and b.value:
        return "same" if a.value == b.value else None
    return "maybe" if a.unknown or b.unknown else None


def _shared(job: Job, applying: list[ApplyJob], reading: ApplyReading) -> list[str]:
    """What of ``job``'s credentials an apply job obtains too: its line, and the apply job's (with the role's value
    when the texts differ and the variables hold the same)."""
    found = []
    for mine in job.credentials:
        for other in applying:
            for theirs in other.credentials:
                if _compare(job, mine, other, theirs, reading) != "same":
                    continue
                said = f"{job.workflow} {mine.said}, as {other.where} at line {theirs.line}"
                (held,), _ = reading.secret(job, mine)  # "same": one secret each
                if held.startswith("environment "):
                    said += f" (both {held}: its environment's own)"
                elif mine.role is not None and mine.key != theirs.key:
                    a, b = reading.role(job, mine), reading.role(other, theirs)
                    said += (
                        f" ({theirs.role}): both hold role {a.value if a else '?'} "
                        f"({'; '.join([*(a.read if a else ()), *(b.read if b else ())])})"
                    )
                found.append(said)
    return found


def _maybe_shared(job: Job, applying: list[ApplyJob], reading: ApplyReading) -> list[str]:
    """The apply jobs' credentials ``job``'s may be, for want of a variable GitHub did not answer for."""
    found = []
    for mine in job.credentials:
        for other in applying:
            for theirs in other.credentials:
                if _compare(job, mine, other, theirs, reading) == "maybe":
                    a, b = reading.role(job, mine), reading.role(other, theirs)
                    whys = [mine.unknown, theirs.unknown, *(v.unknown for v in (a, b) if v is not None)]
                    whys += [reading.secret(j, c)[1] for j, c in ((job, mine), (other, theirs))]
                    why = "; ".join(dict.fromkeys(w for w in whys if w))
                    found.append(
                        f"{job.workflow} {mine.said} and {other.where} line {theirs.line} "
                        f"({theirs.role or theirs.how}): {why}"
                    )
    return found


def _trust_unseen(job: Job, applying: list[ApplyJob], repo: str, reading: ApplyReading) -> str:
    """What GitHub does not show when the shared credential is a role the gated apply job assumes by OIDC."""
    subjects = sorted(
        {
            f"repo:{repo}:environment:{other.environment}"
            for other in applying
            if other.environment and not other.environment_is_expression
            for theirs in other.credentials
            if theirs.key.startswith("role ")
            and any(_compare(job, mine, other, theirs, reading) == "same" for mine in job.credentials)
        }
    )
    if not subjects:
        return ""
    return (
        f"; a role whose trust accepts only the OIDC subject {' or '.join(subjects)} would refuse this job "
        f"(whose subject names {'environment ' + repr(job.environment) if job.environment else 'no environment'}), "
        "but a role's trust is the cloud's, not visible from GitHub"
    )


def _unknown_sharing(job: Job, reading: ApplyReading, gates: dict[str, dict[str, Any]], repo: str) -> list[str]:
    """Why it is unknown whether ``job``, open to unreviewed code, obtains an apply job's credentials (empty: a gate
    holds it, or none of its triggers brings unreviewed code, so the comparison decides nothing)."""
    maybe = _maybe_shared(job, reading.jobs, reading)
    why_open, _ = _why_open(job, "may obtain the cloud credentials an apply job applies with", gates, repo)
    starts = [f"{t.event} ({job.trigger_at(t)})" for t in job.triggers if not t.reviewed_only]
    if not maybe or why_open is None or not starts:
        return []
    # A variable GitHub did not answer for says "could not read" (``VariableReader``); an input is its starter's.
    fix = " (grant the token the Variables repository permission, read)" if "could not read" in "; ".join(maybe) else ""
    keys = any(  # a secret of its own, not a role, may be an apply job's
        c.role is None and _compare(job, c, other, theirs, reading) == "maybe"
        for c in job.credentials
        for other in reading.jobs
        for theirs in other.credentials
    )
    does = "uses as AWS keys the secrets" if keys else "assumes the role"
    return [
        f"whether {job.where}, started by {', '.join(starts)} and which {why_open}, {does} an apply job applies with "
        f"is unknown: {'; '.join(maybe)}; were they equal, whoever starts it (a pull request's author, "
        f"a dispatcher) would apply with it unreviewed{fix}"
    ]


def judge_apply_gates(
    reading: ApplyReading, repo: str, branch: str
) -> tuple[dict[str, Any], list[str], list[str], dict[str, Any]]:
    """Every apply job, and every job obtaining an apply job's cloud credentials, is reached by reviewed code only,
    or held by an environment that is a gate.

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
    gate_asked = (
        f"run it on push to {branch} only, or through an environment with required reviewers, "
        "prevent_self_review, protected branches only and no admin bypass"
    )
    for job in reading.jobs:
        does = f"applies Terraform ({job.applies_at})"
        why_open, environment_problem = _why_open(job, does, gates, repo)
        if why_open is None:
            continue  # a gate (or unreadable, said above): every trigger waits for a second person
        problems += [environment_problem] if environment_problem else []
        if job.environment is not None:
            ungated.append(job.where)
        for trigger in job.triggers:
            if trigger.reviewed_only:
                continue
            path = f"{job.trigger_at(trigger)}: {trigger.event} ({trigger.said})"
            open_paths.append(path)
            problems.append(
                f"{path} starts job {job.job!r}, which {does} and {why_open}: one person applies code nobody "
                f"reviewed; {gate_asked}"
            )
    credentials_open: list[str] = []
    for sharer in reading.credential_jobs:
        shared = _shared(sharer, reading.jobs, reading)
        if not shared:
            unreadable += _unknown_sharing(sharer, reading, gates, repo)
            continue
        does = f"obtains the cloud credentials an apply job applies with ({'; '.join(shared)})"
        why_open, environment_problem = _why_open(sharer, does, gates, repo)
        if why_open is None:
            continue
        if environment_problem:
            problems.append(environment_problem)
            credentials_open.append(f"{sharer.where}: environment {sharer.environment!r} is no gate")
        trust = _trust_unseen(sharer, reading.jobs, repo, reading)
        for trigger in sharer.triggers:
            if trigger.reviewed_only:
                continue
            path = f"{sharer.trigger_at(trigger)}: {trigger.event} ({trigger.said})"
            credentials_open.append(f"{path}: job {sharer.job!r}")
            problems.append(
                f"{path} starts job {sharer.job!r}, which {does} and {why_open}: the copy of the job that runs "
                "may be one nobody reviewed (a pull request's, a dispatched branch's), rewritten to run `terraform "
                f"apply` with those credentials (main's copy applies nothing, so the apply rule never sees it){trust}; "
                "give the job credentials "
                "of its own (a read-only role, as infra.yml's plan job assumes vars.AWS_PLAN_ROLE_ARN), or "
                f"{gate_asked}"
            )
    gate_names = {name for name, gate in gates.items() if gate.get("exists") and not gate.get("gaps")}
    trust_problems, trust_details = (
        judge_trust(reading.trust, reading.apply_roles(), gate_names, repo, branch)
        if reading.trust is not None
        else ([], {"not_read": "no AWS session was given (the aws target): the deploy role's trust is not read"})
    )
    trust_details["roles_unknown"] = [
        f"{j.where}: {v.said}"
        for j in reading.jobs
        for c in j.credentials
        if (v := reading.role(j, c)) is not None and v.value is None
    ]
    problems += trust_problems
    measured = {
        "unreviewed_apply_triggers": open_paths,
        "apply_environments_not_gates": ungated,
        "apply_credentials_ungated": credentials_open,
        "apply_role_trust_too_wide": trust_problems,
    }
    details = {
        "workflows_read": reading.workflows,
        "apply_jobs": [
            {
                "where": j.where,
                "applies": j.applies_at,
                "environment": j.environment,
                "triggers": [t.__dict__ for t in j.triggers],
                "credentials": [c.said for c in j.credentials],
            }
            for j in reading.jobs
        ],
        "jobs_sharing_apply_credentials": [
            {
                "where": j.where,
                "shares": _shared(j, reading.jobs, reading),
                "may_share": _maybe_shared(j, reading.jobs, reading),
                "environment": j.environment,
                "triggers": [t.__dict__ for t in j.triggers],
            }
            for j in reading.credential_jobs
        ],
        "environments": gates,
        "role_values": [
            {
                "environment": env,
                "role_to_assume": as_written(said),
                "value": v.value,
                "read": list(v.read),
                "unknown": v.unknown,
            }
            for (env, said), v in reading.roles.items()
        ],
        "environment_secrets": {
            name: sorted(names) if isinstance(names, frozenset) else names
            for name, names in reading.environment_secrets.items()
        },
        "role_trust": trust_details,
        "requests": reading.requests,
    }
    return measured, problems, unreadable, details
