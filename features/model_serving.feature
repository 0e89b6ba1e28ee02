Feature: MLflow -> SageMaker
  The plan's v0.9 stack trains a model on Gold, tracks and registers it in MLflow, and serves the
  registered version from a SageMaker endpoint that Terraform deploys (serverless: idle costs 0).
  Everything is read back through SageMaker's, MLflow's and Athena's APIs. Every check writes its
  evidence to reports/evidence.json.

  Background:
    Given the lakehouse stack is deployed from infra/

  @STACK-model
  Scenario: The registered model version serves predictions from a serverless endpoint
    Pass condition: every endpoint of the stack serves the version MLflow's "champion" alias names, the one this run trained on Gold, in MLflow's serving image for that version; its prediction for a known input is within 1 % of the value Gold gives by SQL; every endpoint is serverless (idle cost 0) within its caps
    Verifier: SageMaker API (DescribeEndpoint -> EndpointConfig -> Model -> ModelDataUrl -> MLmodel), MLflow registry API, SageMaker runtime InvokeEndpoint, Athena SQL on Gold

    Given the model "daily-revenue" is trained on Gold, registered in MLflow and deployed by Terraform
    When the stack's SageMaker endpoints are followed to the archives they serve and MLflow's "daily-revenue" is read
    Then every endpoint serves the version the alias "champion" names in the registry
    And for country "JP" and the country of Gold furthest from it every endpoint predicts within 1 % of the mean daily revenue that Gold's orders give by SQL
    And every endpoint is serverless, so idle costs 0, with at most 2 concurrent invocations of at most 2048 MB
