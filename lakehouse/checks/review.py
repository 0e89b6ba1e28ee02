"""Guard rail GUARD-review: a change to main needs a second person, a code owner of what it touches.

Read through GitHub's REST API, never from the checkout (a local CODEOWNERS proves nothing about
what GitHub enforces), of the repository the user names (``--github-repo`` or ``GITHUB_REPOSITORY``):

- first the commit ``main`` points at (``GET /repos/{repo}/branches/main`` -> ``commit.sha``), bound to the
  commit under test (``GITHUB_SHA`` when set, else the checkout's ``git HEAD``) as exit check 3 binds its
  runs (``lakehouse.checks.history``): the repository is only a name, and its settings say something of
  this code only when main's head shares history with it. The same commit is related; else the
  checkout's ``git merge-base`` is asked, else GitHub's compare (200 related; 404 "No common ancestor"
  unrelated; a 404 for a commit GitHub does not hold, one never pushed: nobody can tell). Naming a
  well-protected repository of other code fails, and its settings are not read further. So does an answer
  for another branch: GitHub answers a renamed branch's old name with a 301 to the new one (followed), whose
  head and protection would be judged as main's while no main exists. The evidence
  records the binding (``bound_to_commit_under_test``: main's head, the commit under test, how, the
  merge base);
- the *active* ruleset rules of ``main`` (``GET /repos/{repo}/rules/branches/main``: rulesets in
  ``evaluate`` or ``disabled`` mode are not returned, so they never count), and each binding
  ruleset's bypass actors where the token may see them (``GET /repos/{repo}/rulesets/{id}``);
- the classic branch protection (``GET /repos/{repo}/branches/main/protection``; it needs admin
  rights, so a weaker token's 403/404 is recorded as "could not read" and the rulesets judge
  alone when they suffice);
- whether GitHub Actions may approve pull requests (``GET /repos/{repo}/actions/permissions/workflow`` ->
  ``can_approve_pull_request_reviews``, admin rights too): when it may, a workflow on the author's own
  branch approves with ``GITHUB_TOKEN`` and the one required approval is nobody's (GitHub: "Enabling this
  can be a security risk"; OpenSSF SCM best practice ``actions_can_approve_pull_requests``). Unreadable:
  no verdict;
- the CODEOWNERS file GitHub uses on ``main`` (contents API, its three places in GitHub's order),
  the errors GitHub finds in it (``GET /repos/{repo}/codeowners/errors?ref=``: unknown owners,
  such as this template's placeholder teams, and owners without write access) and the files of
  ``main`` (the git tree) it must give an owner, each read at the head commit just bound (``ref=<sha>``),
  not at ``main``: main may move between requests, and a newer head was never bound to this code.
  Besides main's files, the paths a pull request may add must have an owner too (GitHub asks the base
  branch's CODEOWNERS for them): ``lakehouse.checks.codeowner_probes``. A tree GitHub truncated leaves
  files unprobed: no verdict (``error``). A CODEOWNERS that is a symbolic link (the tree's mode 120000) fails:
  the contents API answers with its target's text, GitHub's code owners do not follow it. So does one with a
  blank or line break other than space, tab and newline (U+00A0, U+2028, a lone CR, ...): this check's
  ``str.split`` separates at it, GitHub's parser need not (``odd_separators``). So does a git submodule at or
  under a reviewed directory (the tree's ``commit`` entries): its files are another repository's, listed nowhere
  here, and the pointer's own path escapes a directory pattern such as ``/infra/``;
- review before apply (``lakehouse.checks.apply_gate``): each workflow job of that tree whose ``run:`` calls
  ``terraform apply`` (or ``destroy``), itself or through a local composite action or reusable workflow (judged
  under its caller's triggers), is reached only by a push to main, or is held by an environment
  (``GET /repos/{repo}/environments/{name}``) whose required reviewer is not the run's starter, which only
  protected branches (or main by name) may deploy to and admins may not bypass. A ``workflow_dispatch``,
  ``schedule``, pull request or push to another ref without such a gate fails, naming the workflow file, the
  line and the trigger; so does an apply job's environment that is missing or no gate. Every other job that
  obtains an apply job's cloud credentials (the same ``role-to-assume``, as written or as the values of its
  ``vars.X`` read from GitHub, or the same secrets as AWS keys, an environment's own secret over the repository's of
  the same name) is held to the same rule: a pull request's author
  rewrites it on their branch to apply with them. With an AWS session (the aws target), the trust policy of each
  apply job's role in that account must pin GitHub's OIDC ``sub`` to the gate environments' subjects
  (``lakehouse.checks.apply_trust``).

GitHub applies classic protection and rulesets together, so the effective requirement is the
strongest that *binds everyone*: classic protection binds admins only with ``enforce_admins``
on and no pull-request bypass allowances; a ruleset binds everyone when nobody may bypass it.
A requirement someone can skip is not two-person review: "an admin merges unreviewed" fails, whatever
the bypass actor (role, team, app, organization admin; ``always``, ``pull_request`` or ``exempt``).
The requirement must also ask for approval of the most recent reviewable push by someone other than its
pusher (``require_last_push_approval``): without it a code owner pushes onto anyone's open pull request and
approves it themself, since dismissing stale approvals dismisses only those given before the push. A
ruleset whose bypass actors the token cannot see never makes the grade alone: the check then says so
(``error``). The ruleset's own ``enforcement`` and ``conditions.ref_name`` are read again, so an
``evaluate`` ruleset or one excluding main never counts, whatever the rules endpoint listed.

Statuses: ``passed`` when main's head shares history with the commit under test and every part holds;
``failed`` when it shares none ("the review settings of OWNER/NAME are not of this code's repository",
naming main's head and the commit under test), else naming each culprit (the setting, the ruleset, the
CODEOWNERS line, the unowned file); ``error`` when what the verdict needs could not be read, including
whether main's head shares history with the commit under test (the commit under test unknown or not a
sha, main's head unreadable (404, 403, 5xx, no answer), the comparison failing, or neither the checkout's
git nor GitHub holding both commits): settings not known to be this code's repository's decide nothing,
however they would be judged; ``skipped`` without a token or a repository (nothing is asked).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

import requests
from pathspec import lookup_pattern

from lakehouse.checks.apply_gate import ApplyReading, judge_apply_gates, read_apply_gates
from lakehouse.checks.apply_trust import read_trust
from lakehouse.checks.codeowner_probes import new_paths
from lakehouse.checks.history import SHA, Binding, HistoryBinder, commit_under_test, how_to_tell, unbindable
from lakehouse.config import project_root
from lakehouse.github import CODEOWNERS_PATHS, BranchMoved, GitHubApiError, GitHubRepo
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target

MAIN_BRANCH = "main"
REVIEWED_DIRS = ("/infra/", "/pipeline/")
MIN_APPROVALS = 1
#: Unowned files named in a reason per directory (the evidence lists them all).
_NAMED = 5


@dataclass
class ReviewReading:
    """What GitHub answered about main's review settings; ``*_error`` says why a part could not be read."""

    repo: str
    branch: str = MAIN_BRANCH
    dirs: tuple[str, ...] = REVIEWED_DIRS
    rules: list[dict[str, Any]] | None = None
    rules_error: str | None = None
    #: The classic protection; None with ``classic_error`` None means GitHub said "Branch not protected".
    classic: dict[str, Any] | None = None
    classic_error: str | None = None
    #: ``GET /repos/{repo}/actions/permissions/workflow``, or why it could not be read.
    workflow_permissions: dict[str, Any] | None = None
    workflow_permissions_error: str | None = None
    #: Ruleset id -> the ruleset, or why it could not be read.
    rulesets: dict[int, dict[str, Any] | str] = field(default_factory=dict)
    codeowners_path: str | None = None
    codeowners_text: str | None = None
    codeowners_errors: list[dict[str, Any]] | None = None
    codeowners_error: str | None = None
    tree: list[str] | None = None
    tree_truncated: bool = False
    #: The files of the tree that are symbolic links (GitHub's contents API answers with their target).
    tree_symlinks: list[str] = field(default_factory=list)
    #: The git submodules of the tree, path -> the commit of the other repository (their files are not listed).
    tree_submodules: dict[str, str] = field(default_factory=dict)
    tree_error: str | None = None
    requests: list[str] = field(default_factory=list)
    #: The commit under test and where it came from (``GITHUB_SHA``, the checkout's HEAD).
    commit_under_test: str | None = None
    commit_source: str = ""
    #: The commit ``branch`` points at in ``repo``, bound to the commit under test by ``binding``.
    head: str | None = None
    binding: Binding | None = None
    #: Why the branch's head could not be bound to the commit under test (nothing read, or nothing to bind to).
    binding_error: str | None = None
    #: The branch GitHub answered with when asked for ``branch`` (its 301 from a renamed branch's old name).
    moved_to: str | None = None
    #: The workflows of the tree that apply Terraform and the environments they deploy through (None: no tree).
    apply: ApplyReading | None = None

    @property
    def of_other_code(self) -> bool:
        """The branch's head shares no history with the commit under test: the settings are another's."""
        return self.binding is not None and self.binding.related is False

    @property
    def judged_elsewhere(self) -> bool:
        """The settings GitHub would give are not of ``branch`` in this code's repository: not read further."""
        return self.of_other_code or self.moved_to is not None


