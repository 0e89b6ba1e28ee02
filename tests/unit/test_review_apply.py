"""GUARD-review, review before apply: a workflow that runs ``terraform apply`` where one person can start it.

The plan asks that no single person can apply infrastructure changes. A merge to main needs a second person,
but before this part the check read no workflow: this repository's ``infra.yml`` can be started by
``workflow_dispatch`` on any branch (GitHub runs that branch's copy of the file, whose ``if:`` its author wrote)
and its apply job deploys through the ``production`` environment, whose settings decide whether anyone else is
asked. GitHub's REST API ("Get an environment": ``protection_rules`` with ``required_reviewers`` and
``prevent_self_review``, ``deployment_branch_policy`` ``{protected_branches, custom_branch_policies}`` (null:
every branch), ``can_admins_bypass``; "List deployment branch policies") and docs ("Referencing an environment
that does not exist will create an environment with the referenced name", with no protection rule).

Each broken repository has a healthy twin; the broken ones passed before (verified on main's code).
"""

from __future__ import annotations

import json

import pytest

from lakehouse.checks.apply_gate import apply_jobs, workflow_jobs
from lakehouse.checks.review import check_review
from lakehouse.outcome import Outcome, Status
from lakehouse.target import Target
from tests.fake_github import (
    INFRA_PATH,
    INFRA_TEXT,
    REPO,
    TOKEN,
    FakeGitHub,
    branch_policy,
    environment,
    github,
    reviewed_repository,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

PRODUCTION = f"/repos/{REPO}/environments/production"
ACCOUNT = "123456789012"  # moto's account
DEPLOY_ROLE, PLAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lakehouse-deploy", f"arn:aws:iam::{ACCOUNT}:role/lakehouse-plan"
#: The repository variables infra.yml's header names, each role its own (a healthy repository).
ROLE_VARIABLES = {"AWS_DEPLOY_ROLE_ARN": DEPLOY_ROLE, "AWS_PLAN_ROLE_ARN": PLAN_ROLE}


def _line(text: str) -> int:
    """The line of infra.yml (as the fake serves it) that first holds ``text``: the reasons name lines."""
    return next(n for n, line in enumerate(INFRA_TEXT.splitlines(), 1) if text in line)


INFRA_APPLY_JOB, INFRA_APPLY_RUN, INFRA_APPLY_ENV = (
    _line("  apply:"),
    _line("terraform -chdir=infra apply"),
    _line("environment: production"),
)
INFRA_ON_PR, INFRA_ON_DISPATCH = _line("  pull_request:"), _line("  workflow_dispatch:")


def ask(github: FakeGitHub) -> Outcome:
    return check_review(REPO, TOKEN, github.url)


def with_infra(github: FakeGitHub, text: str = INFRA_TEXT, path: str = INFRA_PATH) -> FakeGitHub:
    """A main reviewed as the plan asks, holding an infra workflow (default: this repository's own)."""
    reviewed_repository(github)
    github.files[path] = text
    github.variables.update(ROLE_VARIABLES)
    return github


# -- the environment the apply job deploys through ----------------------------------------------------------------


def test_a_missing_environment_fails_naming_it_and_the_dispatch_trigger(github: FakeGitHub) -> None:
    """Broken: infra.yml names ``production``, which the repository does not have: GitHub creates it on the apply
    job's first run, unprotected, and ``workflow_dispatch`` on any branch then applies that branch's code."""
    with_infra(github)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert (
        f"{INFRA_PATH} line {INFRA_APPLY_JOB} (job 'apply') applies Terraform "
        f"(line {INFRA_APPLY_RUN}: `terraform -chdir=infra" in reason
    )
    assert f"environment 'production' ({INFRA_PATH} line {INFRA_APPLY_ENV}), which {REPO} does not have" in reason
    assert (
        f"{INFRA_PATH} line {INFRA_ON_DISPATCH}: workflow_dispatch (anyone with write access starts it on a ref"
        in reason
    )
    assert "starts job 'apply', which applies Terraform" in reason
    assert f"{INFRA_PATH} line {INFRA_ON_PR}: pull_request" in reason
    assert [t.split(" (")[0] for t in outcome.measured["unreviewed_apply_triggers"]] == [
        f"{INFRA_PATH} line {INFRA_ON_PR}: pull_request",
        f"{INFRA_PATH} line {INFRA_ON_DISPATCH}: workflow_dispatch",
    ]  # push to main brings reviewed code only


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (environment(policy={}), "deployment_branch_policy is null: every branch may deploy"),
        (environment(reviewers=()), "no required reviewers"),
        (environment(prevent_self_review=False), "prevent_self_review is off: whoever starts the run may approve"),
        (environment(can_admins_bypass=True), "can_admins_bypass is true: an admin deploys without"),
    ],
    ids=["every-branch", "no-reviewer", "self-review", "admin-bypass"],
)
def test_an_environment_that_is_no_gate_fails_naming_what_it_lacks(
    github: FakeGitHub, env: dict[str, object], said: str
) -> None:
    with_infra(github).environments["production"] = env
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"through environment 'production' ({INFRA_PATH} line {INFRA_APPLY_ENV}), which is no gate" in str(
        outcome.reason
    )
    assert said in str(outcome.reason)
    assert f"{INFRA_PATH} line {INFRA_ON_DISPATCH}: workflow_dispatch" in str(outcome.reason)
    assert outcome.measured["apply_environments_not_gates"] == [f"{INFRA_PATH} line {INFRA_APPLY_JOB} (job 'apply')"]


