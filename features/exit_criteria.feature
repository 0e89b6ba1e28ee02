Feature: Exit criteria of the Bronze -> Gold lakehouse plan
  The seven objective checks of the project plan. The stack is deployed once per
  run from the Terraform root in infra/ and destroyed at the end; every check
  writes its evidence to reports/evidence.json.

  Background:
    Given the lakehouse stack is deployed from infra/

  @EXIT-1
  Scenario: 30-min deploy
    Pass condition: `make up` completes in <= 30 min
    Verifier: stopwatch artifact

    When the deploy stopwatch is read
    Then the whole deploy completed within the deploy threshold
    And every resource Terraform created has a time on the stopwatch

  @EXIT-2
  Scenario: Data loop
    Pass condition: CSV -> Iceberg -> Athena returns a row
    Verifier: `run_demo_queries.sh`

    When the sample CSVs are loaded through Bronze, Silver and Gold
    And the demo query "daily_revenue" runs on Gold through Athena
    Then it returns the expected row
      | order_date | country | orders | revenue |
      | 2026-03-01 | US      | 1      | 444.15  |
    And every input line ends in exactly one place: Silver, a rejected table or the landing report
    And the Gold table is an Iceberg table with a current snapshot
    And every table the pipeline built meets its data contract

  @EXIT-3
  Scenario: CI green
    Pass condition: guard workflow succeeds 3x consecutively
    Verifier: guard workflow

    When the newest three completed guard runs are read
    Then all three concluded successfully

  @EXIT-4
  Scenario: Lineage graph
    Pass condition: Marquez UI shows >= 1 job/node
    Verifier: screenshot

    When the pipeline has emitted its lineage
    Then the Marquez graph of the gold job reaches back to bronze

  @EXIT-5
  Scenario: 100 % IaC
    Pass condition: `terraform plan` shows 0 unmanaged
    Verifier: guard output

    When Terraform plans the deployed stack again
    And the account is searched for the stack's resources by tag, name and contents
    Then the plan shows no change
    And everything found for the stack is managed by Terraform

  @EXIT-6
  Scenario: Security baseline
    Pass condition: Lake Formation column mask hides `ssn`
    Verifier: SQL test

    When the analyst role and a privileged principal query every catalog table with a "ssn" column through Athena
    And the Lake Formation grants, the analyst role's IAM policies and the lake buckets' policies are read back
    Then the analyst's SELECT * on gold users returns rows, and no table returns ssn to the analyst
    And the analyst's SELECT ssn fails with COLUMN_NOT_FOUND or no access on every such table
    And ssn holds values in gold users for the privileged principal
    And no Lake Formation grant opens ssn to the analyst
    And no role the analyst can act as opens ssn or the lake's objects, and the analyst cannot raise its own permissions
    And no IAM policy of the analyst role nor any lake bucket's policy lets the analyst read the lake's objects

  @EXIT-7
  Scenario: Fin/Obs guards
    Pass condition: Budgets alarm + CloudWatch dashboard with >= 3 metrics
    Verifier: Terraform outputs

    When the budget, the billing alarm and the dashboard are read through their APIs
    Then the budget alarms within the 20 USD monthly cap and the dashboard has at least 3 metric series
    And the billing alarm on estimated charges can fire within that cap