@dataclass(frozen=True)
class Requirement:
    """One source of a review requirement, and who it does not bind."""

    source: str
    approvals: int
    code_owner_review: bool
    dismiss_stale: bool
    #: The most recent reviewable push must be approved by someone other than its pusher.
    last_push_approval: bool
    #: Who may merge without it (empty: it binds everyone); None when the token cannot see.
    bypass: tuple[str, ...] | None

    def binds_everyone(self) -> bool:
        return not self.bypass

    def summary(self) -> str:
        return (
            f"{self.source}: {self.approvals} approval(s), code-owner review "
            f"{'on' if self.code_owner_review else 'off'}, stale approvals "
            f"{'dismissed' if self.dismiss_stale else 'kept'}, last-push approval "
            f"{'required' if self.last_push_approval else 'off'}"
        )


# -- reading -------------------------------------------------------------------------------------------


def _why(err: GitHubApiError) -> str:
    return f"{err} [{err.kind}]"


def bind_to_code(reading: ReviewReading, client: GitHubRepo, checkout: Path | None) -> None:
    """Read the head of ``reading.branch`` and bind it to the commit under test (``lakehouse.checks.history``):
    ``reading.binding`` when it was asked, else ``reading.binding_error`` says why it could not be."""
    repo, branch, commit = reading.repo, reading.branch, reading.commit_under_test
    if (unknown := unbindable(commit, reading.commit_source)) is not None or commit is None:  # None: unknown is set
        reading.binding_error = (
            f"{unknown}, so the review settings of {repo} cannot be bound to it: those of a repository that shares "
            "no history with this code would count"
        )
        return
    try:
        answer = client.branch_head(branch)
        reading.requests.append(answer.url)
        if not SHA.match(head := str(answer.data)):
            raise GitHubApiError("bad_response", f"GitHub's answer for branch {branch} of {repo} has commit {head!r}")
        reading.head = head
    except BranchMoved as moved:
        reading.moved_to = moved.to
        reading.requests.append(f"{moved.asked} -> {moved.answered}")
        return
    except GitHubApiError as err:
        reading.binding_error = (
            f"could not read the head commit of {branch} in {repo}, so its review settings cannot be bound to "
            f"the code under test: {_why(err)}"
        )
        return
    try:
        reading.binding = HistoryBinder(client, commit, checkout).bind(head)
    except GitHubApiError as err:
        reading.binding_error = (
            f"could not tell whether the review settings of {repo} are of this code's repository ({branch} at "
            f"{head[:12]}, the commit under test {commit[:12]} ({reading.commit_source})): {_why(err)}"
        )