def test_a_gate_environment_passes_whatever_starts_the_workflow(github: FakeGitHub) -> None:
    """Healthy twin: ``production`` needs a team other than the run's starter, only protected branches deploy,
    admins may not bypass: a dispatch on an unreviewed branch waits for a second person and is refused."""
    with_infra(github).environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["unreviewed_apply_triggers"] == []
    assert outcome.measured["apply_environments_not_gates"] == []
    assert outcome.details["review_before_apply"]["apply_jobs"][0]["environment"] == "production"
    assert any(PRODUCTION in r for r in outcome.details["github"]["requests"])


def test_branch_policies_must_name_main_only(github: FakeGitHub) -> None:
    """Broken: "Selected branches and tags" with a wildcard and a tag pattern: anyone with write access pushes
    ``release/x`` or a tag ``v9`` and deploys it, unreviewed."""
    with_infra(github).environments["production"] = environment(
        policy={"protected_branches": False, "custom_branch_policies": True}
    )
    github.branch_policies["production"] = [
        branch_policy("main"),
        branch_policy("release/*"),
        branch_policy("v*", "tag"),
    ]
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "deployment branch policies let branch 'release/*', tag 'v*' deploy" in str(outcome.reason)


def test_branch_policies_naming_main_pass(github: FakeGitHub) -> None:
    """Healthy twin: the only policy is branch ``main`` (reviewed by the rest of the check)."""
    with_infra(github).environments["production"] = environment(
        policy={"protected_branches": False, "custom_branch_policies": True}
    )
    github.branch_policies["production"] = [branch_policy("main")]
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


def test_an_unreadable_environment_is_an_error_never_a_pass(github: FakeGitHub) -> None:
    with_infra(github).overrides[PRODUCTION] = (503, {}, json.dumps({"message": "Service Unavailable"}))
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "could not read environment 'production'" in str(outcome.reason) and "503" in str(outcome.reason)


# -- workflows without an environment: only a push to main brings reviewed code --------------------------------------

APPLY_JOB = """
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-24.04
    steps:
      - run: |
          terraform -chdir=infra init
          terraform -chdir=infra apply -auto-approve
"""


