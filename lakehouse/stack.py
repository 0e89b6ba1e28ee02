"""One stack: a working copy of ``infra/`` under a stack id, its state, and its life.

Each stack gets ``.lakehouse/stacks/<stack_id>/``: a copy of the Terraform root
(with the run-time provider override and variables), the Terraform state, logs,
the deploy stopwatch, and ``stack.json``, the record that ``make destroy`` and
``pytest --deployed`` read. Copies keep stacks apart, so two runs (or xdist
workers) never share a state file or an override.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakehouse import procgroup, progress, workcopy
from lakehouse.catalog.model import CATALOG_FILE
from lakehouse.catalog.service import CatalogHandle, deployed_copy, start_catalog_service, stop_catalog_service
from lakehouse.config import RunOptions
from lakehouse.emulator.process import EmulatorHandle, pid_alive, start_emulator, stop_emulator
from lakehouse.lifetime import Lifetime, default_ttl
from lakehouse.lineage.service.process import LineageHandle, start_lineage_service, stop_lineage_service
from lakehouse.ml.service import MlflowHandle, start_mlflow_service, stop_mlflow_service
from lakehouse.stacklock import StackBusy, StackLock, busy
from lakehouse.startclock import ClockReading, quickstart_lead, read_clocks, since_boot
from lakehouse.target import Target, aws_target, local_target
from lakehouse.terraform import ApplyResult, PlanResult, Terraform, cli_config_for_mirror, provider_aliases

OVERRIDE_FILE = "lakehouse_local_override.tf"
TFVARS_FILE = "lakehouse.auto.tfvars.json"
RECORD_FILE = "stack.json"
#: The ``owner`` tag of every stack the harness makes starts with this (``make nuke`` goes by it).
OWNER_PREFIX = "lakehouse-harness"
STOPWATCH_FILE = "stopwatch.json"


class StackError(RuntimeError):
    """A stack cannot be found, deployed or destroyed; the message says what to do."""


@dataclass
class StackRecord:
    """What is known about a deployed stack, persisted next to its state."""

    stack_id: str
    target: str
    region: str
    status: str  # "deploying" | "deployed" | "deploy_failed" | "destroy_failed"
    created_at: str
    endpoint_url: str | None = None
    emulator_pid: int | None = None
    #: The local lineage service (Marquez API + web) started next to the emulator.
    lineage_url: str | None = None
    lineage_pid: int | None = None
    #: The stack's MLflow tracking server (runs, model registry), started with the stack.
    mlflow_url: str | None = None
    mlflow_pid: int | None = None
    #: The local catalog service (Backstage's catalog API over catalog-info.yaml), started with the stack.
    catalog_url: str | None = None
    catalog_pid: int | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    #: The stack's lifetime (``lakehouse reap`` judges by it); fixed when the stack is first recorded.
    ttl: str | None = None
    expires_at: str | None = None
    #: This deploy's own id, written into its ``stopwatch.json`` too: binds the stopwatch to the deploy it timed.
    deploy_id: str | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> StackRecord:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Stopwatch:
    """Exit check 1's artifact: the whole deploy path, phase by phase, plus Terraform's per-resource times."""

    phases: dict[str, float] = field(default_factory=dict)
    apply: ApplyResult | None = None
    #: One clock over the whole of ``Lifecycle.up`` (lock wait, record, outputs: what no phase names; a suspend too:
    #: ``startclock.since_boot``),
    #: plus the time before the call that the caller vouched for (``clock_started``). None: not recorded.
    wall_s: float | None = None
    #: Where the wall clock started (the ``Lifecycle.up`` call, or the caller's earlier start and why).
    clock_started: str | None = None
    #: Why the caller's earlier start could not be timed (``startclock.quickstart_lead``): ``wall_s`` is then only
    #: from the ``Lifecycle.up`` call, a lower bound. None: timed, or there was no earlier start.
    clock_error: str | None = None
    #: Where ``terraform init`` got each provider: from the shared plugin cache, a quick start did not download it.
    providers: dict[str, str] = field(default_factory=dict)
    #: Why a saved stopwatch is not this stack's deploy (``read_stopwatch``); never written to the file.
    not_this_deploy: str | None = None

    @property
    def total_s(self) -> float:
        return sum(self.phases.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stopwatch:
        """Read back what ``to_dict`` wrote (``stopwatch.json``)."""
        apply = ApplyResult.from_dict(data["apply"]) if data.get("apply") else None
        wall = data.get("wall_s")
        return cls(
            phases=dict(data.get("phases_s", {})),
            apply=apply,
            wall_s=float(wall) if isinstance(wall, int | float) else None,
            clock_started=data.get("clock_started"),
            clock_error=data.get("clock_error"),
            providers=dict(data.get("providers") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_s": round(self.total_s, 3),
            "phases_s": {k: round(v, 3) for k, v in self.phases.items()},
            "wall_s": None if self.wall_s is None else round(self.wall_s, 3),
            "clock_started": self.clock_started,
            "clock_error": self.clock_error,
            "providers": dict(self.providers),
            "apply": self.apply.to_dict() if self.apply else None,
            **({"not_this_deploy": self.not_this_deploy} if self.not_this_deploy else {}),
        }


def read_stopwatch(path: Path, record: StackRecord) -> Stopwatch:
    """The deploy stopwatch saved next to a stack, bound to that stack's deploy.

    ``stopwatch.json`` is a plain file: one copied from another stack (or target), or from another
    deploy (its ``deploy_id``, a random id the record holds too: no clock, which can step back, is
    compared), would time a deploy that is not this one. Such a file is read but marked
    (``not_this_deploy``), so exit check 1 and KPI-quickstart fail naming it.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise StackError(f"{path}: unreadable deploy stopwatch ({err}); redeploy the stack") from None
    if not isinstance(data, dict):
        raise StackError(f"{path}: the deploy stopwatch is not a JSON object; redeploy the stack")
    stopwatch = Stopwatch.from_dict(data)
    wrong = [
        f"{key} {data.get(key)!r} (the stack record {record.stack_id} says {want!r})"
        for key, want in (("stack_id", record.stack_id), ("target", record.target))
        if data.get(key) != want
    ]
    if data.get("deploy_id") != record.deploy_id:
        wrong.append(
            f"deploy_id {data.get('deploy_id')!r} is not the deploy the stack record names ({record.deploy_id!r}): "
            "another deploy's"
        )
    if wrong:
        stopwatch.not_this_deploy = f"{path}: " + "; ".join(wrong)
    return stopwatch


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _now() -> str:
    return _utcnow().isoformat(timespec="seconds")