def read_review(
    client: GitHubRepo,
    branch: str = MAIN_BRANCH,
    dirs: Sequence[str] = REVIEWED_DIRS,
    commit: tuple[str | None, str] = (None, ""),
    checkout: Path | None = None,
    aws: Target | None = None,
) -> ReviewReading:
    """Every answer the judge needs; a part GitHub would not give is kept as its reason, never guessed.

    ``aws``: the harness's AWS session, whose IAM shows the trust of the roles the apply jobs assume (None: not
    read, said in the evidence).

    First the head of ``branch``, bound to the commit under test ``commit`` (sha, where it came from) through
    ``checkout``'s git, else GitHub's compare: the settings of a repository of other code are not read further.
    """
    reading = ReviewReading(client.repo, branch, tuple(dirs), commit_under_test=commit[0], commit_source=commit[1])
    bind_to_code(reading, client, checkout)
    if reading.judged_elsewhere:
        return reading
    try:
        answer = client.branch_rules(branch)
        reading.rules = [r for r in answer.data if isinstance(r, dict)]
        reading.requests.append(answer.url)
    except GitHubApiError as err:
        reading.rules_error = _why(err)
    for rule in reading.rules or []:
        if rule.get("type") == "pull_request" and isinstance(rule.get("ruleset_id"), int):
            rid = int(rule["ruleset_id"])
            if rid in reading.rulesets:
                continue
            try:
                detail = client.ruleset(rid)
                reading.rulesets[rid] = detail.data
                reading.requests.append(detail.url)
            except GitHubApiError as err:
                reading.rulesets[rid] = _why(err)
    try:
        classic = client.branch_protection(branch)
        reading.classic = classic.data if classic else None
    except GitHubApiError as err:
        reading.classic_error = _why(err)
    try:
        permissions = client.workflow_permissions()
        reading.workflow_permissions = permissions.data
        reading.requests.append(permissions.url)
    except GitHubApiError as err:
        reading.workflow_permissions_error = _why(err)
    # The files at the head just bound, not at ``branch``: main may move between two requests, and the
    # CODEOWNERS and tree of a newer head were never bound to the commit under test.
    ref = reading.head or branch
    try:
        found = client.codeowners(ref)
        if found is not None:
            reading.codeowners_path, text = found[0], found[1]
            reading.codeowners_text = text.data
            reading.requests.append(text.url)
            errors = client.codeowners_errors(ref)
            reading.codeowners_errors = [e for e in errors.data if isinstance(e, dict)]
            reading.requests.append(errors.url)
    except GitHubApiError as err:
        reading.codeowners_error = _why(err)
    try:
        tree = client.tree_paths(ref)
        reading.tree, reading.tree_symlinks, reading.tree_truncated = tree.paths, tree.symlinks, tree.truncated
        reading.tree_submodules = dict(tree.submodules)
        reading.requests.append(tree.url)
    except GitHubApiError as err:
        reading.tree_error = _why(err)
    if reading.tree is not None:  # the workflows of the same bound head (a tree error is said by CODEOWNERS' part)
        reading.apply = read_apply_gates(client, ref, reading.tree, branch)
        reading.requests += reading.apply.requests
        if aws is not None:
            arns = [use.arn for use in reading.apply.apply_roles()]
            reading.apply.trust = read_trust(aws.client("iam"), aws.client("sts"), arns)
    return reading


# -- the review requirement ------------------------------------------------------------------------------


def _names(items: Any, key: str) -> list[str]:
    return [str(i.get(key)) for i in items or [] if isinstance(i, dict) and i.get(key)]


def classic_requirement(classic: dict[str, Any], branch: str) -> Requirement | None:
    """The classic protection's review requirement (None when it requires no pull request review)."""
    reviews = classic.get("required_pull_request_reviews")
    if not isinstance(reviews, dict):
        return None
    bypass: list[str] = []
    enforce = classic.get("enforce_admins")
    if not (isinstance(enforce, dict) and enforce.get("enabled") is True):
        bypass.append("repository admins (enforce_admins is disabled)")
    allowances = reviews.get("bypass_pull_request_allowances")
    if isinstance(allowances, dict):
        bypass += [f"user {n}" for n in _names(allowances.get("users"), "login")]
        bypass += [f"team {n}" for n in _names(allowances.get("teams"), "slug")]
        bypass += [f"app {n}" for n in _names(allowances.get("apps"), "slug")]
    return Requirement(
        f"classic branch protection of {branch}",
        int(reviews.get("required_approving_review_count") or 0),
        reviews.get("require_code_owner_reviews") is True,
        reviews.get("dismiss_stale_reviews") is True,
        reviews.get("require_last_push_approval") is True,
        tuple(bypass),
    )


def _actor(actor: dict[str, Any]) -> str:
    who = (
        f"{actor.get('actor_type')} {actor.get('actor_id')}" if actor.get("actor_id") else str(actor.get("actor_type"))
    )
    return f"{who} ({actor.get('bypass_mode', 'always')})"


def _ref_matches(pattern: str, branch: str) -> bool:
    """A ``conditions.ref_name`` pattern (fnmatch on ``refs/heads/...``, or ``~ALL``/``~DEFAULT_BRANCH``)."""
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return branch == MAIN_BRANCH  # the plan's main is the repository's default branch
    return fnmatchcase(f"refs/heads/{branch}", pattern) or fnmatchcase(branch, pattern)