@pytest.mark.parametrize(
    ("on", "line", "said"),
    [
        ("on: workflow_dispatch\n", 1, "workflow_dispatch (anyone with write access starts it"),
        ("on: [push]\n", 1, "push (push to any branch or tag)"),
        ("on:\n  push:\n    branches: [main, 'feature/**']\n", 2, "push (push to branches feature/**)"),
        ("on:\n  push:\n    branches: [main]\n    tags: ['v*']\n", 2, "push (push with tags: refs other than main"),
        ("on:\n  schedule:\n    - cron: '0 3 * * *'\n", 2, "schedule (a timer starts it"),
        ("on:\n  repository_dispatch:\n", 2, "repository_dispatch (anyone with a write token starts it"),
    ],
    ids=["dispatch", "push-any", "push-other-branch", "push-tags", "schedule", "repository-dispatch"],
)
def test_an_ungated_apply_started_otherwise_than_by_a_push_to_main_fails(
    github: FakeGitHub, on: str, line: int, said: str
) -> None:
    with_infra(github, on + APPLY_JOB, ".github/workflows/deploy.yml")
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f".github/workflows/deploy.yml line {line}: {said}" in str(outcome.reason)
    assert "starts job 'deploy', which applies Terraform (line" in str(outcome.reason)
    assert "names no environment" in str(outcome.reason)


def test_an_ungated_apply_on_push_to_main_only_passes(github: FakeGitHub) -> None:
    """Healthy twin: only merges to main, each reviewed by a code owner, reach the apply."""
    with_infra(github, "on:\n  push:\n    branches: [main]\n    paths: ['infra/**']\n" + APPLY_JOB)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["review_before_apply"]["apply_jobs"][0]["triggers"][0]["reviewed_only"] is True


def test_an_environment_picked_by_an_expression_fails(github: FakeGitHub) -> None:
    text = APPLY_JOB.replace("    runs-on:", "    environment: ${{ inputs.target }}\n    runs-on:")
    with_infra(github, "on:\n  push:\n    branches: [main]\n" + text, ".github/workflows/deploy.yml")
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "named by an expression" in str(outcome.reason) and "whoever starts the run picks it" in str(outcome.reason)


def test_apply_is_found_by_its_command_not_by_a_name() -> None:
    """``terraform plan -destroy`` plans; ``tofu destroy`` and ``terraform -chdir=x apply`` apply."""
    plan = "on: push\njobs:\n  p:\n    steps:\n      - run: terraform -chdir=infra plan -destroy -out=x\n"
    assert apply_jobs("w.yml", plan, "main") == []
    for command in ("tofu destroy -auto-approve", "terraform -chdir=infra apply tfplan"):
        found = apply_jobs("w.yml", plan.replace("terraform -chdir=infra plan -destroy -out=x", command), "main")
        assert [j.applies_at for j in found] == [f"line 5: `{command}`"]


def test_a_workflow_that_is_no_yaml_is_an_error_naming_its_line(github: FakeGitHub) -> None:
    with_infra(github, "on: push\njobs:\n  a: [\n", ".github/workflows/broken.yml")
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert ".github/workflows/broken.yml line" in str(outcome.reason)


def test_an_apply_continued_over_lines_is_found_at_its_first_line() -> None:
    text = (
        "on: push\njobs:\n  a:\n    steps:\n      - run: |\n"
        "          terraform -chdir=infra \\\n            apply tfplan\n"
    )
    found = apply_jobs("w.yml", text, "main")
    assert [j.applies_at for j in found] == ["line 6: `terraform -chdir=infra apply tfplan`"]


# -- jobs obtaining an apply job's cloud credentials ---------------------------------------------------------------
# The gate holds the apply job, not its credentials: a job that obtains them on a pull request is rewritten on the
# pull request's branch to run ``terraform apply`` with them, and main's copy, which applies nothing, hides it.

#: infra.yml as it was until 0a357ea: the pull request's plan job assumed the deploy role the gated apply job uses.
INFRA_PLAN_WITH_DEPLOY_ROLE = INFRA_TEXT.replace("vars.AWS_PLAN_ROLE_ARN", "vars.AWS_DEPLOY_ROLE_ARN")
INFRA_PLAN_JOB = _line("  plan:")
INFRA_PLAN_ROLE, INFRA_APPLY_ROLE = _line("vars.AWS_PLAN_ROLE_ARN"), _line("vars.AWS_DEPLOY_ROLE_ARN")


