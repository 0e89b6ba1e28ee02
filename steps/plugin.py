"""The pytest side of the harness: options, feature collection, stack fixtures, evidence.

Registered from the root ``conftest.py``. All real work is in ``lakehouse``;
this module only translates between pytest and it.
"""

from __future__ import annotations

import json
import signal
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import ConfigError, RunOptions, env_options
from lakehouse.criteria import CHECK_TAG, Criterion, catalogue, pending_reason
from lakehouse.evidence import ArtifactStore, CheckEvidence, git_commit, utc_now, write_evidence
from lakehouse.redact import redact_file
from lakehouse.report import render_report
from lakehouse.stack import Deployment, Lifecycle, StackError
from lakehouse.target import TargetError, aws_target

EVIDENCE_PROPERTY = "lakehouse_evidence"
_evidence_key = pytest.StashKey[CheckEvidence]()
_options_key = pytest.StashKey[RunOptions]()
_started_key = pytest.StashKey[float]()


# -- options ------------------------------------------------------------------------------------


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
        help="exit check 1 threshold in seconds (default 1800; env LAKEHOUSE_DEPLOY_THRESHOLD_S)",
    )
    group.addoption("--reports-dir", default=None, help="where evidence goes (default reports/)")
    group.addoption(
        "--data-dir", default=None, help="CSVs the pipeline loads (default fixtures/data; env LAKEHOUSE_DATA_DIR)"
    )
    group.addoption("--aws-profile", default=None, help="AWS profile for --target aws")
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
        help="exit check 7: highest accepted monthly budget limit (default 20; env LAKEHOUSE_MONTHLY_COST_CAP_USD)",
    )
    group.addoption(
        "--marquez-url",
        default=None,
        metavar="URL",
        help="exit check 4: Marquez API the pipeline's lineage goes to (env MARQUEZ_URL; default on the local "
        "target: the stack's own lineage service)",
    )
    group.addoption(
        "--lineage-namespace",
        default=None,
        help="exit check 4: OpenLineage job namespace (env OPENLINEAGE_NAMESPACE; default lakehouse-<stack id>)",
    )


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
        "lineage_namespace": config.getoption("--lineage-namespace"),
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if data_dir := config.getoption("--data-dir"):
        values["data_dir"] = Path(data_dir).resolve()
    if reports := config.getoption("--reports-dir"):
        values["reports_dir"] = Path(reports).resolve()
    if ledger := config.getoption("--guard-ledger"):
        values["guard_ledger"] = Path(ledger).resolve()
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
    if options.target == "aws" and not options.deployed and _runs_features(config):
        try:  # stop at once, in one line, before anything is collected or deployed
            aws_target(options.region, options.profile)
        except TargetError as err:
            raise pytest.UsageError(str(err)) from None
    config.stash[_options_key] = options
    config.addinivalue_line("markers", "check(id): the exit check or KPI a scenario verifies")
    if not hasattr(config, "workerinput"):  # xdist workers send their reports to the controller
        config.pluginmanager.register(EvidenceCollector(config, options), "lakehouse-evidence")
    # Terminate like Ctrl-C, so session teardown (destroy) still runs.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _runs_features(config: pytest.Config) -> bool:
    features = Path(__file__).resolve().parent.parent / "features"
    args = [Path(a.split("::")[0]).resolve() for a in config.args] or [Path.cwd()]
    return any(a == features or features in a.parents or a in features.parents for a in args)


# -- collecting feature files directly (`pytest features/`) --------------------------------------


class FeatureFile(pytest.Module):
    """A ``.feature`` file collected as a test module whose tests are its scenarios."""

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType(f"features.{self.path.stem}")
        module.__file__ = str(self.path)
        # pytest-bdd binds scenarios into the caller's namespace: make that this module.
        code = compile(
            "from pytest_bdd import scenarios\nscenarios(__file__, features_base_dir='/')\n", str(self.path), "exec"
        )
        exec(code, module.__dict__)
        return module


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature":
        return FeatureFile.from_parent(parent, path=file_path)
    return None


def _not_implemented(why: str) -> str:
    return f"not implemented yet ({why})"


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """Check ids become a ``check`` marker; ``@pending:why`` skips the scenario with that reason."""
    if m := CHECK_TAG.match("@" + tag):
        pytest.mark.check(m.group(1))(function)
        return True
    if (why := pending_reason("@" + tag)) is not None:
        pytest.mark.skip(reason=_not_implemented(why))(function)
        return True
    return None


# -- the stack -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def run_options(pytestconfig: pytest.Config) -> RunOptions:
    return pytestconfig.stash[_options_key]


@pytest.fixture(scope="session")
def deployment(run_options: RunOptions) -> Iterator[Deployment]:
    """Deploy the stack once per session (or attach to a deployed one); destroy it at the end.

    Destroy runs when a check fails, on Ctrl-C or SIGTERM (pytest tears down session
    fixtures on interrupt), and when set-up fails half way (``Lifecycle.up`` cleans up).
    """
    life = Lifecycle(run_options)
    dep = life.attach() if run_options.deployed else life.up()
    teardown: dict[str, Any] = {"stack_id": dep.stack.stack_id, "outcome": "destroyed", "message": None}
    try:
        yield dep
    finally:
        result = None
        try:
            result = life.down()
        except StackError as err:
            teardown.update(outcome="destroy_failed", message=str(err))
            raise
        finally:
            if result is None and teardown["outcome"] == "destroyed":
                teardown["outcome"] = "kept" if (run_options.keep or run_options.deployed) else "nothing to destroy"
            if result is not None:  # `make bench` splits the run's wall time with it
                teardown["destroy_s"] = round(result.wall_s, 3)
            # The evidence (written later, by the process that sees all reports) picks this up.
            ArtifactStore(run_options.reports).write_json(f"teardown-{dep.stack.stack_id}.json", teardown)
        if run_options.keep and dep.ok:
            _print_kept(dep)