def ruleset_not_applying(detail: dict[str, Any], branch: str) -> str | None:
    """Why a ruleset does not bind ``branch`` (not active, or its ref_name conditions leave it out); None if it does.

    GitHub's rules endpoint already leaves such rulesets out; read again from the ruleset itself so an
    answer that does not cannot make an evaluate-only or excluding ruleset count.
    """
    enforcement = detail.get("enforcement")
    if enforcement is not None and enforcement != "active":
        return f"its enforcement is {enforcement!r}, not 'active': GitHub only reports what it would block"
    conditions = detail.get("conditions")
    refs = conditions.get("ref_name") if isinstance(conditions, dict) else None
    if not isinstance(refs, dict):
        return None
    include = [str(p) for p in refs.get("include") or []]
    exclude = [str(p) for p in refs.get("exclude") or []]
    if excluded := [p for p in exclude if _ref_matches(p, branch)]:
        return f"its conditions.ref_name excludes {branch} ({', '.join(excluded)})"
    if not any(_ref_matches(p, branch) for p in include):
        return f"its conditions.ref_name does not include {branch} (include {include})"
    return None


def ruleset_requirements(reading: ReviewReading, notes: list[str] | None = None) -> list[Requirement]:
    """One requirement per active ``pull_request`` rule of main (the endpoint returns active rules only)."""
    found = []
    for rule in reading.rules or []:
        if rule.get("type") != "pull_request":
            continue
        raw = rule.get("parameters")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        rid = rule.get("ruleset_id")
        detail = reading.rulesets.get(int(rid)) if isinstance(rid, int) else None
        name = f"{detail.get('name')!r} " if isinstance(detail, dict) and detail.get("name") else ""
        where = f"ruleset {name}(id {rid}, {rule.get('ruleset_source_type', '?')} {rule.get('ruleset_source', '?')})"
        if isinstance(detail, dict) and (why := ruleset_not_applying(detail, reading.branch)):
            if notes is not None:
                notes.append(f"{where} does not count: {why}")
            continue
        bypass: tuple[str, ...] | None = None
        if isinstance(detail, dict) and isinstance(detail.get("bypass_actors"), list):
            bypass = tuple(_actor(a) for a in detail["bypass_actors"] if isinstance(a, dict))
        found.append(
            Requirement(
                where,
                int(params.get("required_approving_review_count") or 0),
                params.get("require_code_owner_review") is True,
                params.get("dismiss_stale_reviews_on_push") is True,
                params.get("require_last_push_approval") is True,
                bypass,
            )
        )
    return found


@dataclass
class ProtectionVerdict:
    """The effective requirement on main, the problems found and what could not be read."""

    measured: dict[str, Any]
    problems: list[str]
    unreadable: list[str]
    notes: list[str]
    sources: list[dict[str, Any]]


def _missing(reqs: Sequence[Requirement], min_approvals: int) -> list[str]:
    """What the strongest of ``reqs`` together lack (empty: they suffice)."""
    missing = []
    if max((r.approvals for r in reqs), default=0) < min_approvals:
        missing.append("approvals")
    if not any(r.code_owner_review for r in reqs):
        missing.append("code-owner review")
    if not any(r.dismiss_stale for r in reqs):
        missing.append("stale approvals dismissed")
    if not any(r.last_push_approval for r in reqs):
        missing.append("last-push approval")
    return missing


def judge_protection(reading: ReviewReading, min_approvals: int = MIN_APPROVALS) -> ProtectionVerdict:
    """The strongest requirement that binds everyone must ask for the approvals, code owners and fresh approvals."""
    branch = reading.branch
    notes: list[str] = []
    reqs = ruleset_requirements(reading, notes)
    if reading.rules_error:
        notes.append(f"could not read the rulesets of {branch}: {reading.rules_error}")
    if reading.classic_error:
        notes.append(f"could not read classic protection of {branch}: {reading.classic_error}")
    elif reading.classic is None:
        notes.append(f"classic protection: GitHub says {branch} is not protected (404 Branch not protected)")
    elif (classic := classic_requirement(reading.classic, branch)) is None:
        notes.append(f"classic protection of {branch} requires no pull request review")
    else:
        reqs.append(classic)
    # A requirement whose bypass actors the token cannot see might be skipped by anyone it lists:
    # it counts only as "binding if nobody bypasses", never towards a pass on its own.
    unseen = [r for r in reqs if r.bypass is None]
    for r in unseen:
        notes.append(f"{r.source}: its bypass actors are not visible to this token (an admin token shows them)")
    binding = [r for r in reqs if r.bypass is not None and r.binds_everyone()]
    skippable = [r for r in reqs if r.bypass]
    approvals = max((r.approvals for r in binding), default=0)
    code_owner = any(r.code_owner_review for r in binding)
    dismiss = any(r.dismiss_stale for r in binding)
    last_push = any(r.last_push_approval for r in binding)
    measured = {
        "required_approving_review_count": approvals,
        "require_code_owner_review": code_owner,
        "dismiss_stale_reviews_on_push": dismiss,
        "require_last_push_approval": last_push,
        "binds_admins": bool(binding),
    }
    sources = [
        {**r.__dict__, "bypass": list(r.bypass) if r.bypass is not None else "not visible", "binds": r in binding}
        for r in reqs
    ]
    missing = []
    if approvals < min_approvals:
        missing.append(f"{approvals} required approving review(s), fewer than {min_approvals}")
    if not code_owner:
        missing.append("no code-owner review required")
    if not dismiss:
        missing.append("stale approvals are kept when new commits are pushed")
    if not last_push:
        # GitHub dismisses approvals given before a push, not the pusher's own approval after it.
        missing.append(
            "the last pusher may approve their own push (require_last_push_approval off): a code owner pushes "
            "onto anyone's pull request and approves it alone"
        )
    if not missing:  # what could not be read can only add to a requirement that already suffices
        return ProtectionVerdict(measured, [], [], notes, sources)
    if unseen and not _missing(binding + unseen, min_approvals):
        # Only a requirement whose bypass actors are hidden would make the grade: no verdict either way.
        hidden = "; ".join(r.summary() for r in unseen)
        return ProtectionVerdict(
            measured,
            [],
            [
                f"a merge to {branch} is two-person reviewed only if nobody may bypass {hidden}, and this token "
                f"cannot see its bypass actors (GET /repos/{reading.repo}/rulesets/{{id}} omits them without admin "
                f"rights): {', '.join(missing)} otherwise"
            ],
            notes,
            sources,
        )
    said = "; ".join(r.summary() for r in binding) or "no requirement that binds everyone"
    why_not = "; ".join(f"{r.summary()}, but {', '.join(r.bypass or ())} may bypass it" for r in skippable)
    problem = f"a merge to {branch} is not two-person reviewed: {', '.join(missing)} ({said}"
    problem += f"; does not bind: {why_not})" if why_not else ")"
    if skippable and not binding:
        problem = f"no review requirement on {branch} binds everyone, so one person can merge unreviewed: {why_not}"
    if not reqs and reading.classic is None and not reading.classic_error and not reading.rules_error:
        problem = (
            f"{branch} has no review requirement at all: no active ruleset with a pull_request rule and GitHub "
            "says the branch is not protected (classic protection 404)"
        )
    if reading.rules_error and reading.classic_error:
        why = f"rulesets: {reading.rules_error}; classic protection: {reading.classic_error}"
        return ProtectionVerdict(
            measured, [], [f"neither source of {branch}'s review rules could be read ({why})"], notes, sources
        )
    if reading.classic_error or reading.rules_error:
        # The source that could not be read might hold what is missing: no verdict on the repository.
        unread = (
            f"classic protection could not be read: {reading.classic_error}"
            if reading.classic_error
            else f"the rulesets could not be read: {reading.rules_error}"
        )
        return ProtectionVerdict(measured, [], [f"{problem}, and {unread}"], notes, sources)
    return ProtectionVerdict(measured, [problem], [], notes, sources)


