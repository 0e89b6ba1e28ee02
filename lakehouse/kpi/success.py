"""KPI pipeline success rate >= 95 %: the pipeline run N times on the deployed stack, plus CI history.

Two sources. Local runs are always measured: ``run_once`` (the real pipeline on the real
stack) is called N times and each outcome is kept. Each run is fed a batch of its own
(``lakehouse.kpi.fresh``: the same inputs again prove nothing, a pipeline that skips what it has
seen says ok every time) and counts as a success only when the pipeline says so *and* what it
built is read back: Gold holds exactly the batch, each Gold table has an Iceberg snapshot the run
committed, and every data contract is met as exit check 2 judges it (``contracts_met``): Gold equal to
what Silver says (see ``lakehouse.reconcile``: a pipeline that adds each run onto Gold's totals reports
success every time), and each column stored with the type its contract states (a batch that turns
``order_date`` to text is a run Athena's readers cannot use, though every value reads back). The
batches are taken out again afterwards. The session's own pipeline run (the one the exit checks
read, the first on the stack) is a run on the stack too and counts with them (``session_sample``):
a pipeline that fails its first run and passes every re-run is not 100 %.
Fewer than 3 runs (``REPEATED_CHANGE_RUN``) never change a key twice, so green runs then leave
the KPI ``skipped`` (the run ``incomplete``), the evidence saying so. On GitHub (token and
repository known), the e2e workflow's completed runs on ``main`` count too; without them that
part is reported as not measured. An unreadable GitHub is ``error``, as in exit check 3, unless the runs on
the stack already fall below the threshold (a shown failure: ``failed``, GitHub's word named beside).

A repository is only a name, and ``e2e.yml``'s list holds more than this code's runs: a pull
request from a fork's ``main`` (head branch ``main``, the fork's commit), or the history of a
repository of other code entirely. A counted run must be of ``main`` of the repository itself, not
a pull request, and its commit must share history with the commit under test (exit check 3's
``HistoryBinder``); a run that shares none fails the KPI, one nobody can tell makes it ``error``.
A run that concluded ``success`` counts as one only when exit check 3 would call it green (its jobs,
attempts and workflow read: a skipped job or a ``make smoke || true`` concludes success too).
Any other conclusion is a failed run (``cancelled``, ``timed_out``: the e2e did not pass), except
``skipped``: GitHub concluded the run without running a job (every job's ``if:`` false), so it is
no run of the e2e and is left out of the rate. Every run left out is listed in the evidence (its
id, conclusion and why); a history of main whose every run was skipped fails the KPI: nothing of
the e2e ran, which must not read as "not measured".

What the KPI measures (DESIGN.md: "pipeline success rate >= 95 %"; the feature: the session's run and N runs
on the stack, plus the e2e workflow's runs): the data pipeline's runs, not a CI workflow's. The runs on the
deployed stack are real runs of it, so they may carry the KPI alone when GitHub holds no e2e run of main yet
(no token, a new repository, a weekly e2e not run yet): that part is then "not measured", said in the evidence.
But runs of others must not hide main's: e2e.yml's list is read newest first, and pull requests from forks'
``main`` pass the branch filter, so a page of them pushed main's own runs, failures included, off the one page
that was read, and the history read as "not measured" while main's e2e failed. The list is read on, page after
page (``E2E_PAGES`` at most), until ``E2E_RUNS`` runs of main are found or the list ends; a list that goes on
past them with no run of main found is ``error`` (main's runs may lie further back), never "not measured".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lakehouse.athena import connect, run
from lakehouse.checks.ci import why_success_is_not_green
from lakehouse.checks.data_loop_parts import DataLoopRun, contracts_met
from lakehouse.checks.history import SHA, HistoryBinder, commit_under_test, how_to_tell, unbindable
from lakehouse.contracts import load_contracts
from lakehouse.github import GitHubActions, GitHubApiError
from lakehouse.iceberg import catalog
from lakehouse.kpi.fresh import (
    REPEATED_CHANGE_RUN,
    Fed,
    FreshBatches,
    Query,
    ReadBack,
    ReadBackError,
    Restored,
    iceberg_snapshots,
    make_batches,
    read_gold,
    restore,
)
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import Target

E2E_WORKFLOW = "e2e.yml"
MAIN_BRANCH = "main"
E2E_RUNS = 20
#: Pages of ``E2E_RUNS`` read at most to find main's runs among pull requests' and forks'.
E2E_PAGES = 10
#: Events whose runs test a pull request's code, not ``main``'s (a fork's ``main`` passes the branch filter).
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
#: A run's conclusion when GitHub ran none of its jobs: no run of the e2e, left out of the rate (and listed).
SKIPPED = "skipped"
NO_JOB_RAN = "no job of it ran (as when every job's if: is false): not a run of the e2e"


@dataclass
class RunSample:
    source: str
    label: str
    ok: bool
    seconds: float | None = None
    error: str | None = None
    #: What reading the run's tables back said (``None`` when not read back).
    read_back: str | None = None
    #: What the run was fed (its batch, and what Gold must hold of it), when it was fed one.
    fed: dict[str, Any] | None = None
    #: What was read back after it: Gold's rows of the batches, the snapshots, the contracts' word.
    read: dict[str, Any] | None = None
    #: Why what the run built could not be read back (``ReadBackError``): the run is neither a success nor a failure.
    unread: str | None = None


def contracts_read_back(target: Target, outputs: dict[str, Any]) -> ReadBack:
    """After a run: every table it built meets its data contract, judged by exit check 2's own part
    (``contracts_met``: the values through Athena, the columns' types as stored), so the KPI's "every data
    contract is met" is exit check 2's; the stored and stated types are kept as ``column_types``.

    When exit check 2's part cannot judge (``error``: a table's column types or rows could not be read from Glue, S3
    or Athena), raises ``ReadBackError``: a failure to read is no failed run."""
    contracts = load_contracts()

    def read_back(_: PipelineResult) -> tuple[str | None, dict[str, Any]]:
        conn = connect(target, outputs["athena_workgroup_name"])
        try:
            outcome = contracts_met(DataLoopRun(target, outputs, conn, contracts=contracts))
        finally:
            conn.close()
        types = outcome.details.get("column_types")
        seen = {} if types is None else {"column_types": types}
        if outcome.status is Status.ERROR:
            raise ReadBackError(f"the data contracts could not be judged: {outcome.reason}", seen)
        wrong = None if outcome.passed else f"data contracts {outcome.status}: {outcome.reason}"
        return wrong, seen

    return read_back


class Proof(Protocol):
    """What makes each counted run prove it ran: its own input, then Gold read back (``FreshBatches``)."""

    def feed(self, run: int) -> Fed: ...

    def read_back(self, run: int, result: PipelineResult) -> tuple[str | None, dict[str, Any]]: ...


def athena_query(target: Target, outputs: dict[str, Any]) -> Query:
    """One statement through Athena on its own connection; a failed one raises naming the statement."""

    def query(sql: str) -> list[tuple[Any, ...]]:
        conn = connect(target, outputs["athena_workgroup_name"])
        try:
            record, rows = run(conn, sql, keep_rows=0)
        finally:
            conn.close()
        if not record.ok:
            raise RuntimeError(f"{record.error} (query: {sql})")
        return rows

    return query


def fresh_batches(target: Target, outputs: dict[str, Any], base_dir: Path, work_dir: Path, n: int) -> FreshBatches:
    """The proof of the deployed stack: batches written under ``work_dir``, Gold read through Athena, the snapshot
    logs through the Glue catalog, the contracts as exit check 2 judges them."""
    query = athena_query(target, outputs)
    gold_db = outputs["glue_database_names"]["gold"]
    return FreshBatches(
        base_dir,
        work_dir,
        make_batches(n),
        lambda batches: read_gold(query, outputs, batches),
        lambda: iceberg_snapshots(catalog(target), gold_db),
        contracts_read_back(target, outputs),
    )


def restore_stack(
    target: Target, outputs: dict[str, Any], proof: FreshBatches, rerun: Callable[[], PipelineResult]
) -> Restored:
    """Take the batches the runs landed out of the stack again (``fresh.restore``)."""
    return restore(athena_query(target, outputs), rerun, outputs, proof.batches[: proof.landed])


@dataclass
class LocalRuns:
    """The runs on the deployed stack, and how their batches were taken out again."""

    samples: list[RunSample]
    restored: Restored | None = None
    #: The session's own pipeline run on the stack (``session_sample``), counted with the KPI's runs.
    session: RunSample | None = None


def session_sample(result: PipelineResult) -> RunSample:
    """The session's pipeline run as a counted sample: it succeeded only if the pipeline said so (its
    statements, line accounting and refusals), it was fed no batch of the KPI's."""
    return RunSample(
        "session",
        "the session's pipeline run",
        result.ok,
        round(result.seconds, 3),
        result.error,
        read_back="not fed a batch: judged by the pipeline's own statements, line accounting and refusals",
    )


