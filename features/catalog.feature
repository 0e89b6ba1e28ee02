Feature: The Backstage catalog of the stack
  catalog-info.yaml describes the lakehouse for Backstage: the system, its components and their owners,
  and the stack's resources. It runs on App Runner, which cannot scale to zero and has no auto-pause, so
  the stack pauses it on a schedule: a resumed service runs at most that long.
  The stack is deployed once per run from infra/; the check writes its evidence to reports/evidence.json.

  Background:
    Given the lakehouse stack is deployed from infra/

  @STACK-catalog
  Scenario: Backstage catalog on App Runner
    Pass condition: every resource catalog-info.yaml names exists, every component has a lifecycle and an owner group that is a team of CODEOWNERS owning its directory, the catalog service answers with the entities, and an enabled schedule of the stack pauses its App Runner service at least hourly
    Verifier: Backstage's entity schemas; the repository's CODEOWNERS; S3, Glue, Athena, App Runner, EventBridge Scheduler and IAM APIs, the lineage and MLflow services; GET /api/catalog/entities

    Given the repository's catalog-info.yaml, valid against Backstage's entity schemas
    When the resources it names, its App Runner service, the schedules that pause it and its catalog service are read through their APIs
    Then every resource the catalog names exists in the stack
    And every component has a lifecycle and an owner group, a team CODEOWNERS gives its directory
    And an enabled schedule of the stack pauses the catalog's App Runner service at least every 1 h, through a role allowed to
    And the catalog service answers with exactly the entities of catalog-info.yaml