# -- GitHub Actions as a reviewer ------------------------------------------------------------------------


def judge_actions(reading: ReviewReading) -> tuple[dict[str, Any], list[str], list[str], dict[str, Any]]:
    """GitHub Actions may not approve pull requests: else the one required approval can be a workflow's.

    A workflow the author adds on their own branch runs on ``pull_request`` with ``GITHUB_TOKEN`` and
    approves as github-actions[bot], which counts towards ``required_approving_review_count``. Returns
    measured, problems, unreadable parts and details.
    """
    permissions = reading.workflow_permissions
    if reading.workflow_permissions_error or permissions is None:  # never read is not "may not"
        why = reading.workflow_permissions_error or "not read"
        return (
            {},
            [],
            [
                "could not read whether GitHub Actions may approve pull requests (GET /repos/"
                f"{reading.repo}/actions/permissions/workflow): {why}; if it may, a workflow on the author's "
                "branch gives the one required approval"
            ],
            {},
        )
    may = permissions.get("can_approve_pull_request_reviews") is True
    problems = []
    if may:
        problems.append(
            f"GitHub Actions may approve pull requests (can_approve_pull_request_reviews is true in {reading.repo}'s "
            "Actions workflow permissions): a workflow on the author's own branch approves with GITHUB_TOKEN, so "
            "the required approval needs no second person; untick 'Allow GitHub Actions to create and approve "
            "pull requests'"
        )
    return {"actions_can_approve_pull_requests": may}, problems, [], {"actions_workflow_permissions": permissions}


# -- CODEOWNERS --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerRule:
    """One CODEOWNERS line: its pattern and owners (none: the paths it matches have no owner)."""

    line: int
    pattern: str
    owners: tuple[str, ...]


def parse_codeowners(text: str) -> list[OwnerRule]:
    """The rules of a CODEOWNERS file in order (the last matching rule decides a path's owners)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        owners = []
        for token in tokens[1:]:
            if token.startswith("#"):
                break
            owners.append(token)
        rules.append(OwnerRule(number, tokens[0], tuple(owners)))
    return rules


def odd_separators(text: str) -> list[tuple[int, int, str]]:
    """Line, column and name of each blank or line break in ``text`` other than space, tab and newline (CRLF too).

    This check splits CODEOWNERS with ``str.splitlines`` and ``str.split``, which also break at Unicode spaces
    (U+00A0, U+3000, ...), U+2028, U+0085, form feeds and a lone carriage return. GitHub documents "Each line is
    a file pattern followed by one or more owners" and does not say these separate. Where they do not,
    ``/infra/<U+00A0>@team`` is one pattern naming no owner and matching no file, and a rule after
    ``# note<U+2028>`` is part of the comment: both valid CODEOWNERS, so ``codeowners/errors`` lists nothing,
    and /infra/ is owned for this check only. Lines are numbered at newlines, as GitHub's errors number them.
    """
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for column, char in enumerate(line.removesuffix("\r"), start=1):
            if char.isspace() and char not in " \t":
                found.append((number, column, f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()))
    return found


def readable_rules(rules: Sequence[OwnerRule]) -> tuple[list[OwnerRule], list[str]]:
    """The rules whose pattern the matcher compiles, and why each other one fails (it named no path it owns).

    A pattern gitignore's syntax has no meaning for (``infra\\`` with nothing to escape) would end the check
    in an exception; whose approval GitHub asks for it is unknown, so it fails, naming the line.
    """
    kept, problems = [], []
    for rule in rules:
        try:
            _compiled(rule.pattern)
        except ValueError as err:  # pathspec's GitIgnorePatternError
            problems.append(
                f"line {rule.line}: `{rule.pattern}` is no gitignore pattern ({err}): which files GitHub gives "
                f"{' '.join(rule.owners) or 'no owner'} by it is unknown; fix the pattern"
            )
            continue
        kept.append(rule)
    return kept, problems


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    """A CODEOWNERS pattern compiled once: every file and probe of main is matched against every rule."""
    return lookup_pattern("gitignore")(pattern)


def owners_of(path: str, rules: Sequence[OwnerRule]) -> OwnerRule | None:
    """The rule that decides ``path``'s owners (gitignore-style patterns, as GitHub documents), or None."""
    decided = None
    for rule in rules:
        if _compiled(rule.pattern).match_file(path):
            decided = rule
    return decided


