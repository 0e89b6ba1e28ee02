"""Exit check 6: the analyst cannot read ``ssn`` anywhere in the catalog, proven by querying as the analyst.

The column to hide is the plan's (``ssn``, a check input from the feature text), never the
stack's own say: a stack that hides ``email`` instead must fail. The check looks wherever the
column lives, not at the one table the stack cares about: every Glue table of every database in
the catalog with such a column, or a struct column nesting it (Bronze CSV, Silver and its rejected
rows, Gold, anything the pipeline made) is queried as the analyst (STS AssumeRole, pyathena in the
analyst workgroup).

Athena cannot tell "column excluded by Lake Formation" from "column does not exist" (both are
``COLUMN_NOT_FOUND ... cannot be resolved or requester is not authorized ...``), so a privileged
principal must also find the column holding values in Gold users. A query result can look right
on a stack that is open in ways the query does not reach, so the check also reads back, through
the APIs, every Lake Formation grant that could open the column (table, column, database-wide
TableWildcard, catalog, LF-Tag policy, data cells filter grants to the analyst or
IAMAllowedPrincipals; DATA_LOCATION_ACCESS on a location at, under or above files holding the
column: such a table's, a copy's, other workgroups' query results (``hidden_files``); SELECT on every
column of any other table whose location or Iceberg metadata lies over such files, by any grant, an LF-Tag
expression its LF-Tags match too (``covering_problems``);
full table access (every column in every row, by one grant or by all of a principal's and its groups' grants
together: table, column, data cells filter and LF-Tag grants) to a table over such files while credential vending
for full table access is on; any SELECT on such a table by a principal whose sessions can carry the session tag
of an engine Lake Formation trusts to filter data itself (external data filtering: unfiltered credentials); the data
lake settings; location grants are also listed by ``ResourceType=DATA_LOCATION``), the analyst role's
IAM policies and every lake bucket's policy (S3 reads of the lake buckets bypass Lake Formation:
``iam_access``), and every role of the account the analyst can act
as (assume, rewrite the trust of, pass to a service) or rewrite, judged the same way
(``role_paths``). The lake buckets are found from the services, not from the stack's outputs:
the buckets under every such table's location, the locations registered with Lake Formation, and
the result locations of every Athena workgroup but the analyst's own (query results of the
pipeline and the deployer can hold ``ssn``), and every folder a past query of those workgroups
that could have read the column (naming it, or a table of a database holding it) wrote its results
to (``query_results``: a workgroup not enforcing its configuration lets a query write anywhere;
other teams' queries over their own tables, in ``primary``, are no lake's). A table a past CTAS, INSERT,
CREATE VIEW, MERGE or UPDATE of any workgroup read (the analyst's too) copied the column into, under any name, counts
as holding it (``history_copies``, column lineage by sqlglot): its files' buckets are lake buckets, and a
query naming it could have read the column. The analyst's own workgroup
is read too, as the analyst: its history is the analyst's to fetch whoever ran the query, so a
privileged query run there that returned ``ssn`` (or its values) hands it over (``shared_results``:
every result's cells are searched for the values, whatever its query or its columns are called); so is every
other workgroup's, whose history the analyst's IAM may reach on the workgroup's ARN; and a role the analyst
can act as whose IAM reads a workgroup's executions showing a value fails too (``history_readers``). Saved text
the analyst reads with its own calls is searched too (``saved_text``): named queries and prepared statements of
the workgroups, and the Glue catalog's tables, their older versions and partitions.
Each workgroup's history is listed once for these three readers (``query_results.read_history``), all
of it up to ``MAX_EXECUTIONS`` executions, past which the check errs naming the workgroup.
A table the catalog lists without ``ssn`` whose ``SELECT *`` returns it anyway (a resource link to
another account's table) fails like one that lists it. A lake bucket policy
letting CloudFront read for this account's distributions brings each of them in: one serving the
lake's keys without signed URLs serves ``ssn`` to anyone on the internet (``cloudfront_routes``). Key names are
data too: a lake bucket the analyst (or a role it can act as) may list (``s3:ListBucket``, ``s3:prefix`` evaluated)
whose keys show a value (a table partitioned by ``ssn``: ``ssn=123-45-6789/``) hands it over (``key_names``).

Split like the other checks: ``read_security`` talks to the target, ``judge_security`` is a pure
function over what was read. A read that fails ends the check ``error`` (``failed`` when it found
a culprit anyway), never ``passed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.checks.cloudfront_routes import cloudfront_grants
from lakehouse.checks.history_copies import HistoryCopy
from lakehouse.checks.key_names import masking
from lakehouse.checks.security_grants import grant_problems
from lakehouse.checks.security_model import (
    PLAN_HIDDEN,
    PROBE_KEY,
    SecurityReadback,
    SecurityReadError,
    analyst_reach,
    column_denied,
    split_s3,
)
from lakehouse.checks.security_queries import (
    copied_value_problems,
    denied_problems,
    invoker_refused,
    no_table_access,
    privileged_problems,
    saved_text_problems,
    select_all_problems,
    shared_result_problems,
    unlisted_hidden,
)
from lakehouse.checks.security_read import read_security
from lakehouse.checks.security_routes import (
    bucket_problems,
    cdn_problems,
    grant_route_problems,
    history_reader_problems,
    iam_problems,
    key_name_problems,
    object_lambda_route_problems,
    role_path_problems,
    route_problems,
)
from lakehouse.checks.ssn_lineage import lineage_evidence
from lakehouse.outcome import Outcome
from lakehouse.target import Target


def _queries(rb: SecurityReadback) -> list[dict[str, Any]]:
    analyst = rb.analyst_caller_arn or rb.analyst_role_arn
    records: list[dict[str, Any]] = []
    for probe in rb.probes:
        table = probe.table.qualified
        records.append({**probe.privileged.to_dict(), "principal": rb.privileged_arn, "table": table})
        records.append({**probe.select_all.to_dict(), "principal": analyst, "table": table})
        records += [{**r.to_dict(), "principal": analyst, "table": table} for r in probe.denied.values()]
    for value_probe in rb.value_probes:
        records.append({**value_probe.select_all.to_dict(), "principal": analyst, "table": value_probe.table.qualified})
    return records


def _naming_copy(problem: str, copies: Sequence[HistoryCopy]) -> str:
    """``problem`` naming a bucket a copy's files lie in, with the query that made the copy (the catalog lists it
    without the hidden column: the reader must learn why that bucket counts)."""
    for copy in copies:
        for bucket in {w[0] for w in map(split_s3, copy.storage) if w is not None}:
            if re.search(rf"(?:bucket |s3://|:::){re.escape(bucket)}(?![\w.-])", problem):
                return f"{problem}; bucket {bucket} holds {copy.describe()}, a copy of a hidden column"
    return problem


def judge_security(rb: SecurityReadback) -> Outcome:
    """Pass when no table shows the hidden columns to the analyst, Gold users holds them, and nothing opens them."""
    reach = analyst_reach(rb)  # once: every judge of the roles and users the analyst can act as shares it
    iam, decisions = iam_problems(rb)
    policies, policy_decisions = bucket_problems(rb)
    role_paths, role_evidence = role_path_problems(rb, reach)
    cdn_grants = cloudfront_grants(rb.bucket_policies, rb.lake_objects, rb.account_id or "", PROBE_KEY)
    cdn, cdn_unknown = cdn_problems(rb, cdn_grants)
    key_names, key_names_unknown, listings = key_name_problems(rb, reach)
    lambda_reads, lambda_unknown, lambda_functions = object_lambda_route_problems(rb, reach)
    history_reads, history_readers = history_reader_problems(rb, reach)
    by_kind = {
        "select_all": select_all_problems(rb),
        "denied": denied_problems(rb),
        "privileged": privileged_problems(rb),
        "copied_values": copied_value_problems(rb),
        "analyst_workgroup_results": shared_result_problems(rb),
        "saved_texts": saved_text_problems(rb),
        "grants": grant_problems(rb),
        "bucket_policies": policies,  # before S3's own answer: the reason names the statement
        "other_routes": route_problems(rb) + grant_route_problems(rb, reach) + cdn + lambda_reads,
        "iam": iam,
        "key_names": key_names,
        "role_paths": role_paths,
        "role_workgroup_histories": history_reads,
    }
    for kind in ("bucket_policies", "iam", "key_names", "other_routes"):
        by_kind[kind] = [_naming_copy(p, rb.copies) for p in by_kind[kind]]
    problems = [p for found in by_kind.values() for p in found]
    outcome_of = {p.table.qualified: p for p in rb.probes}
    read = sorted(
        [
            q
            for q, p in outcome_of.items()
            if any(r.ok for r in p.denied.values())
            or (p.select_all.ok and any(c.lower() in {h.lower() for h in p.hidden} for c in p.select_all.columns))
        ]
        + [v.table.qualified for v in rb.value_probes if unlisted_hidden(v, rb.hidden)]
    )
    no_access = sorted(q for q, p in outcome_of.items() if no_table_access(p.select_all, p.table) and q not in read)
    measured = {
        "tables_with_hidden_columns": sorted(outcome_of),
        "analyst_reads_hidden": read,
        "analyst_column_hidden": sorted(
            q
            for q, p in outcome_of.items()
            if p.select_all.ok and all(column_denied(c).search(r.error or "") for c, r in p.denied.items())
        ),
        "analyst_no_access": no_access,
        "views_refused_for_invoker_rights": invoker_refused(rb),
        "grant_problems": len(by_kind["grants"]),
        "iam_problems": len(iam),
        "bucket_policy_problems": len(policies),
        "other_route_problems": len(by_kind["other_routes"]),
        "roles_examined": len(rb.roles),
        "roles_the_analyst_can_act_as": sorted(r["role"] for r in role_evidence["reached"]),
        "role_path_problems": len(role_paths),
        "role_workgroup_history_problems": len(history_reads),
        "executions_showing_hidden_values": len(rb.shown_executions),
        "key_name_problems": len(key_names),
        "lake_keys_listed": sum(k.listed for k in rb.listed_keys.values()),
        "hidden_values_searched_for": rb.hidden_value_count,
        "tables_searched_for_hidden_values": len(rb.probes) + len(rb.value_probes),
        "copied_value_problems": len(by_kind["copied_values"]),
        "analyst_workgroup_results_examined": len(rb.shared_results),
        "saved_texts_examined": rb.saved_texts.examined,
    }
    details: dict[str, Any] = {
        "hidden_columns": rb.hidden,
        "gold_users": rb.gold_users,
        "databases": rb.databases,
        "tables": [
            {
                "table": p.table.qualified,
                "hidden": p.hidden,
                "location": p.table.location,
                "metadata_location": p.table.metadata_location,
                "data_locations": p.table.data_locations,
            }
            for p in rb.probes
        ],
        "principals": {
            "analyst_role": rb.analyst_role_arn,
            "analyst_session": rb.analyst_caller_arn,
            "privileged": rb.privileged_arn,
        },
        "queries": _queries(rb),
        "data_lake_settings": {
            k: rb.settings.get(k)
            for k in (
                "DataLakeAdmins",
                "ReadOnlyAdmins",
                "CreateDatabaseDefaultPermissions",
                "CreateTableDefaultPermissions",
                "AllowFullTableExternalDataAccess",
                "AllowExternalDataFiltering",
                "ExternalDataFilteringAllowList",
                "AuthorizedSessionTagValueList",
            )
        },
        "grants": rb.grants,
        "database_table_defaults": rb.table_defaults,
        "data_cells_filters": rb.filters,
        "lf_tags": rb.lf_tags,
        "lf_tag_expressions": rb.tag_expressions,
        "iam": {
            "policies": [{"source": p.source, "document": p.document} for p in rb.identity_policies],
            "permissions_boundary": None
            if rb.boundary is None
            else {"source": rb.boundary.source, "document": rb.boundary.document},
            "lake_objects_tried": rb.lake_objects,
            "witness_keys": rb.witness_keys,
            "statements_allowing_reads": decisions,
            "analyst_head_object": rb.object_probes,
        },
        "analyst_workgroup_results": [r.to_dict() for r in rb.shared_results],
        "saved_texts": {
            "shown_to_analyst": [t.to_dict() for t in rb.saved_texts.shown],
            "not_shown_to_analyst": rb.saved_texts.refused,
        },
        "copies_in_query_history": [c.to_dict() for c in rb.copies],
        "lake_buckets": rb.lake_buckets,
        "bucket_policies": rb.bucket_policies,
        "bucket_policy_statements_allowing_reads": policy_decisions,
        "key_names": {
            "buckets": {b: k.to_dict() for b, k in sorted(rb.listed_keys.items())},
            "statements_allowing_listing": listings,
            "inventory_deliveries": {b: [d.to_dict() for d in ds] for b, ds in sorted(rb.inventories.items())},
        },
        "s3_routes": rb.routes.to_dict(),
        "object_lambda_reads": lambda_functions,
        "cloudfront": {
            "grants": [g.to_dict() for g in cdn_grants],
            **rb.cloudfront.to_dict(),
        },
        "role_paths": role_evidence,
        "workgroup_histories": {
            "executions_showing_hidden_values": [e.to_dict() for e in rb.shown_executions],
            "role_reads": history_readers,
        },
        "problems": by_kind,
    }
    if rb.notes:
        details["notes"] = rb.notes
    errors = rb.read_errors + cdn_unknown + key_names_unknown + lambda_unknown
    if errors:
        details["read_errors"] = errors
    threshold = (
        f"{', '.join(rb.hidden)} hidden from the analyst in every catalog table, readable by a privileged principal "
        f"in {rb.gold_users}, none of its values in any other column the analyst reads, no Lake Formation grant, "
        "IAM policy or lake bucket policy opens it, nor to a role the "
        "analyst can act as, the analyst cannot raise its own permissions, nor list a lake bucket whose key names show "
        "a value, and S3 serves the lake's objects to no "
        "one outside the account (bucket policy, ACL, access point or S3 Access Grant), nor a CloudFront distribution "
        "of the account to unsigned requests"
    )
    mask = masking(rb.listed_keys)  # keys named after values (ssn=.../) appear among the objects tried, too
    details = mask(details)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Outcome.judged(False, measured, threshold, mask(f"{problems[0]}{more}"), details)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Outcome.error(mask(f"{errors[0]}{more}"), threshold, details, measured)
    return Outcome.judged(True, measured, threshold, None, details)


def check_security(target: Target, outputs: Mapping[str, Any], hidden: Sequence[str] = PLAN_HIDDEN) -> Outcome:
    """Exit check 6 on a deployed stack; ``hidden`` is the plan's column(s), never the stack's."""
    try:
        rb = read_security(target, outputs, hidden)
    except SecurityReadError as err:
        return Outcome.error(str(err))
    except (ClientError, BotoCoreError) as err:
        return Outcome.error(f"could not read what exit check 6 needs: {err}")
    outcome = judge_security(rb)
    # Evidence for reviewers: where the pipeline's SQL carries each hidden column (issue 17).
    checked = [t.qualified for t in rb.tables()]
    outcome.details["column_lineage"] = [lineage_evidence(outputs, target.region, c, checked) for c in rb.hidden]
    return outcome