@dataclass
class GitHubPart:
    """The e2e workflow's history, or why it was not read."""

    samples: list[RunSample] = field(default_factory=list)
    not_measured: str | None = None
    error: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    #: Runs of the list that are not this repository's ``main`` (label -> id, conclusion and why), never counted.
    excluded: dict[str, str] = field(default_factory=dict)
    #: Runs of ``main`` GitHub concluded ``skipped`` (no job ran: no run of the e2e), never counted (label -> same).
    skipped: dict[str, str] = field(default_factory=dict)
    #: Counted runs whose commit shares no history with the commit under test (label -> what was said).
    unrelated: dict[str, str] = field(default_factory=dict)
    #: Counted runs nobody could bind to the commit under test, or why no run could be (label -> why).
    unbound: dict[str, str] = field(default_factory=dict)
    #: How each counted run was bound (label -> ``Binding.evidence()``).
    bound: dict[str, Any] = field(default_factory=dict)
    #: What was read of each run that concluded success to tell it green (jobs, attempts, workflow files).
    read: dict[str, Any] = field(default_factory=dict)
    #: Runs green by all that was read whose guard runs make or a script where only the run knows (label -> what).
    unfollowed: dict[str, list[str]] = field(default_factory=dict)


def run_pipeline_n(
    run_once: Callable[[Path | None], PipelineResult], n: int, proof: Proof | None = None
) -> list[RunSample]:
    """Run the pipeline ``n`` times; an exception is a failed run too, not an abort.

    With ``proof``, run ``i`` lands the data directory ``proof.feed(i)`` wrote (else ``run_once(None)``:
    the caller's inputs), and a run the pipeline calls ok is a success only if ``proof.read_back``
    finds its input in its tables. A read-back that could not read (``ReadBackError``) leaves the run ``unread``.
    """
    samples = []
    for i in range(1, n + 1):
        started = time.monotonic()
        sample = RunSample("local", f"run {i}", False)
        try:
            fed = proof.feed(i) if proof is not None else None
            sample.fed = fed.evidence if fed is not None else None
            result = run_once(fed.data_dir if fed is not None else None)
            sample.ok, sample.error = result.ok, result.error
            if result.ok and proof is not None:
                wrong, sample.read = proof.read_back(i, result)
                sample.read_back = wrong or "the run's batch is in Gold as fed, with a snapshot of the run"
                if wrong:
                    sample.ok = False
                    sample.error = f"the pipeline said ok, its tables read back say otherwise: {wrong}"
        except ReadBackError as err:  # the run said ok and nothing read says otherwise: no word on it
            sample.ok, sample.unread, sample.read = False, str(err), err.read
            sample.read_back = f"could not be read back: {err}"
            sample.error = f"the pipeline said ok, but what it built could not be read back: {err}"
        except Exception as err:  # a crashed run is a failed run; the KPI counts it
            sample.ok, sample.error = False, f"{type(err).__name__}: {err}"
        sample.seconds = round(time.monotonic() - started, 3)
        samples.append(sample)
    return samples