def _governing_places(path: str | None) -> list[str]:
    """The CODEOWNERS files GitHub would use instead of or as ``path``: it, and the places GitHub looks first."""
    if path not in CODEOWNERS_PATHS:
        return [path] if path else []
    return list(CODEOWNERS_PATHS[: CODEOWNERS_PATHS.index(path) + 1])


def _owners(path: str, rules: Sequence[OwnerRule]) -> list[str]:
    rule = owners_of(path, rules)
    return list(rule.owners) if rule else []


def codeowners_self_ownership(rules: Sequence[OwnerRule], path: str | None, reviewers: set[str]) -> list[str]:
    """Why a pull request could change who the code owners are without a reviewer's approval (empty: it cannot).

    GitHub asks a code owner of every file a pull request touches, CODEOWNERS included, and of a file it
    adds. So a CODEOWNERS nobody owns, or one an outsider of the reviewed directories owns, is changed with
    any one approval (or that outsider's), and the next change to /infra/ needs nobody's: the two-person
    review holds for one merge only. The same goes for a place GitHub reads before the file in use (a new
    ``.github/CODEOWNERS`` takes over from ``CODEOWNERS``). Owners are compared case-blind, as GitHub does.
    """
    problems = []
    for place in _governing_places(path):
        rule = owners_of(place, rules)
        adds = "" if place == path else f" (a pull request adding it replaces {path}: GitHub reads it first)"
        if rule is None or not rule.owners:
            why = f"line {rule.line} `{rule.pattern}` names no owner" if rule else "no rule matches it"
            problems.append(
                f"{place} has no code owner ({why}){adds}: a pull request changing it merges with any one approval "
                "and can take the code owners of the reviewed directories away; give it to their owners"
            )
            continue
        outsiders = [o for o in rule.owners if o.lower() not in reviewers]
        if outsiders:
            problems.append(
                f"{place} is owned by {' '.join(outsiders)} (line {rule.line} `{rule.pattern}`){adds}, who own(s) "
                "nothing under the reviewed directories: their approval alone changes who reviews them"
            )
    return problems


def judge_codeowners(reading: ReviewReading) -> tuple[dict[str, Any], list[str], list[str], dict[str, Any]]:
    """CODEOWNERS on main has no errors and gives every file under each reviewed directory an owner.

    Returns measured, problems, unreadable parts and details.
    """
    where = f"{reading.codeowners_path or 'CODEOWNERS'} on {reading.branch}"
    if reading.codeowners_error:
        return {}, [], [f"could not read CODEOWNERS of {reading.branch}: {reading.codeowners_error}"], {}
    if reading.codeowners_text is None:
        looked = ", ".join(CODEOWNERS_PATHS)
        problem = f"{reading.branch} has no CODEOWNERS file (GitHub looks in {looked}): nobody owns {reading.dirs}"
        return {"codeowners_errors": None, "unowned_dirs": list(reading.dirs)}, [problem], [], {}
    problems = []
    errors = reading.codeowners_errors or []
    for e in errors:
        source = str(e.get("source") or "").strip()
        message = str(e.get("message") or "").strip().splitlines()
        detail = message[0] if message else str(e.get("kind") or "error")
        problems.append(f"{e.get('path') or where}:{e.get('line')}: {detail}" + (f" (`{source}`)" if source else ""))
    for number, column, char in odd_separators(reading.codeowners_text):
        problems.append(
            f"{where} line {number} holds {char} at column {column}: this check's reading splits rules at it, "
            "GitHub's CODEOWNERS syntax ('Each line is a file pattern followed by one or more owners') need not, "
            "so GitHub may read the line as a pattern without owners or as part of a comment, and ask nobody for "
            "what it seems to own; write the rule with ASCII spaces or tabs and one rule per newline"
        )
    rules, unreadable_rules = readable_rules(parse_codeowners(reading.codeowners_text))
    problems += [f"{where} {p}" for p in unreadable_rules]
    unowned: dict[str, list[str]] = {}
    owned_by: dict[str, list[str]] = {}
    reviewers: set[str] = set()  # everyone who owns a path under a reviewed directory, case-blind
    if reading.tree_error:
        return {}, problems, [f"could not list the files of {reading.branch}: {reading.tree_error}"], {}
    if reading.codeowners_path in reading.tree_symlinks:
        # The contents API follows the link to its target's text; GitHub's code owners do not (reported by
        # users: a symlinked CODEOWNERS governs nothing), so what was read is not what GitHub asks.
        problems.append(
            f"{where} is a symbolic link: the contents API answers with its target's text, but GitHub does not "
            "follow a symlinked CODEOWNERS, so those owners are not asked for review: commit the file itself"
        )
    ownerless = [r.pattern for r in rules if not r.owners]
    for directory in reading.dirs:
        prefix = directory.strip("/") + "/"
        files = [p for p in reading.tree or [] if p.startswith(prefix)]
        # A pull request's new files get their owners from this CODEOWNERS too: paths no commit has yet.
        probes = [*files, *new_paths(prefix, ownerless, files)]
        lost = []
        for path in probes:
            rule = owners_of(path, rules)
            if rule is None or not rule.owners:
                why = f"line {rule.line} `{rule.pattern}` names no owner" if rule else "no rule matches"
                new = "" if path in files else f"not on {reading.branch} yet, a pull request may add it; "
                lost.append(f"{path} ({new}{why})")
            else:
                reviewers.update(o.lower() for o in rule.owners)
                owned_by.setdefault(directory, [])
                line = f"line {rule.line}: {' '.join(rule.owners)}"
                if line not in owned_by[directory]:
                    owned_by[directory].append(line)
        if lost:
            unowned[directory] = lost
            named = "; ".join(lost[:_NAMED]) + (f"; and {len(lost) - _NAMED} more" if len(lost) > _NAMED else "")
            problems.append(f"{where} gives no owner to {len(lost)} path(s) under {directory}: {named}")
    submodules = submodules_in(reading, rules)
    problems += [f"{where}: {p}" for p in submodules.values()]
    # Who may change CODEOWNERS may change who the code owners are: reviewers of the directories only.
    self_owned = codeowners_self_ownership(rules, reading.codeowners_path, reviewers)
    problems += [f"{where}: {p}" for p in self_owned]
    unreadable = []
    if reading.tree_truncated:
        # The files past GitHub's limit went unprobed: one of them may have no owner.
        unreadable.append(
            f"GitHub truncated the file tree of {reading.branch} (over its limit of entries), so not every file "
            f"under {', '.join(reading.dirs)} could be given its owner: the files beyond it are unknown"
        )
    measured = {
        "codeowners_errors": len(errors),
        "unowned_dirs": sorted(unowned),
        "codeowners_changed_only_by_reviewers": not self_owned,
        "submodules_in_reviewed_dirs": sorted(submodules),
    }
    details = {
        "path": reading.codeowners_path,
        "codeowners_owners": {place: _owners(place, rules) for place in _governing_places(reading.codeowners_path)},
        "errors": errors,
        "owners_by_dir": owned_by,
        "unowned": unowned,
        "files_on_branch": len(reading.tree or []),
        "tree_truncated": reading.tree_truncated,
        "submodules": {p: c for p, c in reading.tree_submodules.items() if p in submodules},
    }
    return measured, problems, unreadable, details