def test_a_pull_request_job_assuming_the_deploy_role_fails_naming_it_and_the_apply_job(github: FakeGitHub) -> None:
    """Broken (infra.yml at 0a357ea^): ``production`` is a gate, so the apply job passes; the plan job, started by
    ``pull_request`` and ``workflow_dispatch`` with no environment, assumes the same ``AWS_DEPLOY_ROLE_ARN``."""
    assert INFRA_PLAN_WITH_DEPLOY_ROLE != INFRA_TEXT
    with_infra(github, INFRA_PLAN_WITH_DEPLOY_ROLE).environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    shared = (
        f"{INFRA_PATH} line {INFRA_PLAN_ROLE}: role-to-assume ${{{{ vars.AWS_DEPLOY_ROLE_ARN }}}}, as "
        f"{INFRA_PATH} line {INFRA_APPLY_JOB} (job 'apply') at line {INFRA_APPLY_ROLE}"
    )
    for line, event in ((INFRA_ON_PR, "pull_request"), (INFRA_ON_DISPATCH, "workflow_dispatch")):
        assert (
            f"{INFRA_PATH} line {line}: {event} (" in reason
            and f"starts job 'plan', which obtains the cloud credentials an apply job applies with ({shared}) and "
            "names no environment"
            in reason
        ), reason
    assert f"subject repo:{REPO}:environment:production would refuse this job" in reason
    assert "not visible from GitHub" in reason and "vars.AWS_PLAN_ROLE_ARN" in reason
    assert outcome.measured["unreviewed_apply_triggers"] == []  # the apply job itself is gated
    assert [t.split(" (")[0] for t in outcome.measured["apply_credentials_ungated"]] == [
        f"{INFRA_PATH} line {INFRA_ON_PR}: pull_request",
        f"{INFRA_PATH} line {INFRA_ON_DISPATCH}: workflow_dispatch",
    ]
    sharing = outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]
    assert [j["where"] for j in sharing] == [f"{INFRA_PATH} line {INFRA_PLAN_JOB} (job 'plan')"]


def test_this_repositorys_plan_job_with_a_role_of_its_own_passes(github: FakeGitHub) -> None:
    """Healthy twin: infra.yml as shipped, the plan job assuming the read-only ``AWS_PLAN_ROLE_ARN``."""
    assert INFRA_PLAN_ROLE < INFRA_APPLY_JOB < INFRA_APPLY_ROLE  # the plan job's role, the apply job's own
    with_infra(github).environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["apply_credentials_ungated"] == []
    assert outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"] == []


def test_a_job_sharing_the_deploy_role_through_the_gate_passes(github: FakeGitHub) -> None:
    """Healthy twin: the plan job names ``production`` too, so GitHub holds it for the same second person."""
    text = INFRA_PLAN_WITH_DEPLOY_ROLE.replace(
        "    name: terraform plan (pull request)\n",
        "    name: terraform plan (pull request)\n    environment: production\n",
    )
    assert text != INFRA_PLAN_WITH_DEPLOY_ROLE
    with_infra(github, text).environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert len(outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]) == 1


def test_a_job_sharing_the_deploy_keys_through_an_environment_that_is_no_gate_fails(github: FakeGitHub) -> None:
    """Broken: the job obtaining the deploy keys names an environment, but one anybody deploys through."""
    check = CHECK_JOB.replace("secrets.KEY_ID", "secrets.AWS_DEPLOY_KEY_ID")
    text = APPLY_WITH_KEYS + check.replace("    runs-on:", "    environment: preview\n    runs-on:")
    with_infra(github, "on: [pull_request, push]\n" + text, DEPLOY).environments["production"] = environment()
    github.environments["preview"] = environment("preview", reviewers=())
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "job 'check') obtains the cloud credentials an apply job applies with" in str(outcome.reason)
    assert "through environment 'preview' (.github/workflows/deploy.yml line" in str(outcome.reason)
    assert "which is no gate: no required reviewers" in str(outcome.reason)


