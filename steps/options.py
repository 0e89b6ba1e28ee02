"""Run options: the lakehouse command-line flags and environment, read once into ``RunOptions``."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import ConfigError, RunOptions, env_options
from lakehouse.lifetime import LifetimeError, parse_ttl
from lakehouse.target import TargetError, aws_target
from steps.collection import runs_features

OPTIONS_KEY = pytest.StashKey[RunOptions]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lakehouse", "lakehouse verification harness")
    group.addoption(
        "--target",
        choices=("local", "aws"),
        default=None,
        help="where the stack lives: local (embedded emulator, default) or aws (env LAKEHOUSE_TARGET)",
    )
    group.addoption("--stack-id", default=None, help="stack id (default: a new unique one; env LAKEHOUSE_STACK_ID)")
    group.addoption("--region", default=None, help="AWS region (default AWS_REGION, else ap-northeast-1)")
    group.addoption(
        "--deployed",
        action="store_true",
        help="verify the stack `make up` deployed (with --stack-id if several): no deploy, no destroy",
    )
    group.addoption(
        "--keep-stack",
        action="store_true",
        help="leave the stack (and the local emulator) running after the run; `make destroy` removes it",
    )
    group.addoption(
        "--deploy-threshold",
        type=float,
        default=None,
        metavar="SECONDS",
        help="exit check 1 threshold in seconds (default the plan's 1800; env LAKEHOUSE_DEPLOY_THRESHOLD_S; a higher "
        "one is judged but never passed: the check is skipped, the run incomplete)",
    )
    group.addoption("--reports-dir", default=None, help="where evidence goes (default reports/)")
    group.addoption(
        "--data-dir", default=None, help="CSVs the pipeline loads (default fixtures/data; env LAKEHOUSE_DATA_DIR)"
    )
    group.addoption("--aws-profile", default=None, help="AWS profile for --target aws")
    group.addoption(
        "--ttl",
        type=_ttl,
        default=None,
        help="how long a stack this run deploys may live before `lakehouse reap` destroys it, e.g. 12h or 7d "
        "(default 12h; env LAKEHOUSE_TTL)",
    )
    group.addoption(
        "--github-repo",
        default=None,
        metavar="OWNER/NAME",
        help="exit check 3: repository whose guard workflow runs are read, with GITHUB_TOKEN (env GITHUB_REPOSITORY)",
    )
    group.addoption(
        "--guard-ledger",
        default=None,
        metavar="PATH",
        help="exit check 3 without GitHub: `make guard`'s ledger (default <reports-dir>/guard-ledger.jsonl; "
        "env LAKEHOUSE_GUARD_LEDGER)",
    )
    group.addoption(
        "--cost-cap",
        type=float,
        default=None,
        metavar="USD",
        help="exit check 7 and KPI-cost: highest accepted monthly budget limit and cost (default the plan's 20; env "
        "LAKEHOUSE_MONTHLY_COST_CAP_USD; a higher one is judged but never passed: skipped, the run incomplete)",
    )
    group.addoption(
        "--marquez-url",
        default=None,
        metavar="URL",
        help="exit check 4: Marquez API the pipeline's lineage goes to (env MARQUEZ_URL; default on the local "
        "target: the stack's own lineage service)",
    )
    group.addoption(
        "--mlflow-url",
        default=None,
        metavar="URL",
        help="@STACK-model: MLflow tracking server the model is registered in and read back from "
        "(env MLFLOW_TRACKING_URI; default on the local target: the stack's own)",
    )
    group.addoption(
        "--require-all",
        action="store_true",
        default=None,
        help="exit non-zero when the run is incomplete (a check skipped or deselected; env LAKEHOUSE_REQUIRE_ALL=1)",
    )
    group.addoption(
        "--lineage-namespace",
        default=None,
        help="exit check 4: OpenLineage job namespace (env OPENLINEAGE_NAMESPACE; default lakehouse-<stack id>)",
    )


def _ttl(text: str) -> str:
    """Validated at parse time, so a bad --ttl is a usage error before anything is deployed."""
    try:
        parse_ttl(text)
    except LifetimeError as err:  # argparse names the option itself
        raise argparse.ArgumentTypeError(str(err).removeprefix("--ttl: ")) from None
    return text


def _options_from(config: pytest.Config) -> RunOptions:
    values: dict[str, Any] = env_options()
    flags = {
        "target": config.getoption("--target"),
        "stack_id": config.getoption("--stack-id"),
        "region": config.getoption("--region"),
        "deploy_threshold_s": config.getoption("--deploy-threshold"),
        "profile": config.getoption("--aws-profile"),
        "github_repo": config.getoption("--github-repo"),
        "monthly_cost_cap_usd": config.getoption("--cost-cap"),
        "marquez_url": config.getoption("--marquez-url"),
        "mlflow_url": config.getoption("--mlflow-url"),
        "lineage_namespace": config.getoption("--lineage-namespace"),
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if data_dir := config.getoption("--data-dir"):
        values["data_dir"] = Path(data_dir).resolve()
    if reports := config.getoption("--reports-dir"):
        values["reports_dir"] = Path(reports).resolve()
    if ledger := config.getoption("--guard-ledger"):
        values["guard_ledger"] = Path(ledger).resolve()
    if config.getoption("--require-all"):
        values["require_all"] = True
    values["deployed"] = bool(config.getoption("--deployed"))
    values["keep"] = bool(config.getoption("--keep-stack"))
    if values["deployed"] and "stack_id" not in values:
        values["stack_id"] = _single_recorded_stack(RunOptions().home)
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker and "stack_id" in values and not values["deployed"]:
        # Each xdist worker deploys its own stack: keep a given id apart per worker.
        values["stack_id"] = f"{values['stack_id']}-{worker}"
    return RunOptions(**values)


def _single_recorded_stack(home: Path) -> str:
    ids = sorted(p.parent.name for p in (home / "stacks").glob("*/stack.json"))
    if len(ids) != 1:
        known = ", ".join(ids) or "none (run `make up` first)"
        raise pytest.UsageError(f"--deployed: pass --stack-id, deployed stacks here: {known}")
    return ids[0]


def pytest_configure(config: pytest.Config) -> None:
    try:
        options = _options_from(config)
    except ConfigError as err:
        raise pytest.UsageError(str(err)) from None
    if options.target == "aws" and not options.deployed and runs_features(config):
        try:  # stop at once, in one line, before anything is collected or deployed
            aws_target(options.region, options.profile)
        except TargetError as err:
            raise pytest.UsageError(str(err)) from None
    config.stash[OPTIONS_KEY] = options
    config.addinivalue_line("markers", "check(id): the exit check or KPI a scenario verifies")
    # Terminate like Ctrl-C, so session teardown (destroy) still runs.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.fixture(scope="session")
def run_options(pytestconfig: pytest.Config) -> RunOptions:
    return pytestconfig.stash[OPTIONS_KEY]
