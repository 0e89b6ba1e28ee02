"""GUARD-review (two-person review on main) against a local server that answers like GitHub's REST API.

Each broken repository is one a reviewer could be fooled by: no protection, zero approvals, no
code-owner review, stale approvals kept, admins exempt, a ruleset only evaluated, placeholder
teams in CODEOWNERS, a directory nobody owns, a path a pull request may add that nobody would own
(a rule naming no owner, ``/infra/*`` owning no nested file), a symlinked CODEOWNERS, a truncated file
tree, and a token that can read nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lakehouse.checks.codeowner_probes import rule_probes
from lakehouse.checks.history import SAME_COMMIT, Binding
from lakehouse.checks.review import (
    ReviewReading,
    check_review,
    judge_review,
    owners_of,
    parse_codeowners,
)
from lakehouse.config import project_root
from lakehouse.criteria import catalogue
from lakehouse.outcome import Outcome, Status
from lakehouse.report import render_report
from tests.fake_github import (
    CODEOWNERS,
    REPO,
    TOKEN,
    FakeGitHub,
    classic_protection,
    codeowners_error,
    github,
    pull_request_rule,
    reviewed_repository,
    ruleset,
    sha,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

FORBIDDEN: tuple[int, dict[str, str], str] = (
    403,
    {},
    json.dumps({"message": "Resource not accessible by integration", "status": "403"}),
)
PROTECTION = f"/repos/{REPO}/branches/main/protection"
#: A main whose head is the commit under test (a reading built by hand is bound to nothing: error).
BOUND = Binding(sha(1), True, SAME_COMMIT, merge_base=sha(1))


def ask(github: FakeGitHub, approvals: int = 1) -> Outcome:
    return check_review(REPO, TOKEN, github.url, min_approvals=approvals)


def test_protected_main_with_real_owners_passes(github: FakeGitHub) -> None:
    reviewed_repository(github)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == {
        "required_approving_review_count": 1,
        "require_code_owner_review": True,
        "dismiss_stale_reviews_on_push": True,
        "require_last_push_approval": True,
        "binds_admins": True,
        "actions_can_approve_pull_requests": False,
        "codeowners_errors": 0,
        "unowned_dirs": [],
        "codeowners_changed_only_by_reviewers": True,
        "submodules_in_reviewed_dirs": [],
        "unreviewed_apply_triggers": [],  # no workflow of main applies Terraform
        "apply_environments_not_gates": [],
        "apply_credentials_ungated": [],
        "apply_role_trust_too_wide": [],
    }
    assert outcome.details["codeowners"]["owners_by_dir"]["/infra/"] == ["line 2: @acme/infra-owners"]
    assert outcome.details["codeowners"]["codeowners_owners"] == {".github/CODEOWNERS": ["@acme/infra-owners"]}
    # The token went in the header only.
    assert all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in github.requests)
    assert TOKEN not in json.dumps(outcome.details)


def test_unprotected_main_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets, github.classic = [], None
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "main has no review requirement at all" in str(outcome.reason)
    assert "Branch not protected" in " ".join(outcome.details["notes"])


def test_zero_approvals_fails_naming_the_ruleset(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    github.rulesets = [ruleset(rules=[pull_request_rule(approvals=0)])]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "0 required approving review(s), fewer than 1" in str(outcome.reason)
    assert "ruleset 'main review' (id 42" in str(outcome.reason)


def test_the_feature_sets_the_number_of_approvals(github: FakeGitHub) -> None:
    reviewed_repository(github)
    outcome = ask(github, approvals=2)
    assert outcome.status is Status.FAILED
    assert "1 required approving review(s), fewer than 2" in str(outcome.reason)
    assert outcome.threshold["required_approving_review_count"] == ">= 2"


def test_no_code_owner_review_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = [ruleset(rules=[pull_request_rule(code_owner=False)])]
    github.classic = classic_protection(code_owner=False)
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "no code-owner review required" in str(outcome.reason)
    assert "classic branch protection of main: 1 approval(s), code-owner review off" in str(outcome.reason)


def test_stale_approvals_kept_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = []
    github.classic = classic_protection(dismiss_stale=False)
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "stale approvals are kept when new commits are pushed" in str(outcome.reason)


def test_admins_exempt_from_classic_protection_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = []
    github.classic = classic_protection(enforce_admins=False)
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "no review requirement on main binds everyone, so one person can merge unreviewed" in str(outcome.reason)
    assert "repository admins (enforce_admins is disabled) may bypass it" in str(outcome.reason)
    assert outcome.measured["binds_admins"] is False


def test_admins_exempt_from_classic_protection_pass_when_a_ruleset_binds(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = classic_protection(enforce_admins=False)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    binds = {r["source"]: r["binds"] for r in outcome.details["requirements"]}
    assert binds == {
        "ruleset 'main review' (id 42, Repository lakehouse-org/lakehouse-code)": True,
        "classic branch protection of main": False,
    }


def test_pull_request_bypass_allowance_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = []
    github.classic = classic_protection(bypass_users=("release-bot",))
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "user release-bot may bypass it" in str(outcome.reason)


def test_ruleset_bypass_actor_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    actor = {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}
    github.rulesets = [ruleset(bypass_actors=[actor])]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "RepositoryRole 5 (always) may bypass it" in str(outcome.reason)


def test_ruleset_in_evaluate_mode_does_not_count(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    github.rulesets = [ruleset(enforcement="evaluate")]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "no review requirement at all" in str(outcome.reason)
    assert outcome.details["requirements"] == []


def test_codeowners_errors_fail_naming_the_line(github: FakeGitHub) -> None:
    reviewed_repository(github)
    placeholder = CODEOWNERS.replace("@acme/infra-owners", "@lakehouse-org/infra-owners")
    github.files[".github/CODEOWNERS"] = placeholder
    github.codeowners_errors = [
        codeowners_error(2, "@lakehouse-org/infra-owners", "/infra/    @lakehouse-org/infra-owners"),
        codeowners_error(4, "@lakehouse-org/infra-owners", "/.github/  @lakehouse-org/infra-owners"),
    ]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    assert ".github/CODEOWNERS:2: Unknown owner on line 2: make sure @lakehouse-org/infra-owners exists" in reason
    assert "(`/infra/    @lakehouse-org/infra-owners`)" in reason
    assert ".github/CODEOWNERS:4: Unknown owner on line 4" in reason
    assert outcome.measured["codeowners_errors"] == 2


def test_codeowners_without_infra_fails_naming_the_files(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = "/pipeline/ @acme/data-owners\n"
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    # Two files on main and two a pull request may add: one in infra/, one in a new subdirectory.
    assert "gives no owner to 4 path(s) under /infra/" in str(outcome.reason)
    assert "infra/storage.tf (no rule matches)" in str(outcome.reason)
    assert outcome.measured["unowned_dirs"] == ["/infra/"]


def test_a_later_rule_without_owners_unowns_files(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = CODEOWNERS + "*.sql\n"
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "pipeline/silver.sql (line 5 `*.sql` names no owner)" in str(outcome.reason)


@pytest.mark.parametrize(
    ("codeowners", "culprit"),
    [
        # A rule naming no owner for a directory main does not have yet: a pull request adds files there.
        (CODEOWNERS + "/infra/scratch/\n", "infra/scratch/a-new-file-no-commit-has-yet"),
        # One for a kind of file main has none of under /infra/ yet.
        (CODEOWNERS + "*.tfvars\n", "infra/new-name-no-commit-has-yet.tfvars"),
        # A leading wildcard reaching into /infra/.
        (CODEOWNERS + "/*/tmp/\n", "infra/tmp/a-new-file-no-commit-has-yet"),
        # ``/infra/*`` owns what is directly in /infra/, no nested file (as GitHub documents ``docs/*``).
        (CODEOWNERS.replace("/infra/ ", "/infra/*"), "infra/a-new-dir-no-commit-has-yet/a-new-file-no-commit-has-yet"),
    ],
    ids=["ownerless-new-directory", "ownerless-new-file-kind", "ownerless-wildcard-directory", "slash-star-not-nested"],
)
def test_a_file_a_pull_request_may_add_without_owner_fails(github: FakeGitHub, codeowners: str, culprit: str) -> None:
    """GitHub asks the base branch's CODEOWNERS for a pull request's new files too: every file on main
    having an owner is not enough when a path main does not have yet would have none."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = codeowners
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"{culprit} (not on main yet, a pull request may add it;" in str(outcome.reason)
    assert "/infra/" in outcome.measured["unowned_dirs"]