def recorded_lifetime(path: Path) -> Lifetime | None:
    """The lifetime a stack's record fixed, if there is a readable record that has one."""
    try:
        record = StackRecord.load(path)
    except (OSError, json.JSONDecodeError, TypeError):
        return None
    if record.ttl and record.expires_at:
        return Lifetime(record.ttl, record.expires_at)
    return None


class Stack:
    """A Terraform deployment of ``infra/`` on one target under one stack id."""

    def __init__(self, options: RunOptions, target: Target, lifetime: Lifetime | None = None):
        self.options = options
        self.target = target
        self.stack_id = options.stack_id
        self.dir = stack_dir(options, options.stack_id)
        self.root = self.dir / "infra"
        #: Given by ``Lifecycle.up``; else the recorded one; else a new one with the default ttl.
        self.lifetime = lifetime or recorded_lifetime(self.dir / RECORD_FILE) or Lifetime.starting(_utcnow())
        env: dict[str, str] = dict(target.env())
        # Every stack has a fresh working copy: share one provider cache so the ~700 MB AWS
        # provider is downloaded once per machine, not once per run (a user's own setting wins).
        env.setdefault("TF_PLUGIN_CACHE_DIR", os.environ.get("TF_PLUGIN_CACHE_DIR") or str(self.plugin_cache))
        self.cli_config = self.dir / "terraform.rc"
        if options.tf_plugin_mirror is not None or self.cli_config.exists():
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        self.tf = Terraform(self.root, env=env, log_dir=self.dir / "logs")

    # -- files -----------------------------------------------------------------------------------

    @property
    def plugin_cache(self) -> Path:
        return self.options.home / "plugin-cache"

    @property
    def record_path(self) -> Path:
        return self.dir / RECORD_FILE

    def log_path(self, command: str) -> Path:
        """The log of the last ``terraform <command>`` run for this stack."""
        return self.tf.log_path(command)

    def prepare(self) -> dict[str, str]:
        """Copy the root, write the override, variables and CLI config, then ``terraform init``.

        Returns where init got each provider (``Terraform.init``): a quick start's time says so."""
        source = self.options.root / "infra"
        self.dir.mkdir(parents=True, exist_ok=True)
        workcopy.refresh(source, self.root)  # the configuration exactly infra/'s; state and providers kept
        override = self.target.provider_override(provider_aliases(self.root))
        if override:
            (self.root / OVERRIDE_FILE).write_text(override, encoding="utf-8")
        (self.root / TFVARS_FILE).write_text(json.dumps(self.variables(), indent=2) + "\n", encoding="utf-8")
        if self.options.tf_plugin_mirror is not None:
            self.cli_config.write_text(cli_config_for_mirror(self.options.tf_plugin_mirror.resolve()), encoding="utf-8")
        self.plugin_cache.mkdir(parents=True, exist_ok=True)
        # Terraform's plugin cache is not safe for concurrent installs (hashicorp/terraform#31964):
        # runs side by side (xdist workers, two shells) take turns for init only.
        with open(self.options.home / "plugin-cache.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self.tf.init()

    def variables(self) -> dict[str, Any]:
        """The stack's Terraform variables, written once per working copy: every apply, plan and
        destroy of the stack reads the same ``ttl`` and ``expires_at``, so its plans stay empty."""
        return {
            "stack_id": self.stack_id,
            "region": self.target.region,
            "owner": f"{OWNER_PREFIX}/{self.target.name}",
            **self.lifetime.variables(),
            # Against an emulator (local, or aws with a configured CloudWatch endpoint) the pipeline alarms
            # (infra/alarms.tf) evaluate every 10 s, so a chaos run ends in minutes; AWS itself keeps 300 s.
            **({"alarm_period_s": 10} if self.target.configured_endpoint("cloudwatch") else {}),
        }

    # -- life ------------------------------------------------------------------------------------

    def apply(self) -> ApplyResult:
        return self.tf.apply(on_line=progress.tracker(f"apply ({self.stack_id})"))

    def plan(self) -> PlanResult:
        """Exit check 5's refreshed plan, saved: the cost KPIs show it rather than plan the same stack again.

        One file per process: xdist workers verifying the same deployed stack never show each other's half-written plan.
        """
        return self.tf.plan(out=self.dir / f"last-{os.getpid()}.tfplan")

    def destroy(self) -> ApplyResult:
        return self.tf.destroy(on_line=progress.tracker(f"destroy ({self.stack_id})"))

    def state(self) -> dict[str, Any]:
        return self.tf.show_state()

    def outputs(self) -> dict[str, Any]:
        return self.tf.outputs()


def stack_dir(options: RunOptions, stack_id: str) -> Path:
    return options.home / "stacks" / stack_id


def list_records(options: RunOptions) -> list[StackRecord]:
    """Stacks that have a record on this machine, newest first."""
    records = []
    for path in (options.home / "stacks").glob(f"*/{RECORD_FILE}"):
        try:
            records.append(StackRecord.load(path))
        except (json.JSONDecodeError, TypeError) as err:
            raise StackError(f"{path}: unreadable stack record ({err}); remove the folder by hand") from None
    return sorted(records, key=lambda r: r.created_at, reverse=True)


@dataclass
class Deployment:
    """The outcome of bringing a stack up: the stack (when usable), its stopwatch, and any error."""

    stack: Stack
    stopwatch: Stopwatch
    record: StackRecord
    emulator: EmulatorHandle | None = None
    error: str | None = None
    lineage: LineageHandle | None = None
    mlflow: MlflowHandle | None = None
    catalog: CatalogHandle | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Lifecycle:
    """Bring a stack up and take it down again, with destroy guaranteed on every failure path.

    Used by the pytest session fixture and by ``lakehouse up`` / ``lakehouse destroy``. ``ttl``
    (default ``$LAKEHOUSE_TTL``, else 12h) sets the expiry of a stack this lifecycle first records.
    """

    def __init__(self, options: RunOptions, ttl: str | None = None):
        self.options = options
        self.ttl = ttl or default_ttl()
        self.deployment: Deployment | None = None
        self.lock = StackLock(stack_dir(options, options.stack_id))

    # -- up --------------------------------------------------------------------------------------

    def up(self, detach_emulator: bool = False, started: ClockReading | None = None) -> Deployment:
        """Start the emulator (local), deploy, time everything. Never leaves a half-deployed stack.

        A failed apply is returned as ``Deployment.error`` (exit check 1 reports it) after the
        partial stack has been destroyed again; other failures are raised after the same clean-up.
        ``started``: when the quick start began before this call (``make up``), on the wall and boot clocks.
        """
        clock = since_boot()  # KPI-quickstart's one clock: everything below counts, named or not, a suspend too
        lead_s, clock_started, clock_error = quickstart_lead(started, read_clocks())
        opts = self.options
        if opts.target == "local":
            refuse_running_local_stack(opts)
        if not detach_emulator:  # a session: it owns the stack until its teardown (`lakehouse up` exits at once)
            self.lock.acquire()
        stopwatch = Stopwatch(clock_started=clock_started, clock_error=clock_error)
        emulator: EmulatorHandle | None = None
        start = time.monotonic()
        if opts.target == "local":
            log = stack_dir(opts, opts.stack_id) / "emulator.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            emulator = start_emulator(log_path=log, detach=detach_emulator or opts.keep)
            target = local_target(emulator.endpoint, opts.region)
        else:
            target = aws_target(opts.region, opts.profile)
        stopwatch.phases["emulator_start" if emulator else "target_check"] = time.monotonic() - start
        lineage: LineageHandle | None = None
        mlflow: MlflowHandle | None = None
        catalog: CatalogHandle | None = None
        if emulator is not None:
            phase = time.monotonic()
            home = stack_dir(opts, opts.stack_id)
            try:
                lineage = start_lineage_service(
                    home / "lineage.sqlite", log_path=home / "lineage.log", detach=detach_emulator or opts.keep
                )
            except BaseException:
                stop_emulator(emulator)
                raise
            stopwatch.phases["lineage_start"] = time.monotonic() - phase
            phase = time.monotonic()
            try:
                mlflow = start_mlflow_service(home, log_path=home / "mlflow.log", detach=detach_emulator or opts.keep)
            except BaseException:
                stop_lineage_service(lineage)
                stop_emulator(emulator)
                raise
            stopwatch.phases["mlflow_start"] = time.monotonic() - phase
            phase = time.monotonic()
            try:
                catalog = start_catalog_service(  # what the repository says now, as an image would (not the live file)
                    deployed_copy(opts.root / CATALOG_FILE, home),
                    log_path=home / "catalog.log",
                    detach=detach_emulator or opts.keep,
                )
            except BaseException:
                stop_mlflow_service(mlflow)
                stop_lineage_service(lineage)
                stop_emulator(emulator)
                raise
            stopwatch.phases["catalog_start"] = time.monotonic() - phase
        home = stack_dir(opts, opts.stack_id)
        # Once per stack: a stack id deployed again keeps the expiry it was first recorded with.
        lifetime = recorded_lifetime(home / RECORD_FILE) or Lifetime.starting(_utcnow(), self.ttl)
        stack = Stack(opts, target, lifetime)
        record = StackRecord(
            stack_id=opts.stack_id,
            target=opts.target,
            region=target.region,
            status="deploying",
            created_at=_now(),
            ttl=lifetime.ttl,
            expires_at=lifetime.expires_at,
            deploy_id=uuid.uuid4().hex,
            endpoint_url=target.endpoint_url,
            emulator_pid=emulator.pid if emulator else None,
            lineage_url=lineage.url if lineage else None,
            lineage_pid=lineage.pid if lineage else None,
            mlflow_url=mlflow.url if mlflow else None,
            mlflow_pid=mlflow.pid if mlflow else None,
            catalog_url=catalog.url if catalog else None,
            catalog_pid=catalog.pid if catalog else None,
        )
        deployment = Deployment(stack, stopwatch, record, emulator, lineage=lineage, mlflow=mlflow, catalog=catalog)
        self.deployment = deployment
        try:
            phase = time.monotonic()
            stopwatch.providers = stack.prepare() or {}
            record.save(stack.record_path)
            stopwatch.phases["terraform_init"] = time.monotonic() - phase
            result = stack.apply()
            stopwatch.apply = result
            stopwatch.phases["terraform_apply"] = result.wall_s
            if not result.ok:
                deployment.error = "terraform apply failed: " + "; ".join(result.diagnostics)
                record.status = "deploy_failed"
            else:
                record.outputs = stack.outputs()
                record.status = "deployed"
            record.save(stack.record_path)
            stopwatch.wall_s = lead_s + since_boot() - clock
            self._write_stopwatch(deployment)
        except BaseException:
            # Set-up failed half way (or Ctrl-C): take down whatever exists, then re-raise.
            self.down(force=True)
            raise
        if deployment.error:
            try:
                self.down(force=True)
            except StackError as err:
                deployment.error += f"; {err}"
        return deployment

    def _write_stopwatch(self, deployment: Deployment) -> None:
        data = deployment.stopwatch.to_dict()
        data.update(
            stack_id=deployment.stack.stack_id,
            target=self.options.target,
            deploy_id=deployment.record.deploy_id,
            finished_at=_now(),
        )
        text = json.dumps(data, indent=2) + "\n"
        (deployment.stack.dir / STOPWATCH_FILE).write_text(text, encoding="utf-8")

    # -- attach to an existing stack -------------------------------------------------------------

    def attach(self) -> Deployment:
        """Use a stack deployed earlier (``make up``): nothing is deployed or destroyed."""
        opts = self.options
        path = stack_dir(opts, opts.stack_id) / RECORD_FILE
        if not path.exists():
            known = ", ".join(r.stack_id for r in list_records(opts)) or "none"
            raise StackError(
                f"no deployed stack {opts.stack_id!r} under {opts.home}/stacks (known: {known}); "
                "run `make up` first or pass --stack-id"
            )
        record = StackRecord.load(path)
        if record.status != "deployed":
            raise StackError(f"stack {record.stack_id} is {record.status}, not deployed; see {path}")
        if record.target == "local" and not (record.emulator_pid and pid_alive(record.emulator_pid)):
            raise StackError(
                f"stack {record.stack_id}: its emulator (pid {record.emulator_pid}) is not running; "
                "run `make destroy` then `make up`"
            )
        # `make destroy` leaves it alone while this session verifies it; other verifiers may share it.
        self.lock = StackLock(stack_dir(opts, opts.stack_id), shared=True)
        try:
            self.lock.acquire()
        except StackBusy as err:  # a deploying session holds it alone: say so in one line, not a traceback
            raise StackError(
                f"stack {record.stack_id}: {err}, which deployed it and holds it alone until it ends; "
                "run this again when that session has ended"
            ) from None
        target, emulator = _reach(record, opts)
        stack = Stack(opts, target)
        stopwatch = Stopwatch()
        if (saved := stack.dir / STOPWATCH_FILE).exists():  # the deploy `make up` timed
            stopwatch = read_stopwatch(saved, record)
        self.deployment = Deployment(
            stack,
            stopwatch,
            record,
            emulator,
            lineage=_lineage_of(record),
            mlflow=_mlflow_of(record),
            catalog=_catalog_of(record),
        )
        return self.deployment

    # -- down ------------------------------------------------------------------------------------

    def down(self, force: bool = False) -> ApplyResult | None:
        """Destroy the stack and stop the emulator we started; repeatable.

        ``keep`` and ``deployed`` runs leave everything as it is unless ``force``.
        If destroy fails the state is kept and the error says how to finish.
        """
        dep = self.deployment
        if dep is None or (not force and (self.options.keep or self.options.deployed)):
            self.lock.release()
            return None
        result: ApplyResult | None = None
        try:
            if dep.stack.root.joinpath(".terraform").exists():
                result = dep.stack.destroy()
                if not result.ok:
                    dep.record.status = "destroy_failed"
                    dep.record.save(dep.stack.record_path)
                    raise StackError(
                        f"destroy of stack {dep.stack.stack_id} failed: {'; '.join(result.diagnostics)}. "
                        f"State kept in {dep.stack.root}; finish with "
                        f"`make destroy STACK_ID={dep.stack.stack_id}`"
                    )
        finally:
            if dep.emulator is not None and (result is None or result.ok or force):
                stop_emulator(dep.emulator)
            if dep.lineage is not None and (result is None or result.ok or force):
                stop_lineage_service(dep.lineage)
            if dep.mlflow is not None and (result is None or result.ok or force):
                stop_mlflow_service(dep.mlflow)
            if dep.catalog is not None and (result is None or result.ok or force):
                stop_catalog_service(dep.catalog)
        self.lock.release()
        if result is not None and result.ok:
            shutil.rmtree(dep.stack.dir, ignore_errors=True)
        return result


def _reach(record: StackRecord, options: RunOptions) -> tuple[Target, EmulatorHandle | None]:
    """The target of a recorded stack and, locally, the emulator it lives in."""
    if record.target != "local":
        return aws_target(record.region, options.profile), None
    if not (record.endpoint_url and record.emulator_pid):
        raise StackError(f"stack {record.stack_id}: its record has no emulator endpoint; remove {options.home}")
    return local_target(record.endpoint_url, record.region), EmulatorHandle(record.endpoint_url, record.emulator_pid)


def _catalog_of(record: StackRecord) -> CatalogHandle | None:
    """The recorded catalog service of a local stack, if one was started."""
    if record.catalog_url and record.catalog_pid:
        return CatalogHandle(record.catalog_url, record.catalog_pid)
    return None


def _mlflow_of(record: StackRecord) -> MlflowHandle | None:
    """The recorded MLflow tracking server of a stack, if one was started."""
    if record.mlflow_url and record.mlflow_pid:
        return MlflowHandle(record.mlflow_url, record.mlflow_pid)
    return None


def _lineage_of(record: StackRecord) -> LineageHandle | None:
    """The recorded lineage service of a local stack, if one was started."""
    if record.lineage_url and record.lineage_pid:
        return LineageHandle(record.lineage_url, record.lineage_pid)
    return None


def refuse_running_local_stack(options: RunOptions) -> None:
    """A local stack id whose emulator still runs is up: deploying it again would start a second
    emulator, overwrite the record and leave the first one (and its services) running unrecorded."""
    record_path = stack_dir(options, options.stack_id) / RECORD_FILE
    if not record_path.exists():
        return
    record = StackRecord.load(record_path)
    if record.target != "local" or not (record.emulator_pid and pid_alive(record.emulator_pid)):
        return  # its emulator is gone: nothing of it runs, a new deploy starts afresh
    raise StackError(
        f"stack {options.stack_id} is already up ({record.status}, emulator pid {record.emulator_pid} at "
        f"{record.endpoint_url}): verify it with `pytest features/ --deployed --stack-id {options.stack_id}`, "
        f"or remove it first with `make destroy STACK_ID={options.stack_id}`"
    )


def destroy_recorded(options: RunOptions) -> ApplyResult | None:
    """``make destroy``: destroy a recorded stack, or forget it when its emulator is gone."""
    record_path = stack_dir(options, options.stack_id) / RECORD_FILE
    if not record_path.exists():
        raise StackError(f"no stack {options.stack_id!r} recorded under {options.home}/stacks")
    record = StackRecord.load(record_path)
    home = stack_dir(options, options.stack_id)
    if (who := busy(home)) is not None:
        raise StackError(
            f"stack {options.stack_id} is in use by a running session ({who}): it destroys the stack itself "
            "when it ends; stop that session first (Ctrl-C destroys as well)"
        )
    # A killed session's Terraform (and its provider plugins) may still run: end that group first.
    procgroup.end(home / "logs")
    if record.target == "local" and not (record.emulator_pid and pid_alive(record.emulator_pid)):
        # The emulator keeps everything in memory: with it gone, nothing is deployed any more.
        if (lineage := _lineage_of(record)) is not None:
            stop_lineage_service(lineage)
        if (mlflow := _mlflow_of(record)) is not None:
            stop_mlflow_service(mlflow)
        if (catalog := _catalog_of(record)) is not None:
            stop_catalog_service(catalog)
        shutil.rmtree(stack_dir(options, options.stack_id), ignore_errors=True)
        return None
    life = Lifecycle(options)
    life.lock.acquire()
    target, emulator = _reach(record, options)
    stack = Stack(options, target)
    life.deployment = Deployment(
        stack,
        Stopwatch(),
        record,
        emulator,
        lineage=_lineage_of(record),
        mlflow=_mlflow_of(record),
        catalog=_catalog_of(record),
    )
    return life.down(force=True)