DEPLOY = ".github/workflows/deploy.yml"
#: An apply job through ``production`` with static AWS keys from repository secrets.
APPLY_WITH_KEYS = """
jobs:
  deploy:
    runs-on: ubuntu-24.04
    environment: production
    steps:
      - uses: aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a # v4.3.1
        with:
          aws-access-key-id: ${{ secrets.AWS_DEPLOY_KEY_ID }}
          aws-secret-access-key: ${{ secrets.AWS_DEPLOY_SECRET_KEY }}
          aws-region: eu-west-1
      - run: terraform -chdir=infra apply -auto-approve
"""
#: A job that plans, with whatever keys its ``env:`` names.
CHECK_JOB = """
  check:
    runs-on: ubuntu-24.04
    env:
      AWS_ACCESS_KEY_ID: ${{ secrets.KEY_ID }}
      AWS_SECRET_ACCESS_KEY: ${{ secrets['SECRET_KEY'] }}
    steps:
      - run: terraform -chdir=infra plan
"""


def test_a_pull_request_job_with_the_deploy_keys_fails_naming_the_secret_and_its_line(github: FakeGitHub) -> None:
    """Broken: a job on ``pull_request`` (another workflow file) exports the apply job's secret access key."""
    check = CHECK_JOB.replace("secrets['SECRET_KEY']", "secrets['AWS_DEPLOY_SECRET_KEY']")
    with_infra(github, "on:\n  push:\n    branches: [main]\n" + APPLY_WITH_KEYS, DEPLOY)
    github.files[".github/workflows/check.yml"] = "on: pull_request\njobs:" + check
    github.environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        ".github/workflows/check.yml line 1: pull_request (a pull request's code starts it, before any review) "
        "starts job 'check', which obtains the cloud credentials an apply job applies with ("
        ".github/workflows/check.yml line 7: job env AWS_SECRET_ACCESS_KEY secrets.AWS_DEPLOY_SECRET_KEY, as "
        f"{DEPLOY} line 6 (job 'deploy') at line 13) and names no environment"
    ) in str(outcome.reason)
    assert "subject repo:" not in str(outcome.reason)  # no role: no OIDC trust to speak of


def test_a_pull_request_job_with_keys_of_its_own_passes(github: FakeGitHub) -> None:
    """Healthy twin: the pull request's job uses other secrets (read-only keys); the apply job is gated."""
    with_infra(github, "on: [pull_request, push]\n" + APPLY_WITH_KEYS + CHECK_JOB, DEPLOY)
    github.environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["review_before_apply"]["apply_jobs"][0]["credentials"] == [
        "line 10: aws-access-key-id secrets.AWS_DEPLOY_KEY_ID",
        "line 11: aws-secret-access-key secrets.AWS_DEPLOY_SECRET_KEY",
    ]


def test_credentials_are_compared_as_written_blanks_and_case_aside() -> None:
    """``${{vars.aws_deploy_role_arn}}`` is GitHub's ``${{ vars.AWS_DEPLOY_ROLE_ARN }}`` (variable and secret names
    are case-insensitive); a workflow's ``env:`` reaches each of its jobs; another action's inputs hand no AWS key."""
    text = (
        "on: pull_request\nenv:\n  AWS_ACCESS_KEY_ID: ${{ secrets.Deploy_Key }}\njobs:\n  a:\n    steps:\n"
        "      - uses: Aws-Actions/configure-aws-credentials@v4\n        with:\n"
        "          role-to-assume: ${{vars.aws_deploy_role_arn}}\n"
        "      - uses: example/other@v1\n        with:\n          aws-access-key-id: ${{ secrets.OTHER }}\n"
    )
    (job,) = workflow_jobs("w.yml", text, "main")
    assert [(c.key, c.said) for c in job.credentials] == [
        ("secret DEPLOY_KEY", "line 3: workflow env AWS_ACCESS_KEY_ID secrets.Deploy_Key"),
        ("role ${{vars.aws_deploy_role_arn}}", "line 9: role-to-assume ${{vars.aws_deploy_role_arn}}"),
    ]
    deploy_role = workflow_jobs("w.yml", INFRA_TEXT, "main")[-1].credentials
    assert [c.key for c in deploy_role] == ["role ${{vars.aws_deploy_role_arn}}"]