def submodules_in(reading: ReviewReading, rules: Sequence[OwnerRule]) -> dict[str, str]:
    """Each git submodule at or under a reviewed directory -> why it fails (empty: none is).

    The tree lists a submodule as one entry and none of its files, so no file of it was given an owner: its
    code is another repository's, changed under that repository's rules, and a pull request moving the
    pointer changes the submodule's path alone, which a directory pattern (``/infra/``) does not match.
    """
    found = {}
    for path, commit in sorted(reading.tree_submodules.items()):
        if not any(path == d.strip("/") or path.startswith(d.strip("/") + "/") for d in reading.dirs):
            continue
        rule = owners_of(path, rules)
        pointer = (
            f"its pointer is owned by {' '.join(rule.owners)} (line {rule.line})"
            if rule is not None and rule.owners
            else f"no rule matches the submodule's own path {path}, so a pull request moving it needs no code owner"
            if rule is None
            else f"line {rule.line} `{rule.pattern}` gives the submodule's own path {path} no owner"
        )
        found[path] = (
            f"{path} is a git submodule (at commit {commit[:12]} of another repository): its files are not "
            f"{reading.branch}'s, so no code owner here reviews a change to them, and {pointer}; commit the "
            "code into this repository"
        )
    return found


# -- the verdict -------------------------------------------------------------------------------------------


def threshold(min_approvals: int, dirs: Sequence[str]) -> dict[str, Any]:
    return {
        "required_approving_review_count": f">= {min_approvals}",
        "require_code_owner_review": True,
        "dismiss_stale_reviews_on_push": True,
        "require_last_push_approval": True,
        "binds_admins": True,
        "actions_can_approve_pull_requests": False,
        "codeowners_errors": 0,
        "unowned_dirs": [],
        "codeowners_changed_only_by_reviewers": True,
        "submodules_in_reviewed_dirs": [],
        "owned_dirs": list(dirs),
        "unreviewed_apply_triggers": [],
        "apply_environments_not_gates": [],
        "apply_credentials_ungated": [],
        "apply_role_trust_too_wide": [],
    }


def binding_details(reading: ReviewReading) -> dict[str, Any]:
    """How the branch's head was bound to the commit under test, for the evidence."""
    bound: dict[str, Any] = {
        "branch": reading.branch,
        "head": reading.head,
        "commit_under_test": {"sha": reading.commit_under_test, "from": reading.commit_source},
    }
    if reading.binding is not None:
        bound.update((k, v) for k, v in reading.binding.evidence().items() if k != "run_sha")
    if reading.binding_error:
        bound["error"] = reading.binding_error
    return bound


def unbound_reason(reading: ReviewReading) -> str | None:
    """Why the settings read are not known to be of this code's repository (None: the head shares its history)."""
    repo, branch, binding = reading.repo, reading.branch, reading.binding
    commit, source = str(reading.commit_under_test)[:12], reading.commit_source
    if reading.binding_error:
        return reading.binding_error
    if binding is None:
        return f"the review settings of {repo} were not bound to the commit under test {commit} ({source})"
    head = binding.run_sha[:12]
    if binding.related is False:
        return (
            f"the review settings of {repo} are not of this code's repository: {branch} of {repo} is at {head}, "
            f"which shares no history with the commit under test {commit} ({source}): {binding.said}"
        )
    if binding.related is None:
        return (
            f"cannot tell whether the review settings of {repo} are of this code's repository: {repo} holds no "
            f"commit {commit} ({source}) and the checkout's git holds not {branch}'s head {head} ({binding.said}): "
            f"{how_to_tell(branch)}"
        )
    return None