def why_not_counted(run: dict[str, Any], repo: str) -> str | None:
    """Why a run of e2e.yml's list is not a run of ``main`` of ``repo`` (None: it counts)."""
    why = []
    if run.get("event") in PULL_REQUEST_EVENTS:
        why.append(f"event {run.get('event')}: it tested a pull request's code")
    if run.get("head_branch") != MAIN_BRANCH:
        why.append(f"branch {run.get('head_branch')}, not {MAIN_BRANCH}")
    head = run.get("head_repository")
    head_repo = head.get("full_name") if isinstance(head, dict) else None
    if not head_repo:
        why.append("GitHub did not say which repository its commit came from")
    elif str(head_repo).lower() != repo.lower():
        why.append(f"its commit came from {head_repo}, not {repo}")
    return "; ".join(why) or None


def _left_out(run: dict[str, Any], why: str) -> str:
    """A run left out of the rate, as the evidence lists it: which run (its id), how it concluded, why."""
    return f"run id {run.get('id')}, concluded {run.get('conclusion')}: {why}"


def e2e_history(
    repo: str | None,
    token: str | None,
    api_url: str,
    session: Any = None,
    checkout: Path | None = None,
    commit: tuple[str | None, str] | None = None,
) -> GitHubPart:
    """The e2e workflow's runs of ``main`` of ``repo``, each bound to the commit under test.

    ``commit`` is (sha, where it came from), by default ``checkout``'s (``commit_under_test``); the
    checkout's git binds a run's commit first, else GitHub's compare (``HistoryBinder``).
    """
    if not repo or not token:
        missing = " and no ".join(
            n for n, v in (("GITHUB_TOKEN", token), ("repository (--github-repo)", repo)) if not v
        )
        return GitHubPart(not_measured=f"e2e workflow history not measured: no {missing}")
    client = GitHubActions(repo, token, api_url, session=session)
    part = GitHubPart()
    try:
        of_main = main_runs(client, repo, part)
    except GitHubApiError as err:
        return GitHubPart(error=str(err))
    if part.error:
        return part
    counted = []
    for r in of_main:
        label = f"#{r.get('run_number')} {str(r.get('head_sha', ''))[:7]}"
        if r.get("conclusion") == SKIPPED:
            part.skipped[label] = _left_out(r, NO_JOB_RAN)
            continue
        counted.append((label, r))
        ok = r.get("conclusion") == "success"  # cancelled, timed_out, ...: the e2e did not pass
        part.samples.append(RunSample("github", label, ok, error=None if ok else str(r.get("conclusion"))))
    if not part.samples:
        if not part.skipped:
            others = f" ({len(part.excluded)} run(s) listed are not of it: see excluded)" if part.excluded else ""
            part.not_measured = (
                f"the {E2E_WORKFLOW} workflow has no completed runs on {MAIN_BRANCH} of {repo} yet{others}"
            )
        return part
    if commit is None:
        commit = commit_under_test(checkout) if checkout is not None else (None, "no checkout")
    sha, source = commit
    if (unknown := unbindable(sha, source)) is not None or sha is None:
        part.unbound["commit under test"] = f"{unknown}: runs of other code would count"
        return part
    binder = HistoryBinder(client, sha, checkout)
    try:
        for label, r in counted:
            run_sha = str(r.get("head_sha") or "").lower()
            if not SHA.match(run_sha):
                part.unbound[label] = f"GitHub says its commit is {run_sha!r}, not a commit sha"
                continue
            binding = binder.bind(run_sha)
            part.bound[label] = binding.evidence()
            if binding.related is False:
                part.unrelated[label] = f"{run_sha[:12]}: {binding.said}"
            elif binding.related is None:
                part.unbound[label] = f"{run_sha[:12]}: {binding.said}; {how_to_tell(MAIN_BRANCH)}"
    except GitHubApiError as err:
        part.error = f"binding the e2e runs to the commit under test: {err}"
        return part
    try:
        _judge_successes(client, counted, part)
    except GitHubApiError as err:
        part.error = f"reading the e2e runs that concluded success: {err}"
    return part