# -- what the role-to-assume texts hold: GitHub's variables ---------------------------------------------------------
# Two texts, one role: the plan job's ``vars.AWS_PLAN_ROLE_ARN`` may hold the deploy role's ARN. Until the variables
# were read, the texts differing passed it.


def test_a_plan_variable_holding_the_deploy_role_fails_naming_both_variables(github: FakeGitHub) -> None:
    """Broken: infra.yml as shipped, but the repository variable AWS_PLAN_ROLE_ARN holds the deploy role's ARN: the
    pull request's plan job gets the deploy role after all."""
    with_infra(github).environments["production"] = environment()
    github.variables["AWS_PLAN_ROLE_ARN"] = DEPLOY_ROLE
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert (
        f"{INFRA_PATH} line {INFRA_ON_PR}: pull_request (a pull request's code starts it, before any review) starts "
        f"job 'plan', which obtains the cloud credentials an apply job applies with ({INFRA_PATH} line "
        f"{INFRA_PLAN_ROLE}: role-to-assume ${{{{ vars.AWS_PLAN_ROLE_ARN }}}}, as {INFRA_PATH} line {INFRA_APPLY_JOB} "
        f"(job 'apply') at line {INFRA_APPLY_ROLE} (${{{{ vars.AWS_DEPLOY_ROLE_ARN }}}}): both hold role "
        f"{DEPLOY_ROLE}"
    ) in reason, reason
    assert f"vars.AWS_PLAN_ROLE_ARN = {DEPLOY_ROLE} (repository variable)" in reason
    assert any(f"/repos/{REPO}/actions/variables/AWS_PLAN_ROLE_ARN" in r for r in outcome.details["github"]["requests"])


def test_distinct_role_variables_pass_and_are_recorded(github: FakeGitHub) -> None:
    """Healthy twin: each variable its own role; the values read are in the evidence."""
    with_infra(github).environments["production"] = environment()
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    values = {v["role_to_assume"]: v["value"] for v in outcome.details["review_before_apply"]["role_values"]}
    assert values == {
        "${{ vars.AWS_PLAN_ROLE_ARN }}": PLAN_ROLE,
        "${{ vars.AWS_DEPLOY_ROLE_ARN }}": DEPLOY_ROLE,
    }


def test_an_environment_variable_overrides_the_repository_one(github: FakeGitHub) -> None:
    """Broken: the repository's AWS_DEPLOY_ROLE_ARN is some other role, but ``production`` (the apply job's
    environment) overrides it with the role the plan job assumes: the plan job on pull_request holds the apply's."""
    with_infra(github).environments["production"] = environment()
    github.variables["AWS_DEPLOY_ROLE_ARN"] = f"arn:aws:iam::{ACCOUNT}:role/unused"
    github.environment_variables["production"] = {"AWS_DEPLOY_ROLE_ARN": PLAN_ROLE}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"both hold role {PLAN_ROLE}" in str(outcome.reason)
    assert "(environment 'production' variable)" in str(outcome.reason)


VARIABLE_403 = (403, {}, json.dumps({"message": "Resource not accessible by personal access token"}))