@pytest.mark.parametrize(
    "codeowners",
    [
        CODEOWNERS + "/infra/legacy/\n/infra/legacy/ @acme/legacy-owners\n",  # owned again by a later line
        CODEOWNERS + "/docs/\n*.md\n/infra/**/*.md @acme/infra-owners\n/pipeline/**/*.md @acme/data-owners\n",
        CODEOWNERS.replace("/infra/ ", "/infra/**"),  # ``**`` owns nested files
    ],
    ids=["re-owned-later", "ownerless-outside-or-re-owned", "double-star"],
)
def test_rules_naming_no_owner_outside_the_directories_pass(github: FakeGitHub, codeowners: str) -> None:
    """The healthy twins: rules naming no owner that leave no path under /infra/ or /pipeline/ unowned."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = codeowners
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


def test_truncated_file_tree_is_an_error(github: FakeGitHub) -> None:
    """Files past GitHub's limit of tree entries were never given their owner: no verdict, not a pass."""
    reviewed_repository(github)
    github.tree_truncated = True
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "GitHub truncated the file tree of main" in str(outcome.reason)
    github.tree_truncated = False
    assert ask(github).status is Status.PASSED


def test_symlinked_codeowners_fails(github: FakeGitHub) -> None:
    """The contents API follows a link to its target's text; GitHub's code owners do not: the owners read
    from ``.github/CODEOWNERS -> ../owners.txt`` are asked for nothing."""
    reviewed_repository(github)
    github.files["owners.txt"] = github.files.pop(".github/CODEOWNERS")
    github.symlinks = {".github/CODEOWNERS": "owners.txt"}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert ".github/CODEOWNERS on main is a symbolic link" in str(outcome.reason)
    assert "GitHub does not follow a symlinked CODEOWNERS" in str(outcome.reason)
    # The healthy twin: the same text committed as the file itself.
    github.symlinks = {}
    github.files[".github/CODEOWNERS"] = github.files.pop("owners.txt")
    assert ask(github).status is Status.PASSED


