Feature: Guard rails of the plan
  Settings around the stack that the plan (sections 3.2 to 3.4) asks for, read back from where they
  are enforced. They judge the repository, not a stack: no stack is deployed for them. Every check
  writes its evidence to reports/evidence.json.

  @GUARD-review
  Scenario: Two-person review on main
    Pass condition: a merge to `main` needs >= 1 approval from a code owner of /infra/ and /pipeline/ other than the last pusher, never from GitHub Actions, stale approvals dismissed, admins included; a workflow job running `terraform apply` starts only on a push to `main`, or through an environment requiring a reviewer other than the run's starter, protected branches only, no admin bypass
    Verifier: GitHub REST API (rules and branch protection of `main`, Actions workflow permissions, CODEOWNERS and its errors, the workflows of `main` and their deployment environments)

    When the review rules of branch "main" and its CODEOWNERS for /infra/ and /pipeline/ are read from GitHub
    Then a merge to that branch needs at least 1 approving review by a code owner other than the last pusher, never by GitHub Actions, stale approvals dismissed, for admins too
    And CODEOWNERS on that branch has no errors and gives every file under those directories an owner