def test_an_unreadable_variable_that_may_equal_the_deploy_role_is_an_error_never_a_pass(github: FakeGitHub) -> None:
    """Broken setting unseen: a token without the variables permission cannot tell the plan job's role from the deploy
    role, and the plan job runs on pull_request ungated: no verdict, never a pass."""
    with_infra(github).environments["production"] = environment()
    github.overrides[f"/repos/{REPO}/actions/variables/AWS_PLAN_ROLE_ARN"] = VARIABLE_403
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    reason = str(outcome.reason)
    assert f"whether {INFRA_PATH} line {INFRA_PLAN_JOB} (job 'plan'), started by pull_request" in reason
    assert "could not read repository variable AWS_PLAN_ROLE_ARN" in reason and "403" in reason


def test_an_unreadable_variable_of_a_gated_job_decides_nothing(github: FakeGitHub) -> None:
    """Healthy twin: the plan job names ``production`` too, so whatever its role, a second person holds it."""
    text = INFRA_TEXT.replace(
        "    name: terraform plan (pull request)\n",
        "    name: terraform plan (pull request)\n    environment: production\n",
    )
    with_infra(github, text).environments["production"] = environment()
    github.overrides[f"/repos/{REPO}/actions/variables/AWS_PLAN_ROLE_ARN"] = VARIABLE_403
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


# -- the deploy role's trust in the AWS account (moto's IAM) ----------------------------------------------------------
# A branch adds a NEW workflow on pull_request, never read from main, that assumes the deploy role: only the role's
# trust policy keeps it out.