def test_no_codeowners_file_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    del github.files[".github/CODEOWNERS"]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "main has no CODEOWNERS file" in str(outcome.reason)


def test_codeowners_at_the_root_is_read_when_github_has_none(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.files["CODEOWNERS"] = github.files.pop(".github/CODEOWNERS") + "/CODEOWNERS @acme/infra-owners\n"
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["codeowners"]["path"] == "CODEOWNERS"
    assert outcome.details["codeowners"]["codeowners_owners"] == {
        ".github/CODEOWNERS": ["@acme/infra-owners"],  # a pull request adding it would replace the root file
        "CODEOWNERS": ["@acme/infra-owners"],
    }


@pytest.mark.parametrize(
    ("place", "codeowners", "culprit"),
    [
        # Nobody owns the file that says who the owners are: any one approval rewrites it.
        (".github/CODEOWNERS", CODEOWNERS.replace("/.github/  @acme/infra-owners\n", ""), "no rule matches it"),
        # A later rule naming no owner takes it away again.
        (".github/CODEOWNERS", CODEOWNERS + "/.github/CODEOWNERS\n", "line 5 `/.github/CODEOWNERS` names no owner"),
        # Owned, but by someone who owns nothing under /infra/ or /pipeline/.
        (".github/CODEOWNERS", CODEOWNERS + "*CODEOWNERS @acme/interns\n", "is owned by @acme/interns"),
        (".github/CODEOWNERS", CODEOWNERS + "/.github/ @acme/infra-owners @octocat\n", "is owned by @octocat"),
        # The file in use at the root is owned, but a pull request adding .github/CODEOWNERS replaces it.
        (
            "CODEOWNERS",
            "/infra/ @acme/infra-owners\n/pipeline/ @acme/data-owners\n/CODEOWNERS @acme/infra-owners\n",
            ".github/CODEOWNERS has no code owner (no rule matches it) (a pull request adding it replaces CODEOWNERS",
        ),
        # The root file itself unowned, .github/ owned.
        ("CODEOWNERS", CODEOWNERS, "CODEOWNERS has no code owner (no rule matches it): a pull request"),
    ],
    ids=[
        "unowned",
        "unowned-by-a-later-rule",
        "owned-by-an-outsider",
        "co-owned-by-an-outsider",
        "a-place-read-first-unowned",
        "root-file-unowned",
    ],
)
def test_codeowners_anyone_may_change_fails(github: FakeGitHub, place: str, codeowners: str, culprit: str) -> None:
    """A CODEOWNERS that an approval from outside the reviewed directories' owners can change makes the
    two-person review hold for one merge only: the next merge rewrites who the code owners are."""
    reviewed_repository(github)
    del github.files[".github/CODEOWNERS"]
    github.files[place] = codeowners
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert culprit in str(outcome.reason)
    assert outcome.measured["codeowners_changed_only_by_reviewers"] is False
    assert outcome.measured["unowned_dirs"] == []  # every file under the reviewed directories is still owned


@pytest.mark.parametrize(
    "codeowners",
    [
        CODEOWNERS + "/.github/CODEOWNERS @acme/data-owners\n",  # an owner of /pipeline/ counts
        CODEOWNERS + "*CODEOWNERS @ACME/Infra-Owners\n",  # team names are case-blind
        "* @acme/infra-owners\n/pipeline/ @acme/data-owners\n",  # the default owner owns /infra/ too
    ],
    ids=["pipeline-owner", "case-blind", "default-owner"],
)
def test_codeowners_only_reviewers_may_change_passes(github: FakeGitHub, codeowners: str) -> None:
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = codeowners
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["codeowners_changed_only_by_reviewers"] is True


def test_weaker_token_judges_from_rulesets(github: FakeGitHub) -> None:
    """Classic protection unreadable: the ruleset alone suffices when its bypass actors are visible (none)."""
    reviewed_repository(github)
    github.overrides[PROTECTION] = FORBIDDEN
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert "could not read classic protection of main" in " ".join(outcome.details["notes"])


def test_hidden_bypass_actors_never_pass_silently(github: FakeGitHub) -> None:
    """A token that cannot see a ruleset's bypass actors cannot tell whether someone skips review: error, naming it."""
    reviewed_repository(github)
    github.overrides[PROTECTION] = FORBIDDEN
    github.show_bypass_actors = False
    github.rulesets = [
        ruleset(bypass_actors=[{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}])
    ]
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "only if nobody may bypass ruleset 'main review' (id 42" in str(outcome.reason)
    assert "cannot see its bypass actors" in str(outcome.reason)
    # With classic protection readable and binding admins, the hidden actors do not matter.
    del github.overrides[PROTECTION]
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert "bypass actors are not visible to this token" in " ".join(outcome.details["notes"])


@pytest.mark.parametrize(
    "actor",
    [
        {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"},
        {"actor_id": 9, "actor_type": "Team", "bypass_mode": "pull_request"},
        {"actor_id": 77, "actor_type": "Integration", "bypass_mode": "always"},
        {"actor_id": None, "actor_type": "OrganizationAdmin", "bypass_mode": "always"},
    ],
)
def test_every_kind_of_bypass_actor_fails_naming_it(github: FakeGitHub, actor: dict[str, object]) -> None:
    reviewed_repository(github)
    github.classic = classic_protection(enforce_admins=False)
    github.rulesets = [ruleset(bypass_actors=[actor])]
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"{actor['actor_type']}" in str(outcome.reason)
    assert f"({actor['bypass_mode']}) may bypass it" in str(outcome.reason)


def test_ruleset_excluding_main_does_not_count(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    github.rulesets = [ruleset(ref_name={"include": ["~ALL"], "exclude": ["refs/heads/main"]})]
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "no review requirement at all" in str(outcome.reason)


@pytest.mark.parametrize(
    ("detail", "why"),
    [
        ({"enforcement": "evaluate"}, "enforcement is 'evaluate'"),
        ({"enforcement": "disabled"}, "enforcement is 'disabled'"),
        ({"ref_name": {"include": ["~ALL"], "exclude": ["refs/heads/ma*"]}}, "excludes main (refs/heads/ma*)"),
        ({"ref_name": {"include": ["refs/heads/release/*"], "exclude": []}}, "does not include main"),
    ],
)
def test_judge_rereads_enforcement_and_ref_conditions(detail: dict[str, object], why: str) -> None:
    """Should the rules endpoint list a ruleset that does not bind main, the ruleset's own settings decide."""
    reading = ReviewReading(
        REPO,
        rules=[{**pull_request_rule(), "ruleset_id": 1, "ruleset_source_type": "Repository", "ruleset_source": REPO}],
        rulesets={1: ruleset(1, **detail)},  # type: ignore[arg-type]
        classic=None,
        codeowners_path=".github/CODEOWNERS",
        codeowners_text=CODEOWNERS,
        codeowners_errors=[],
        tree=["infra/a.tf", "pipeline/b.sql"],
        binding=BOUND,
    )
    outcome = judge_review(reading)
    assert outcome.status is Status.FAILED, outcome.reason
    assert why in " ".join(outcome.details["notes"])


def test_weaker_token_with_insufficient_rulesets_is_an_error(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = [ruleset(rules=[pull_request_rule(dismiss_stale=False)])]
    github.overrides[PROTECTION] = FORBIDDEN
    outcome = ask(github)
    assert outcome.status is Status.ERROR
    assert "stale approvals are kept" in str(outcome.reason)
    assert "classic protection could not be read" in str(outcome.reason)


def test_nothing_readable_is_an_error(github: FakeGitHub) -> None:
    github.error = FORBIDDEN
    outcome = ask(github)
    assert outcome.status is Status.ERROR
    assert "neither source of main's review rules could be read" in str(outcome.reason)
    assert "could not read CODEOWNERS of main" in str(outcome.reason)


def test_no_answer_at_all_is_an_error() -> None:
    outcome = check_review(REPO, TOKEN, "http://127.0.0.1:9")
    assert outcome.status is Status.ERROR
    assert "no answer from http://127.0.0.1:9" in str(outcome.reason)


@pytest.mark.parametrize(
    ("repo", "token", "missing"),
    [(REPO, None, "GITHUB_TOKEN is not set"), (None, TOKEN, "no repository"), (None, None, "GITHUB_TOKEN")],
)
def test_without_token_or_repository_skipped(repo: str | None, token: str | None, missing: str) -> None:
    outcome = check_review(repo, token, "http://127.0.0.1:9")
    assert outcome.status is Status.SKIPPED
    assert missing in str(outcome.reason)


def test_pure_judge_on_a_reading() -> None:
    """The judge needs no server: a reading with one good ruleset and owned directories passes."""
    reading = ReviewReading(
        REPO,
        rules=[{**pull_request_rule(), "ruleset_id": 1, "ruleset_source_type": "Repository", "ruleset_source": REPO}],
        rulesets={1: ruleset(1)},
        codeowners_path=".github/CODEOWNERS",
        codeowners_text=CODEOWNERS,
        codeowners_errors=[],
        tree=["infra/a.tf", "pipeline/b.sql"],
        binding=BOUND,
        workflow_permissions={"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False},
    )
    assert judge_review(reading).status is Status.PASSED


def test_codeowners_last_match_wins() -> None:
    rules = parse_codeowners("* @acme/all # everyone\n/infra/ @acme/infra\n/infra/docs/\n")
    assert [r.owners for r in rules] == [("@acme/all",), ("@acme/infra",), ()]
    assert owners_of("infra/x.tf", rules) == rules[1]
    assert owners_of("infra/docs/readme.md", rules) == rules[2]
    assert owners_of("README.md", rules) == rules[0]


def test_guard_rail_has_its_own_table_and_section_in_the_report(tmp_path: Path) -> None:
    """GUARD-review is neither an exit criterion nor a KPI: the page gives it a "Guard rails" table."""
    doc = {
        "schema_version": 1,
        "run": {"target": "local"},
        "checks": [
            {"id": "EXIT-3", "status": "passed"},
            {"id": "GUARD-review", "status": "skipped", "reason": "GITHUB_TOKEN is not set"},
        ],
    }
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(doc))
    criteria = catalogue(project_root() / "features")
    assert [c.id for c in criteria if not c.id.startswith("EXIT-")][0] == "GUARD-review"  # before the KPIs
    html = render_report(evidence, criteria=criteria).path.read_text(encoding="utf-8")
    exits = html.split("<h2>Exit criteria</h2>")[1].split("<h2>")[0]
    guards = html.split("<h2>Guard rails</h2>")[1].split("<h2>")[0]
    assert "GUARD-review" not in exits
    assert re.search(r'<tr class="row-skipped">\s*<td>review</td>', guards)
    assert "Two-person review on main" in guards and "GITHUB_TOKEN is not set" in guards
    assert "<h2>Guard rails in detail</h2>" in html


@pytest.mark.parametrize(
    ("pattern", "probe"),
    [
        ("/infra/scratch/", "infra/scratch/a-new-file-no-commit-has-yet"),
        ("*.tfvars", "infra/new-name-no-commit-has-yet.tfvars"),
        ("/*/tmp/", "infra/tmp/a-new-file-no-commit-has-yet"),
        ("/inf*", "infra/a-new-file-no-commit-has-yet"),
        ("/infra/**/gen", "infra/gen"),  # ``/**/`` also matches no directory
        ("docs/", "infra/docs/a-new-file-no-commit-has-yet"),  # a bare name matches at any depth
    ],
)
def test_rule_probes_reach_into_the_directory(pattern: str, probe: str) -> None:
    assert probe in rule_probes(pattern, "infra/")
    assert all(p.startswith("infra/") for p in rule_probes(pattern, "infra/"))


def test_rule_probes_of_another_directory_are_none() -> None:
    assert rule_probes("/pipeline/", "infra/") == []
    assert rule_probes("/docs/", "infra/") == []