def main_runs(client: GitHubActions, repo: str, part: GitHubPart) -> list[dict[str, Any]]:
    """The newest ``E2E_RUNS`` completed runs of e2e.yml on ``main`` of ``repo``, reading page after page: runs
    of pull requests and forks (listed in ``part.excluded``) never count, nor push main's own runs out of what is
    read. ``part.error`` says when ``E2E_PAGES`` pages went by with no run of main and the list went on."""
    found: list[dict[str, Any]] = []
    listed = 0
    for number in range(1, E2E_PAGES + 1):
        page = client.workflow_runs(E2E_WORKFLOW, MAIN_BRANCH, per_page=E2E_RUNS, page=number)
        if number == 1:
            part.request = {"url": page.url, "params": page.params}
        listed += len(page.runs)
        for r in page.runs:
            if (why := why_not_counted(r, repo)) is not None:
                part.excluded[f"#{r.get('run_number')} {str(r.get('head_sha', ''))[:7]}"] = _left_out(r, why)
            elif len(found) < E2E_RUNS:
                found.append(r)
        if len(found) >= E2E_RUNS or len(page.runs) < E2E_RUNS or listed >= page.total_count:
            part.request["pages"] = number
            return found
    part.request["pages"] = E2E_PAGES
    if not found:
        part.error = (
            f"the newest {listed} runs of {E2E_WORKFLOW} listed under branch {MAIN_BRANCH} of {repo} are all of pull "
            f"requests or forks, and the list goes on: main's own runs, failed or not, may lie further back"
        )
    return found