def _print_kept(dep: Deployment) -> None:
    env = " ".join(f"{k}={v}" for k, v in dep.stack.target.env().items())
    print(
        f"\nlakehouse: stack {dep.stack.stack_id} kept. Reach it with: export {env}\n"
        f"lakehouse: remove it with: make destroy STACK_ID={dep.stack.stack_id}"
    )


# -- evidence --------------------------------------------------------------------------------------


@pytest.fixture
def evidence(request: pytest.FixtureRequest, run_options: RunOptions) -> CheckEvidence:
    """This check's evidence entry; steps fill it, the test outcome closes it."""
    entry = request.node.stash.get(_evidence_key, None)
    if entry is None:
        raise pytest.UsageError(f"{request.node.nodeid}: the evidence fixture needs a scenario tagged with a check id")
    return entry


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("check")
    return str(marker.args[0]) if marker else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    check_id = _check_id(item)
    if check_id:
        options = item.config.stash[_options_key]
        item.stash[_evidence_key] = CheckEvidence(id=check_id, title=item.name, target=options.target)
        item.stash[_started_key] = time.monotonic()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    check_id = _check_id(item)
    if not check_id:
        return report
    entry = item.stash.get(_evidence_key, None)
    if entry is None:  # skipped before setup (e.g. @pending)
        entry = CheckEvidence(id=check_id, title=item.name, target=item.config.stash[_options_key].target)
    decisive = report.when == "call" or (report.when == "setup" and not report.passed)
    if not decisive:
        return report
    entry.duration_s = round(time.monotonic() - item.stash.get(_started_key, time.monotonic()), 3)
    if report.skipped:
        entry.status = "skipped"
        entry.reason = _skip_reason(report)
    elif report.passed:
        entry.status, entry.reason = "passed", None
    elif call.excinfo is not None and call.excinfo.errisinstance(AssertionError) and report.when == "call":
        entry.status = "failed"
        entry.reason = entry.reason or _first_line(call.excinfo.value)
    else:
        entry.status = "error"
        entry.reason = _first_line(call.excinfo.value) if call.excinfo else "unknown error"
    report.user_properties.append((EVIDENCE_PROPERTY, json.dumps(entry.to_dict(), default=str)))
    return report


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].removeprefix("AssertionError: ")


class EvidenceCollector:
    """Gathers check entries from test reports and writes evidence.json once, at the end.

    Lives in the process that sees every report: the only process, or the xdist controller.
    """

    def __init__(self, config: pytest.Config, options: RunOptions):
        self.config = config
        self.options = options
        self.entries: dict[str, dict[str, Any]] = {}
        self.started_at = utc_now()
        self.started_epoch = time.time()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == EVIDENCE_PROPERTY:
                data = json.loads(value)
                self.entries[data["id"]] = data

    @pytest.hookimpl(trylast=True)  # after session teardown, so the destroy outcome is known
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.entries and not _runs_features(self.config):
            return  # the harness's own tests: no evidence to write
        options = self.options
        criteria = catalogue(options.root / "features")
        entries = [self._entry_for(c) for c in criteria]
        teardowns = self._teardowns()
        # Under xdist every worker has its own stack; the controller deployed none.
        stack_ids = sorted({t["stack_id"] for t in teardowns}) or [options.stack_id]
        run = {
            "target": options.target,
            "stack_id": stack_ids[0] if len(stack_ids) == 1 else None,
            "stack_ids": stack_ids,
            "region": options.region,
            "commit": git_commit(options.root),
            "started_at": self.started_at,
            "finished_at": utc_now(),
            "mode": "deployed" if options.deployed else ("keep" if options.keep else "deploy-verify-destroy"),
            "pytest_exit_status": int(exitstatus),
            "teardown": teardowns,
        }
        path = write_evidence(options.reports / "evidence.json", run, entries)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            summary = ", ".join(f"{e.id} {e.status}" for e in entries)
            reporter.write_line(f"lakehouse evidence: {path} ({summary})")
        self._redact_other_reports()
        try:
            html = render_report(path, criteria=criteria)
        except Exception as err:  # the verdict is in evidence.json already; a broken page must still fail the run
            session.exitstatus = session.exitstatus or pytest.ExitCode.INTERNAL_ERROR
            message = f"lakehouse report: evidence.html not written: {type(err).__name__}: {err}"
        else:
            message = f"lakehouse report: {html.path} ({html.size_bytes // 1024} KiB, {html.seconds:.2f} s)"
        if reporter is not None:
            reporter.write_line(message)

    def _redact_other_reports(self) -> None:
        """junit.xml and cucumber.json (written by pytest and pytest-bdd just before us) carry failure text too."""
        for option in ("xmlpath", "cucumber_json_path"):
            value = getattr(self.config.option, option, None)
            if value and Path(value).is_file():
                redact_file(Path(value))

    def _teardowns(self) -> list[dict[str, Any]]:
        """What happened to each stack this run deployed (one per xdist worker)."""
        found = []
        for path in sorted(self.options.reports.glob("teardown-*.json")):
            if path.stat().st_mtime >= self.started_epoch:
                found.append(json.loads(path.read_text(encoding="utf-8")))
        return found

    def _entry_for(self, crit: Criterion) -> CheckEvidence:
        if crit.id in self.entries:
            entry = CheckEvidence.from_dict(self.entries[crit.id])
            entry.title = crit.title  # the plan's words, as the feature file states them
            return entry
        reason = _not_implemented(crit.pending) if crit.pending else "not run in this session (deselected)"
        return CheckEvidence(id=crit.id, title=crit.title, target=self.options.target, status="skipped", reason=reason)
