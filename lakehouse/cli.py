"""``lakehouse up | destroy | reap | status | pipeline | demo | docs | report``: the stack's life from a shell."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse import iam_actions, procgroup, progress, reap
from lakehouse.browser import BrowserNotFound, ScreenshotError, screenshot
from lakehouse.chaos.commands import add_parsers as add_chaos_parsers
from lakehouse.config import ConfigError, RunOptions, env_options
from lakehouse.criteria import CriteriaError, catalogue, markdown_table
from lakehouse.emulator.process import EmulatorError, pid_alive
from lakehouse.lifetime import LifetimeError, parse_expiry, parse_ttl
from lakehouse.pipeline.commands import add_parsers as add_pipeline_parsers
from lakehouse.pipeline.sqlfiles import SqlFileError
from lakehouse.report import ReportError, render_report
from lakehouse.stack import (
    Deployment,
    Lifecycle,
    Stack,
    StackError,
    StackRecord,
    destroy_recorded,
    list_records,
    stack_dir,
)
from lakehouse.stacklock import StackBusy, busy
from lakehouse.startclock import quickstart_started
from lakehouse.target import Target, TargetError, aws_target
from lakehouse.terraform import TerraformError

#: Exit codes, the same for every command (argparse's own usage errors are 2 as well).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
EXIT_CODES = (
    "exit codes: 0 done / verified; 1 what was checked failed (validate, docs --check, pipeline); "
    "2 usage error (bad option or value, nothing done); 3 harness or runtime error (Terraform, the emulator, "
    "credentials, a stack in use by a running session)"
)
BEGIN, END = "<!-- BEGIN EXIT_CRITERIA -->", "<!-- END EXIT_CRITERIA -->"


def _version() -> str:
    try:
        return metadata.version("lakehouse-code")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _options(args: argparse.Namespace, **extra: object) -> RunOptions:
    values = env_options()
    for name in ("target", "stack_id", "region"):
        if getattr(args, name, None):
            values[name] = getattr(args, name)
    values.update(extra)
    return RunOptions(**values)  # type: ignore[arg-type]


def _print_access(dep: Deployment) -> None:
    env = dep.stack.target.env()
    watch = dep.stopwatch
    took = f"{watch.wall_s:.1f} s by the wall clock" if watch.wall_s is not None else f"{watch.total_s:.1f} s"
    print(
        f"stack {dep.stack.stack_id} is up on the {dep.stack.target.name} target "
        f"({took}: " + ", ".join(f"{k} {v:.1f} s" for k, v in watch.phases.items()) + ")"
    )
    if dep.stack.target.endpoint_url:
        print(f"endpoint: {dep.stack.target.endpoint_url}")
    print("to reach it with the AWS CLI, boto3 or pyathena, run:")
    for key, value in env.items():
        print(f"  export {key}={shlex.quote(value)}")
    outputs = dep.record.outputs
    if wg := outputs.get("athena_workgroup_name"):
        print(f"  export AWS_ATHENA_WORK_GROUP={shlex.quote(str(wg))}")
    if dep.stack.target.endpoint_url:
        print(f"try: aws --endpoint-url {dep.stack.target.endpoint_url} s3 ls")
    if dep.record.lineage_url:
        print(f"lineage UI (Marquez API at {dep.record.lineage_url}/api/v1): {dep.record.lineage_url}/")
        print(f"  after `.venv/bin/lakehouse pipeline --stack-id {dep.stack.stack_id}` it shows the pipeline's jobs")
    if dep.record.mlflow_url:
        print(f"MLflow tracking server and model registry: {dep.record.mlflow_url} (REST API under /api/2.0/mlflow)")
    if dep.record.catalog_url:
        print(f"Backstage catalog API (catalog-info.yaml): {dep.record.catalog_url}/api/catalog/entities")
    print(f"expires at {dep.record.expires_at} (ttl {dep.record.ttl}): `lakehouse reap --yes` destroys it after that")
    print(f"verify it: .venv/bin/pytest features/ --deployed --stack-id {dep.stack.stack_id}")
    print(f"remove it: make destroy STACK_ID={dep.stack.stack_id}")


def cmd_up(args: argparse.Namespace) -> int:
    options = _options(args, keep=True)
    started = quickstart_started(dict(os.environ))
    dep = Lifecycle(options, ttl=args.ttl).up(detach_emulator=True, started=started)
    if not dep.ok:
        print(f"error: {dep.error}", file=sys.stderr)
        return 1
    _print_access(dep)
    return 0


def cmd_destroy(args: argparse.Namespace) -> int:
    """One stack by id; every recorded stack only with ``--all`` or after a yes at the prompt."""
    probe = _options(args)
    records = list_records(probe)
    if args.stack_id:
        if args.stack_id not in {r.stack_id for r in records}:  # a bad value: nothing to do
            known = ", ".join(r.stack_id for r in records) or "none"
            print(
                f"error: no stack {args.stack_id!r} recorded under .lakehouse/stacks (known: {known})", file=sys.stderr
            )
            return EXIT_USAGE
        ids = [args.stack_id]
    elif not records:
        print("nothing to destroy: no stack recorded under .lakehouse/stacks")
        return EXIT_OK
    else:
        ids = [r.stack_id for r in records]
        if not args.all and not _confirm(records):
            return EXIT_USAGE
    failed = 0
    for stack_id in ids:
        try:
            result = destroy_recorded(_options(args, stack_id=stack_id))
        except StackError as err:  # busy or failed: say so, go on with the others
            print(f"stack {stack_id}: not destroyed: {err}", file=sys.stderr)
            failed += 1
            continue
        how = f"destroyed in {result.wall_s:.1f} s" if result else "forgotten (its emulator was no longer running)"
        print(f"stack {stack_id}: {how}; emulator stopped")
    return EXIT_ERROR if failed else EXIT_OK


def _confirm(records: list[StackRecord]) -> bool:
    """Ask before destroying several stacks (AWS ones cost money to rebuild); no terminal, no yes."""
    listed = ", ".join(f"{r.stack_id} ({r.target})" for r in records)
    if not sys.stdin.isatty():
        print(f"destroy: no --stack-id: pass one, or --all to destroy every recorded stack: {listed}", file=sys.stderr)
        return False
    answer = input(f"destroy every recorded stack: {listed}? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def cmd_status(args: argparse.Namespace) -> int:
    """Every recorded stack, and what still runs for it (emulator, lineage and MLflow servers, a session)."""
    options = _options(args)
    records = list_records(options)
    if not records:
        print("no stacks recorded")
    for r in records:
        home = stack_dir(options, r.stack_id)
        running = []
        if r.target == "local":
            running.append(f"emulator {'pid ' + str(r.emulator_pid) if _alive(r.emulator_pid) else 'gone'}")
            if r.lineage_pid:
                running.append(f"lineage service {'pid ' + str(r.lineage_pid) if _alive(r.lineage_pid) else 'gone'}")
            if r.mlflow_pid:
                running.append(f"MLflow server {'pid ' + str(r.mlflow_pid) if _alive(r.mlflow_pid) else 'gone'}")
        if who := busy(home):
            running.append(f"in use by a session ({who})")
        expires = f"expires {r.expires_at}" if r.expires_at else "no expiry recorded"
        print(f"{r.stack_id}  {r.target:5}  {r.status:15} {r.created_at}  {expires}  {r.endpoint_url or r.region}")
        if running:
            print(f"    {'; '.join(running)}")
        for m in procgroup.leftovers(home / "logs"):
            print(f"    terraform process still running: pid {m.pid} {m.command[:100]}")
    return EXIT_OK


def cmd_reap(args: argparse.Namespace) -> int:
    """Expired stacks (every stack the harness made with ``--all``): listed, destroyed with ``--yes``."""
    options = _options(args)
    now = parse_expiry(args.at) if args.at else datetime.now(UTC).replace(microsecond=0)
    orphan_target = aws_target(options.region, options.profile) if options.target == "aws" else None
    try:
        found = reap.survey(options, now, everything=args.all, orphan_target=orphan_target)
    except (ClientError, BotoCoreError) as err:  # no permission for the tagging API, endpoint down, ...
        print(f"error: reap: cannot look for orphans in the account: {err}", file=sys.stderr)
        return EXIT_ERROR
    for line in reap.describe(found, dry_run=not args.yes):
        print(line)
    destroy = args.yes or (args.confirm and reap.due(found) and _confirm_reap(found))
    if args.confirm and not destroy and reap.due(found):
        return EXIT_USAGE  # asked and not answered yes (or no terminal to ask on)
    if not destroy or not reap.due(found):
        return EXIT_OK
    sweep = reap.reap(options, found, orphan_target, say=print)
    if sweep.left_standing:
        print(f"reap: {sweep.left_standing} stack(s) or resource(s) left standing (see above)", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _confirm_reap(found: reap.Survey) -> bool:
    """``make nuke`` asks on a terminal (``YES=1`` skips the question); with no terminal it refuses."""
    if not sys.stdin.isatty():
        print("reap: no terminal to ask on: pass --yes (make nuke YES=1) to destroy", file=sys.stderr)
        return False
    answer = input(f"destroy these {reap.due(found)} stack(s)? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def _ttl_arg(text: str) -> str:
    try:
        parse_ttl(text)
    except LifetimeError as err:  # argparse names the option itself
        raise argparse.ArgumentTypeError(str(err).removeprefix("--ttl: ")) from None
    return text


def _time_arg(text: str) -> str:
    try:
        parse_expiry(text)
    except LifetimeError as err:
        raise argparse.ArgumentTypeError(str(err).replace("expires_at", "--at")) from None
    return text


def _alive(pid: int | None) -> bool:
    return bool(pid) and pid_alive(int(pid or 0))


def cmd_validate(args: argparse.Namespace) -> int:
    """``terraform validate`` of infra/ in a scratch working copy (the checkout stays clean)."""
    options = _options(args, stack_id="validate")
    stack = Stack(options, Target(name="aws", region=options.region))  # no override: the root as written
    stack.prepare()
    errors = stack.tf.validate()
    for line in errors:
        print(f"infra/{line}", file=sys.stderr)
    print("infra/: valid" if not errors else f"infra/: {len(errors)} error(s)")
    return 1 if errors else 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate README's copy of the exit-criteria table from the feature files, and (for the checkout's own
    README, no ``--readme``) docs/checker-policy*.json from the AWS calls in the source."""
    root = RunOptions().root
    readme = Path(args.readme) if args.readme else root / "README.md"
    table = markdown_table(catalogue(root / "features"))
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise CriteriaError(f"{readme}: markers {BEGIN} ... {END} not found")
    new = pattern.sub(lambda _: f"{BEGIN}\n{table}{END}", text)
    if args.check:
        problems = [f"{readme}: the exit-criteria table differs from features/; run `make docs`"] if new != text else []
        problems += [] if args.readme else iam_actions.differences(root)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    readme.write_text(new, encoding="utf-8")
    print(f"{readme}: exit-criteria table updated")
    for path in [] if args.readme else iam_actions.write(root):
        print(f"{path}: written from the AWS calls in lakehouse/ and steps/")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render reports/evidence.html from an evidence.json (and, optionally, screenshot it)."""
    options = RunOptions()
    evidence = Path(args.evidence) if args.evidence else options.reports / "evidence.json"
    rendered = render_report(evidence, Path(args.out) if args.out else None, features_dir=options.root / "features")
    print(f"{rendered.path}: {rendered.size_bytes // 1024} KiB in {rendered.seconds:.2f} s")
    if args.screenshot:
        shot = screenshot(rendered.path, Path(args.screenshot))
        print(f"{shot.path}: screenshot in {shot.seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__, epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, text in (
        ("up", cmd_up, "deploy a stack and leave it running; prints how to reach it"),
        ("destroy", cmd_destroy, "destroy recorded stacks (all, or --stack-id) and stop their emulators"),
        ("status", cmd_status, "list recorded stacks"),
        ("validate", cmd_validate, "terraform validate infra/ in a scratch copy"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--target", choices=("local", "aws"))
        p.add_argument("--stack-id")
        p.add_argument("--region")
        p.set_defaults(func=func)
        if name == "destroy":
            p.add_argument("--all", action="store_true", help="destroy every recorded stack without asking")
        if name == "up":
            p.add_argument(
                "--ttl",
                type=_ttl_arg,
                default=None,
                help="how long the stack may live before `lakehouse reap` destroys it: 12h, 7d, ... "
                "(default 12h; env LAKEHOUSE_TTL)",
            )
    reaper = sub.add_parser(
        "reap",
        help="list expired stacks (dry run) and destroy them with --yes; on --target aws, orphans too",
        description="Recorded stacks past their expires_at are destroyed through their state (a stack a running "
        "session holds is skipped); on --target aws, resources tagged with an expired stack_id and no state here "
        "are found with the tagging API and deleted per type.",
        epilog=EXIT_CODES,
    )
    reaper.add_argument("--target", choices=("local", "aws"), help="aws: also reap orphans in the account")
    reaper.add_argument("--region", help="the account's region to look in for orphans (us-east-1 is always looked in)")
    reaper.add_argument("--yes", action="store_true", help="destroy what is due (default: list it only)")
    reaper.add_argument("--confirm", action="store_true", help="list, then ask on the terminal before destroying")
    reaper.add_argument(
        "--all", action="store_true", help="every stack the harness made, expired or not (what `make nuke` runs)"
    )
    reaper.add_argument("--at", type=_time_arg, metavar="TIME", help="judge expiry as of TIME (YYYY-MM-DDTHH:MM:SSZ)")
    reaper.set_defaults(func=cmd_reap)
    docs = sub.add_parser(
        "docs", help="regenerate README's exit-criteria table from features/ and docs/checker-policy*.json"
    )
    docs.add_argument("--check", action="store_true", help="fail if either is out of date instead of writing")
    docs.add_argument("--readme")
    docs.set_defaults(func=cmd_docs)
    report = sub.add_parser("report", help="render reports/evidence.html from reports/evidence.json")
    report.add_argument("--evidence", help="evidence.json to read (default reports/evidence.json)")
    report.add_argument("--out", help="HTML file to write (default evidence.html next to the evidence)")
    report.add_argument("--screenshot", metavar="PNG", help="also save a full-page PNG of it (headless Chromium)")
    report.set_defaults(func=cmd_report)
    add_pipeline_parsers(sub)
    add_chaos_parsers(sub)
    args = parser.parse_args(argv)
    progress.set_sink(progress.stderr_sink)
    try:
        return int(args.func(args))
    except (ConfigError, LifetimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (
        TargetError,
        StackError,
        StackBusy,
        TerraformError,
        EmulatorError,
        CriteriaError,
        SqlFileError,
        FileNotFoundError,
        ReportError,
        BrowserNotFound,
        ScreenshotError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