def _judge_successes(client: GitHubActions, counted: list[tuple[str, dict[str, Any]]], part: GitHubPart) -> None:
    """A run concluding ``success`` is a success only if it is green as exit check 3 reads a guard run: every job
    concluded success, no earlier attempt failed (re-run to green), nothing in its workflow or the scripts and
    Makefile it runs masks a failure (``|| true``, ``continue-on-error``), no ``run:`` step was skipped."""
    samples = {s.label: s for s in part.samples}
    for label, r in counted:
        sample = samples[label]
        if not sample.ok or label in part.unrelated or label in part.unbound:
            continue
        why, part.read[label] = why_success_is_not_green(client, r)
        if why:
            sample.ok = False
            sample.error = f"concluded success, yet {'; '.join(why)}"
        elif unknown := (part.read[label].get("workflow_files") or {}).get("unfollowed"):
            part.unfollowed[label] = list(unknown)  # as exit check 3: no evidence of red, and no proof of green


def _rate(samples: list[RunSample], unread_ok: bool = False) -> float | None:
    """The rate of successes; with ``unread_ok``, the best case: every run not read back counted a success."""
    ok = sum(s.ok or (unread_ok and s.unread is not None) for s in samples)
    return round(100.0 * ok / len(samples), 2) if samples else None