def trust_policy(sub: list[str] | None, operator: str = "StringLike", aud: str | None = "sts.amazonaws.com") -> str:
    """A GitHub OIDC trust policy as GitHub's AWS guide writes it, with ``sub`` (None: no sub condition)."""
    condition: dict[str, dict[str, object]] = {}
    if aud is not None:
        condition["StringEquals"] = {"token.actions.githubusercontent.com:aud": aud}
    if sub is not None:
        condition.setdefault(operator, {})["token.actions.githubusercontent.com:sub"] = sub
    statement = {
        "Sid": "GitHubDeploy",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def aws(moto_aws: None) -> Target:
    """moto's account as the harness's AWS session, holding the plan role."""
    target = Target(name="aws", region="eu-west-1")
    target.client("iam").create_role(RoleName="lakehouse-plan", AssumeRolePolicyDocument=trust_policy(["x"]))
    return target


def ask_with(github: FakeGitHub, aws: Target, deploy_trust: str) -> Outcome:
    aws.client("iam").create_role(RoleName="lakehouse-deploy", AssumeRolePolicyDocument=deploy_trust)
    return check_review(REPO, TOKEN, github.url, aws=aws)


@pytest.mark.parametrize(
    ("sub", "operator", "said"),
    [
        ([f"repo:{REPO}:*"], "StringLike", f"subject(s) 'repo:{REPO}:*' assume it"),
        ([f"repo:{REPO}:pull_request"], "StringEquals", f"subject(s) 'repo:{REPO}:pull_request' assume it"),
        (None, "StringLike", "with no token.actions.githubusercontent.com:sub condition"),
        ([f"repo:{REPO}:ref:refs/heads/main"], "StringEquals", f"'repo:{REPO}:ref:refs/heads/main' assume it"),
    ],
    ids=["any-subject", "pull-request", "no-sub", "main-with-other-triggers"],
)
def test_a_deploy_role_trusting_more_than_the_gate_fails_naming_the_statement(
    github: FakeGitHub, aws: Target, sub: list[str] | None, operator: str, said: str
) -> None:
    """Broken: the apply job is gated and no workflow of main shares its role, but the role's trust lets a job of a
    workflow a branch adds assume it (infra.yml starts on pull_request and workflow_dispatch too, so even main's
    ``ref`` subject is no gate's)."""
    with_infra(github).environments["production"] = environment()
    outcome = ask_with(github, aws, trust_policy(sub, operator))
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert (
        f"the trust policy of role {DEPLOY_ROLE} (assumed by {INFRA_PATH} line {INFRA_APPLY_JOB} (job 'apply')), "
        "statement GitHubDeploy" in reason
    ), reason
    assert said in reason
    assert outcome.measured["apply_role_trust_too_wide"]


def test_a_trust_without_the_sts_audience_fails(github: FakeGitHub, aws: Target) -> None:
    with_infra(github).environments["production"] = environment()
    outcome = ask_with(github, aws, trust_policy([f"repo:{REPO}:environment:production"], aud=None))
    assert outcome.status is Status.FAILED, outcome.reason
    assert "pins token.actions.githubusercontent.com:aud to nothing" in str(outcome.reason)


def test_a_deploy_role_trusting_the_gate_environment_only_passes(github: FakeGitHub, aws: Target) -> None:
    """Healthy twin: the trust accepts ``repo:O/R:environment:production`` alone, the subject GitHub gives only jobs
    the production environment (a gate) let through."""
    with_infra(github).environments["production"] = environment()
    outcome = ask_with(github, aws, trust_policy([f"repo:{REPO}:environment:production"], "StringEquals"))
    assert outcome.status is Status.PASSED, outcome.reason
    trust = outcome.details["review_before_apply"]["role_trust"]
    assert trust["account"] == ACCOUNT
    assert trust["roles"][DEPLOY_ROLE]["allowed_subjects"] == [f"repo:{REPO}:environment:production"]
    assert trust["roles"][DEPLOY_ROLE]["statements"][0]["sub"] == [f"repo:{REPO}:environment:production"]


def test_main_subject_passes_when_the_apply_workflow_starts_on_push_to_main_only(
    github: FakeGitHub, aws: Target
) -> None:
    """Healthy twin: an ungated apply on push to main alone, its role trusting main's ``ref`` subject."""
    text = "on:\n  push:\n    branches: [main]\n" + APPLY_JOB.replace(
        "    steps:\n",
        "    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
        f"          role-to-assume: {DEPLOY_ROLE}\n",
    )
    with_infra(github, text, DEPLOY)
    outcome = ask_with(github, aws, trust_policy([f"repo:{REPO}:ref:refs/heads/main"], "StringEquals"))
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["review_before_apply"]["role_trust"]["roles"][DEPLOY_ROLE]["statements"]


def test_a_role_of_another_account_is_recorded_not_judged(github: FakeGitHub, aws: Target) -> None:
    """The deploy role lives in another account than the session's: its trust is not read, and the evidence says so
    (the rest of the check judges as before)."""
    other = "arn:aws:iam::210987654321:role/lakehouse-deploy"
    with_infra(github).environments["production"] = environment()
    github.variables["AWS_DEPLOY_ROLE_ARN"] = other
    outcome = ask_with(github, aws, trust_policy([f"repo:{REPO}:*"]))  # this account's namesake is not the one
    assert outcome.status is Status.PASSED, outcome.reason
    judged = outcome.details["review_before_apply"]["role_trust"]["roles"][other]
    assert "not the AWS session's 123456789012: its trust is not read" in judged["not_judged"]


def test_a_literal_arn_equal_to_a_templated_one_is_the_same_role(github: FakeGitHub) -> None:
    """Broken: the apply job builds its ARN from ``vars.AWS_ACCOUNT_ID``; a pull request's job writes the same ARN
    literally (the texts differ, the role is one)."""
    text = INFRA_TEXT.replace(
        "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "arn:aws:iam::${{ vars['AWS_ACCOUNT_ID'] }}:role/lakehouse-deploy"
    ).replace("${{ vars.AWS_PLAN_ROLE_ARN }}", DEPLOY_ROLE.upper().replace("ARN:AWS:IAM", "arn:aws:iam"))
    with_infra(github, text).environments["production"] = environment()
    github.variables["AWS_ACCOUNT_ID"] = ACCOUNT
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"both hold role {DEPLOY_ROLE}" in str(outcome.reason)
    assert f"vars.AWS_ACCOUNT_ID = {ACCOUNT} (repository variable)" in str(outcome.reason)