def moved_outcome(reading: ReviewReading, limit: dict[str, Any]) -> Outcome:
    """``failed``: GitHub answered for the branch with another one (its 301 from a renamed branch's old name).

    Every setting asked by the old name would be the new branch's (its protection redirects too), while the
    branch itself does not exist: whoever may push creates it, unreviewed, and the workflows deploy on a push.
    """
    branch, to = reading.branch, reading.moved_to
    reason = (
        f"GitHub answers for branch {branch} of {reading.repo} with branch {to!r} (a 301 redirect: {branch} was "
        f"renamed to {to}, so GitHub sends its old name on): the review settings GitHub gives for {branch} are "
        f"{to}'s, and {reading.repo} has no {branch} whose merges they govern; whoever may push creates {branch} "
        f"unreviewed, and the workflows deploy on a push to {branch}: rename {to} back to {branch}"
    )
    github = {"repo": reading.repo, "branch": branch, "requests": reading.requests}
    return Outcome(Status.FAILED, {"branch_answered_as": to}, limit, reason, {"github": github})


def judge_review(reading: ReviewReading, min_approvals: int = MIN_APPROVALS) -> Outcome:
    """The whole check: ``failed`` when the settings are of another repository (the branch's head shares no
    history with the commit under test), ``error`` when that cannot be told; else ``failed`` on any problem
    found, else ``error`` if a part was unreadable, else ``passed``."""
    limit = threshold(min_approvals, reading.dirs)
    if reading.moved_to is not None:
        return moved_outcome(reading, limit)
    unbound = unbound_reason(reading)
    if reading.of_other_code:
        github = {"repo": reading.repo, "branch": reading.branch, "requests": reading.requests}
        measured = {"branch_head": reading.head, "shares_history_with_commit_under_test": False}
        bound = {"github": github, "bound_to_commit_under_test": binding_details(reading)}
        return Outcome(Status.FAILED, measured, limit, unbound, bound)
    protection = judge_protection(reading, min_approvals)
    owners_measured, owner_problems, owner_unreadable, owner_details = judge_codeowners(reading)
    actions_measured, actions_problems, actions_unreadable, actions_details = judge_actions(reading)
    apply_measured, apply_problems, apply_unreadable, apply_details = (
        judge_apply_gates(reading.apply, reading.repo, reading.branch) if reading.apply else ({}, [], [], {})
    )
    problems = protection.problems + actions_problems + owner_problems + apply_problems
    unreadable = protection.unreadable + actions_unreadable + owner_unreadable + apply_unreadable
    details: dict[str, Any] = {
        "github": {"repo": reading.repo, "branch": reading.branch, "requests": reading.requests},
        "bound_to_commit_under_test": binding_details(reading),
        "requirements": protection.sources,
        "notes": protection.notes,
        **actions_details,
        "codeowners": owner_details,
        "review_before_apply": apply_details,
        "problems": {
            "protection": protection.problems,
            "actions": actions_problems,
            "codeowners": owner_problems,
            "review_before_apply": apply_problems,
        },
        "unreadable": unreadable,
    }
    measured = {**protection.measured, **actions_measured, **owners_measured, **apply_measured}
    if unbound:
        # Settings not known to be this code's repository's say nothing of it, whatever they are: no verdict.
        reason = unbound
        if problems:
            reason += "; the settings read would fail it: " + "; ".join(problems)
        if unreadable:
            reason += "; also: " + "; ".join(unreadable)
        return Outcome.error(reason, limit, details, measured)
    if problems:
        reason = "; ".join(problems)
        if unreadable:
            reason += "; also: " + "; ".join(unreadable)
        return Outcome(Status.FAILED, measured, limit, reason, details)
    if unreadable:
        return Outcome.error("; ".join(unreadable), limit, details, measured)
    return Outcome.judged(True, measured, limit, details=details)


def review_unavailable_reason(repo: str | None, token: str | None) -> str | None:
    """Why GitHub cannot be asked (None when it can)."""
    missing = []
    if not token:
        missing.append("GITHUB_TOKEN is not set")
    if not repo:
        missing.append("no repository (--github-repo or GITHUB_REPOSITORY)")
    if not missing:
        return None
    return "two-person review is a setting of the GitHub repository, not asked: " + " and ".join(missing)


def try_read_review(
    repo: str | None,
    token: str | None,
    api_url: str,
    branch: str = MAIN_BRANCH,
    dirs: Sequence[str] = REVIEWED_DIRS,
    session: requests.Session | None = None,
    checkout: Path | None = None,
    aws: Target | None = None,
) -> ReviewReading | Outcome:
    """GitHub's answers, or the outcome that ends the check before judging (skipped, or a bad repository name).

    ``checkout`` (default ``project_root()``, as exit check 3): whose commit is under test (``GITHUB_SHA``
    when set, else its HEAD) and whose git is asked first whether the branch's head shares its history.
    """
    if why := review_unavailable_reason(repo, token):
        return Outcome.skipped(why, threshold(MIN_APPROVALS, dirs))
    assert repo and token
    try:
        client = GitHubRepo(repo, token, api_url, session=session)
    except ValueError as err:
        return Outcome.error(str(err), threshold(MIN_APPROVALS, dirs), {"github": {"repo": repo}})
    root = checkout or project_root()
    return read_review(client, branch, dirs, commit_under_test(root), root, aws)


def verdict(reading: ReviewReading | Outcome, min_approvals: int = MIN_APPROVALS) -> Outcome:
    """The judged reading, or the early outcome with this check's threshold."""
    if isinstance(reading, Outcome):
        dirs = reading.threshold.get("owned_dirs", REVIEWED_DIRS) if isinstance(reading.threshold, dict) else ()
        reading.threshold = threshold(min_approvals, dirs)
        return reading
    return judge_review(reading, min_approvals)


def check_review(
    repo: str | None,
    token: str | None,
    api_url: str,
    min_approvals: int = MIN_APPROVALS,
    dirs: Sequence[str] = REVIEWED_DIRS,
    branch: str = MAIN_BRANCH,
    session: requests.Session | None = None,
    checkout: Path | None = None,
    aws: Target | None = None,
) -> Outcome:
    """GUARD-review: skipped without a token or repository, else read GitHub, bind it to the code and judge."""
    return verdict(try_read_review(repo, token, api_url, branch, dirs, session, checkout, aws), min_approvals)