def judge_success(
    local: list[RunSample],
    github: GitHubPart,
    threshold_pct: float,
    restored: Restored | None = None,
    session: RunSample | None = None,
) -> Outcome:
    """Measured: the success rate over every known run; each source must also meet the threshold.

    ``restored``: how the local runs' batches were taken out again; a stack left holding them is no pass
    (later checks would read them), ``error`` when the runs were good. ``session``: the session's own run on
    the stack (``session_sample``), counted with the local runs (not towards the repeated-change rule).
    """
    on_stack = ([session] if session is not None else []) + local
    every = on_stack + github.samples
    details: dict[str, Any] = {
        "unit": "%",
        "local": {
            "runs": len(on_stack),
            "succeeded": sum(s.ok for s in on_stack),
            "rate_pct": _rate(on_stack),
            "not_read_back": {s.label: s.unread for s in on_stack if s.unread},
            "kpi_runs": len(local),
            "session_run": None if session is None else ("succeeded" if session.ok else f"failed: {session.error}"),
            "restored": None if restored is None else vars(restored),
            "repeated_change_rule": repeated_change(len(local)),
        },
        "github_e2e": {
            "runs": len(github.samples),
            "succeeded": sum(s.ok for s in github.samples),
            "rate_pct": _rate(github.samples),
            "not_measured": github.not_measured,
            "error": github.error,
            "request": github.request,
            "excluded": github.excluded,
            "skipped": github.skipped,
            "unrelated_to_commit_under_test": github.unrelated,
            "unbound": github.unbound,
            "bound_to_commit_under_test": github.bound,
            "read_to_tell_green": github.read,
            "unfollowed": github.unfollowed,
        },
        "runs": [vars(s) for s in every],
    }
    measured = _rate(every)
    unsure = _github_unsure(github)
    if unsure is not None:
        # The runs on the stack below the threshold, even counting those not read back as successes, are a
        # shown failure whatever GitHub's part could not say: failed, GitHub's word named beside.
        best = _rate(on_stack, unread_ok=True)
        if best is not None and best < threshold_pct:
            failed = [s for s in on_stack if not s.ok and not s.unread]
            first = f"; first failure: {failed[0].source} {failed[0].label}: {failed[0].error}" if failed else ""
            reason = f"success rate below {threshold_pct:g} %: local {best:g} %{first}; and {unsure}"
            return Outcome.judged(False, measured, threshold_pct, reason, details)
    if github.error:
        return Outcome.error(str(unsure), threshold_pct, details, measured)
    if github.skipped and not github.samples:
        named = "; ".join(f"{k} ({v})" for k, v in github.skipped.items())
        reason = (
            f"every run of the {E2E_WORKFLOW} workflow on {MAIN_BRANCH} read concluded skipped: no job of the e2e "
            f"ran, so its history shows no run that passed: {named}"
        )
        return Outcome.judged(False, measured, threshold_pct, reason, details)
    if github.unrelated:
        named = "; ".join(f"run {k} tested {v}" for k, v in github.unrelated.items())
        reason = (
            f"the {E2E_WORKFLOW} runs counted are not of this code "
            f"(no history shared with the commit under test): {named}"
        )
        return Outcome.judged(False, measured, threshold_pct, reason, details)
    if github.unbound:
        return Outcome.error(str(unsure), threshold_pct, details, measured)
    if measured is None:
        return Outcome.skipped("no pipeline run was measured", threshold_pct, details)
    # Runs not read back count as successes here (the best case): below the threshold even so is a failure.
    low = [
        (name, r)
        for name, r in (("local", _rate(on_stack, unread_ok=True)), ("github e2e", _rate(github.samples)))
        if r is not None and r < threshold_pct
    ]
    unread = [s for s in on_stack if s.unread]
    if low:
        failed = [s for s in every if not s.ok and not s.unread]
        first = f"; first failure: {failed[0].source} {failed[0].label}: {failed[0].error}" if failed else ""
        parts = ", ".join(f"{name} {r:g} %" for name, r in low)
        reason = f"success rate below {threshold_pct:g} %: {parts}{first}"
        if unread:
            reason += f" (even counting the {len(unread)} run(s) not read back as successes)"
        if restored is not None and (why := restored.why_not()):
            reason += f"; and the stack was not restored: {why}"
        return Outcome.judged(False, measured, threshold_pct, reason, details)
    if unread:
        named = "; ".join(f"{s.label}: {s.unread}" for s in unread)
        reason = (
            f"cannot tell whether {len(unread)} of the {len(on_stack)} pipeline run(s) on the stack succeeded: the "
            f"pipeline said ok, but what it built could not be read back ({named})"
        )
        return Outcome.error(reason, threshold_pct, details)  # no rate: those runs are neither ok nor failed
    if github.unfollowed:
        named = "; ".join(f"{k}: {', '.join(v)}" for k, v in github.unfollowed.items())
        reason = (
            f"cannot tell whether the {E2E_WORKFLOW} runs are green: their workflow runs make or a script where "
            f"only the run knows ({named}); name the folder or value in the workflow, its env: or the script"
        )
        return Outcome.error(reason, threshold_pct, details, measured)
    if restored is not None and (why := restored.why_not()):
        return Outcome.error(
            f"the runs succeeded, but their batches were not taken out of the stack again: {why}",
            threshold_pct,
            details,
            measured,
        )
    if len(local) < REPEATED_CHANGE_RUN:  # a pass on them says nothing of a pipeline taking only a first change
        reason = (
            f"every run succeeded, but the rule that a batch changes again the keys the batch before it changed "
            f"was not exercised: {len(local)} local run(s), the rule starts at run {REPEATED_CHANGE_RUN} "
            f"(set --kpi-pipeline-runs / LAKEHOUSE_KPI_PIPELINE_RUNS to {REPEATED_CHANGE_RUN} or more)"
        )
        return Outcome.skipped(reason, threshold_pct, details, measured)
    return Outcome.judged(True, measured, threshold_pct, None, details)


def _github_unsure(github: GitHubPart) -> str | None:
    """What GitHub's part could not tell (its history unread, or runs not bound to the commit under test), said as
    beside a failure of the runs on the stack; ``None`` when it could tell."""
    if github.error:
        return f"the e2e workflow history could not be read: {github.error}"
    if github.unbound:
        named = "; ".join(f"{k}: {v}" for k, v in github.unbound.items())
        return f"cannot tell whether the {E2E_WORKFLOW} runs are of this code: {named}"
    return None


def repeated_change(runs: int) -> str:
    """Whether ``runs`` local runs exercised the rule that a batch changes again the keys the batch before it
    changed (from run ``REPEATED_CHANGE_RUN``), said for the evidence."""
    if runs >= REPEATED_CHANGE_RUN:
        return f"exercised: runs {REPEATED_CHANGE_RUN}..{runs} changed again the keys the run before changed"
    return (
        f"not exercised: {runs} local run(s), and only from run {REPEATED_CHANGE_RUN} does a batch change again "
        "the keys the batch before it changed (no key changed twice)"
    )
