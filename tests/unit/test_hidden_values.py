"""Exit check 6 searches the analyst's rows for the hidden column's values, whatever the column is called."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from lakehouse.athena import QueryRecord, scan
from lakehouse.checks.hidden_values import MASK, HiddenValues, LeakTally, leaked_columns, masked
from lakehouse.checks.query_results import SharedResult
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import MAX_SEARCH_ROWS, CatalogTable, ValueProbe
from lakehouse.checks.security_queries import copied_value_problems

from .test_security import COLUMNS, DB, healthy

SSNS = HiddenValues(["983-16-2186", "974-17-9313", None, "  "])


def test_a_value_is_found_as_itself_inside_text_nested_and_without_separators() -> None:
    assert SSNS.found_in("983-16-2186")
    assert SSNS.found_in("Farid 983-16-2186 JP")
    assert SSNS.found_in({"email": "f@example.com", "tax": "974-17-9313"})
    assert SSNS.found_in(983162186) and SSNS.found_in("983162186")
    assert SSNS.found_in("983.16.2186")


def test_other_values_are_not_taken_for_hidden_ones() -> None:
    assert not SSNS.found_in("***-**-2186")  # a masked form shows no value
    assert not SSNS.found_in("983-16-21867")  # a longer number is another number
    assert not SSNS.found_in("2026-01-18 23:15:00")
    assert not SSNS.found_in(None) and not SSNS.found_in(42)
    assert not HiddenValues(["JP", "12"]).found_in("JP")  # values too short to search for are left out
    assert len(SSNS) == 2


def test_a_value_with_separators_is_found_inside_a_longer_token() -> None:
    """``concat_ws('-', user_id, ssn)``: one token whose digits are no value's, yet it shows the value whole (a
    miss on main)."""
    assert SSNS.found_in("42-983-16-2186")
    assert SSNS.found_in("983-16-2186-JP-7")
    assert SSNS.found_in("id.42/974-17-9313")


def test_a_longer_number_around_a_value_is_still_another_number() -> None:
    assert not SSNS.found_in("12983-16-2186") and not SSNS.found_in("983-16-21867")
    assert not SSNS.found_in("42-983-16-2185") and not SSNS.found_in("2026-01-18-983-16")


def test_leaks_are_counted_per_column_and_masked_in_kept_rows() -> None:
    rows = [[1, "983-16-2186", "JP"], [2, "974-17-9313", "US"], [3, None, "US"]]
    assert leaked_columns(["user_id", "tax_id", "country"], rows, SSNS) == {"tax_id": 2}
    assert masked(rows[:2], SSNS) == [[1, MASK, "JP"], [2, MASK, "US"]]


class _Cursor:
    """pyathena's cursor as ``scan`` uses it: rows come by iterating, page by page."""

    description = [("note", "varchar")]
    rowcount = -1
    query_id, state, state_change_reason = "q-1", "SUCCEEDED", None
    data_scanned_in_bytes = engine_execution_time_in_millis = total_execution_time_in_millis = 0

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows, self.fetched = rows, 0

    def execute(self, sql: str) -> None:
        pass

    def __iter__(self) -> Any:
        for row in self.rows:
            self.fetched += 1
            yield row


class _Conn:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _Cursor:
        return self._cursor


def test_a_whole_table_is_searched_as_it_streams_and_only_the_first_rows_are_kept() -> None:
    rows = [(f"note {n}",) for n in range(5000)] + [("tax ref 983-16-2186",)]
    tally = LeakTally(SSNS)
    record = scan(_Conn(_Cursor(rows)), "SELECT * FROM notes", tally.visit, keep_rows=3)  # type: ignore[arg-type]
    assert record.row_count == 5001 and len(record.rows) == 3
    assert tally.by_column(record.columns) == {"note": 1}


def test_past_the_row_cap_the_rest_is_not_fetched_and_the_check_cannot_vouch() -> None:
    cursor = _Cursor([(f"note {n}",) for n in range(50)])
    record = scan(_Conn(cursor), "SELECT * FROM notes", lambda row: None, max_rows=10)  # type: ignore[arg-type]
    assert record.row_count == 11 and cursor.fetched == 11
    rb = healthy()
    probe = _export({})
    probe.select_all.row_count = MAX_SEARCH_ROWS + 1
    rb.value_probes = [probe]
    assert not judge_security(rb).passed
    assert copied_value_problems(rb) == [
        f"{DB}.users_export has more than {MAX_SEARCH_ROWS:,} rows: the analyst's SELECT * was searched for ssn "
        f"values in the first {MAX_SEARCH_ROWS:,} only, a copy past them cannot be ruled out"
    ]


def _export(leaks: dict[str, int], error: str | None = None, own: bool = True) -> ValueProbe:
    table = CatalogTable(DB, "users_export", ["user_id", "tax_id"])
    record = QueryRecord(sql=f"SELECT * FROM {DB}.users_export", columns=["user_id", "tax_id"])
    record.row_count, record.error = 20, error
    return ValueProbe(table, record, leaks, own)


def test_a_copy_under_another_name_fails_naming_table_and_column() -> None:
    rb = healthy()
    rb.hidden_value_count = 20
    rb.value_probes = [_export({"tax_id": 20})]
    outcome = judge_security(rb)
    assert not outcome.passed
    assert outcome.details["problems"]["copied_values"] == [
        f"the analyst's SELECT * on {DB}.users_export returns values of ssn of {DB}.users in column(s) "
        "tax_id (20 of 20 rows): the hidden column copied under another name"
    ]
    assert outcome.measured["copied_value_problems"] == 1


def test_a_copy_inside_a_hidden_table_fails_but_the_named_column_is_left_to_select_all() -> None:
    rb = healthy()
    rb.probes[-1].leaks = {"ssn": 1, "notes": 1}
    problems = copied_value_problems(rb)
    assert len(problems) == 1 and "in column(s) notes (1 of 1 rows)" in problems[0]


def test_values_unreadable_or_a_table_unsearchable_is_not_a_pass() -> None:
    rb = healthy()
    rb.hidden_values_error = f"{DB}.users.ssn: boom"
    assert not judge_security(rb).passed
    rb = healthy()
    rb.value_probes = [_export({}, error="GENERIC_INTERNAL_ERROR: boom")]
    assert "failed, but not as access denied" in copied_value_problems(rb)[0]
    rb.value_probes = [_export({}, error="GENERIC_INTERNAL_ERROR: boom", own=False)]  # another project's table
    assert copied_value_problems(rb) == []
    rb.value_probes = [_export({}, error="Insufficient Lake Formation permission(s) on users_export")]
    assert copied_value_problems(rb) == []


def test_the_healthy_stack_still_passes() -> None:
    rb = healthy()
    rb.value_probes = [_export({})]
    assert judge_security(rb).passed


def _digest(name: str, text: str) -> bytes:
    return hashlib.new(name, text.encode()).digest()


def test_an_unsalted_digest_of_a_value_is_found_in_every_shape_athena_returns() -> None:
    """``to_hex(sha256(to_utf8(ssn)))`` shows no digit of the value, yet hashing all 10^9 ssns reverses it."""
    assert SSNS.match(_digest("sha256", "983-16-2186").hex().upper()) == "sha256"  # to_hex(...)
    assert SSNS.match(_digest("md5", "983162186")) == "md5"  # varbinary, digits only
    assert SSNS.match(base64.b64encode(_digest("sha1", "974-17-9313")).decode()) == "sha1"  # to_base64(...)
    assert SSNS.match(f"ref:{_digest('sha512', '983-16-2186').hex()}") == "sha512"  # inside longer text
    assert SSNS.match({"h": _digest("sha256", "974179313").hex()}) == "sha256"  # nested
    assert SSNS.match("983-16-2186") == "value"


def test_keyed_or_salted_digests_and_other_hashes_are_not_taken_for_hidden_values() -> None:
    keyed = hmac.new(b"pipeline-secret", b"983-16-2186", "sha256").hexdigest()
    salted = _digest("sha256", "salt:983-16-2186").hex()
    other = _digest("sha256", "983-16-2187").hex()
    assert not any(SSNS.found_in(v) for v in (keyed, salted, other, "0" * 64, "g" * 32))
    assert not SSNS.found_in(bytes.fromhex(other))


def test_a_hashed_copy_fails_naming_column_and_hash_and_is_masked() -> None:
    tally = LeakTally(SSNS)
    rows = [[1, _digest("sha256", "983-16-2186").hex()], [2, _digest("sha256", "974-17-9313").hex()], [3, "x"]]
    for row in rows:
        tally.visit(row)
    assert tally.by_column(["user_id", "ssn_hash"]) == {"ssn_hash": 2}
    assert tally.hashed_columns(["user_id", "ssn_hash"]) == {"ssn_hash": ["sha256"]}
    assert masked(rows[:1], SSNS) == [[1, MASK]]
    rb = healthy()
    probe = _export({"tax_id": 2})
    probe.hashed = {"tax_id": ["sha256"]}
    rb.value_probes = [probe]
    outcome = judge_security(rb)
    assert not outcome.passed
    assert outcome.details["problems"]["copied_values"] == [
        f"the analyst's SELECT * on {DB}.users_export returns values of ssn of {DB}.users in column(s) tax_id "
        "(2 of 20 rows, as unsalted sha256 digests: hashing every possible value reverses them): the hidden column "
        "copied under another name"
    ]


def test_a_value_only_encoded_is_found_in_every_shape_athena_returns() -> None:
    """``to_utf8(ssn)``, ``to_hex(to_utf8(ssn))``, ``to_base64(to_utf8(ssn))`` show no digit of the value, and
    decoding shows it whole (all missed on main; the varbinary was even asserted to be no value)."""
    value = b"983-16-2186"
    assert SSNS.match(value) == "varbinary"  # pyathena's varbinary
    assert SSNS.match(" ".join(f"{b:02x}" for b in value)) == "varbinary"  # GetQueryResults' varbinary
    assert SSNS.match(b"id 42-983-16-2186") == "varbinary"  # to_utf8(concat(...))
    assert SSNS.match(value.hex().upper()) == "hex"  # to_hex(to_utf8(ssn))
    assert SSNS.match(f"ref:{b'42-974-17-9313'.hex()}") == "hex"  # inside longer text, a concatenation encoded
    assert SSNS.match(base64.b64encode(value).decode()) == "base64"  # to_base64(to_utf8(ssn))
    assert SSNS.match(base64.urlsafe_b64encode(b"974179313").decode().rstrip("=")) == "base64"  # url, digits only
    assert SSNS.match({"ref": base64.b64encode(b"974-17-9313").decode()}) == "base64"  # nested
    assert SSNS.match(_digest("md5", "983-16-2186")) == "md5"  # a digest stays a digest


def test_encodings_of_other_text_are_not_taken_for_hidden_values() -> None:
    other = b"983-16-2187"
    assert not SSNS.found_in(other) and not SSNS.found_in(other.hex()) and not SSNS.found_in(base64.b64encode(other))
    assert not SSNS.found_in(" ".join(f"{b:02x}" for b in other))
    assert not SSNS.found_in("98 76 54 32") and not SSNS.found_in("deadbeefcafe0011")
    assert not SSNS.found_in("analytics-team-2026") and not SSNS.found_in(b"\xff\x00binary")


def test_an_encoded_copy_fails_naming_column_and_encoding() -> None:
    tally = LeakTally(SSNS)
    for row in ([1, b"983-16-2186", base64.b64encode(b"983-16-2186").decode()], [2, b"x", "y"]):
        tally.visit(row)
    assert tally.by_column(["user_id", "blob", "ref"]) == {"blob": 1, "ref": 1}
    assert tally.hashed_columns(["user_id", "blob", "ref"]) == {"blob": ["varbinary"], "ref": ["base64"]}
    assert masked([[1, b"983-16-2186"]], SSNS) == [[1, MASK]]
    rb = healthy()
    probe = _export({"tax_id": 2})
    probe.hashed = {"tax_id": ["base64", "sha256"]}
    rb.value_probes = [probe]
    outcome = judge_security(rb)
    assert not outcome.passed
    assert outcome.details["problems"]["copied_values"] == [
        f"the analyst's SELECT * on {DB}.users_export returns values of ssn of {DB}.users in column(s) tax_id "
        "(2 of 20 rows, as unsalted sha256 digests: hashing every possible value reverses them, base64-encoded: "
        "decoding shows the value): the hidden column copied under another name"
    ]


def test_a_text_quoting_a_value_is_redacted_word_by_word() -> None:
    sql = "SELECT 1 FROM t WHERE ssn = '983-16-2186' OR ref = 'OTc0LTE3LTkzMTM=' -- 974179313"
    assert SSNS.redacted(sql) == f"SELECT 1 FROM t WHERE ssn = '{MASK}' OR ref = '{MASK}' -- {MASK}"
    assert SSNS.redacted("SELECT * FROM gold.users") == "SELECT * FROM gold.users"


_INVOKER_DENIED = (
    "COLUMN_NOT_FOUND: line 1:15: Column 'ssn' cannot be resolved or requester is not authorized to access "
    "requested resources"
)


def _view(leaks: dict[str, int], error: str | None = None) -> ValueProbe:
    """``gold.users_v AS SELECT user_id, ssn AS tax_id FROM gold.users``, as Glue lists it (VIRTUAL_VIEW)."""
    probe = _export(leaks, error)
    probe.table = CatalogTable(DB, "users_v", ["user_id", "tax_id"], view=True)
    probe.select_all.sql = f"SELECT * FROM {DB}.users_v"
    return probe


def test_a_view_handing_the_analyst_ssn_values_under_another_name_fails() -> None:
    rb = healthy()
    rb.hidden_value_count = 20
    rb.value_probes = [_view({"tax_id": 20})]
    outcome = judge_security(rb)
    assert not outcome.passed
    assert outcome.details["problems"]["copied_values"] == [
        f"the analyst's SELECT * on {DB}.users_v returns values of ssn of {DB}.users in column(s) "
        "tax_id (20 of 20 rows): the hidden column copied under another name"
    ]


def test_a_view_the_analyst_cannot_query_for_lack_of_the_underlying_column_is_no_leak_and_recorded() -> None:
    rb = healthy()
    rb.value_probes = [_view({}, error=_INVOKER_DENIED)]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
    assert outcome.measured["views_refused_for_invoker_rights"] == [f"{DB}.users_v"]


def test_the_same_column_not_found_on_a_table_still_proves_nothing() -> None:
    rb = healthy()
    rb.value_probes = [_export({}, error=_INVOKER_DENIED)]
    assert "failed, but not as access denied" in copied_value_problems(rb)[0]
    assert not judge_security(rb).passed


def test_a_view_failing_otherwise_still_proves_nothing() -> None:
    rb = healthy()
    rb.value_probes = [_view({}, error="GENERIC_INTERNAL_ERROR: boom")]
    assert "failed, but not as access denied" in copied_value_problems(rb)[0]


def test_a_view_of_granted_columns_only_stays_green() -> None:
    rb = healthy()
    probe = _view({})
    probe.table.columns = ["user_id", "email"]
    probe.select_all.columns = ["user_id", "email"]
    rb.value_probes = [probe]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
    assert outcome.measured["views_refused_for_invoker_rights"] == []


def _link(columns: list[str], leaks: dict[str, int]) -> ValueProbe:
    """``lh_shared.users_link``: a Glue resource link (TargetTable, no columns of its own) to a table of another
    account; Athena resolves it and ``SELECT *`` returns the target's columns, granted over there."""
    table = CatalogTable("lh_shared", "users_link", [])
    record = QueryRecord(sql="SELECT * FROM lh_shared.users_link", columns=columns, rows=[], row_count=20)
    return ValueProbe(table, record, leaks, own=False)


def test_a_table_glue_lists_without_ssn_whose_select_star_returns_ssn_fails() -> None:
    """The catalog names no ssn column (a resource link, Glue columns out of step with Iceberg's schema), so the
    table is only searched for values; the analyst's ``SELECT *`` returning a column called ssn is the leak itself,
    whether or not its values are Gold users' (another account's people)."""
    for leaks in ({"ssn": 20}, {}):
        rb = healthy()
        rb.hidden_value_count = 20
        rb.value_probes = [_link(["user_id", "SSN"], leaks)]
        outcome = judge_security(rb)
        assert not outcome.passed, leaks
        assert outcome.details["problems"]["select_all"] == [
            "the analyst's SELECT * on lh_shared.users_link returns SSN (the Glue catalog lists no such column "
            "there: Athena read it from the table's own schema or the table a link points to)"
        ]
        assert outcome.measured["analyst_reads_hidden"] == ["lh_shared.users_link"]


def test_a_link_returning_granted_columns_only_stays_green() -> None:
    rb = healthy()
    rb.value_probes = [_link(["user_id", "email", "ssn_last_updated"], {})]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
    assert outcome.measured["analyst_reads_hidden"] == []


def _shared(query: str, columns: list[str], leaks: dict[str, int], denied: bool = False) -> SharedResult:
    return SharedResult("q-1", query, columns, leaks, 20, denied)


def test_a_past_result_of_the_analysts_workgroup_holding_ssn_fails_the_check() -> None:
    """A deployer's query run in the analyst's workgroup: its result is the analyst's to fetch."""
    for result, what in (
        (_shared(f"SELECT * FROM {DB}.users", COLUMNS, {}), "ssn"),
        (_shared(f"SELECT user_id, ssn AS tax_id FROM {DB}.users", ["user_id", "tax_id"], {"tax_id": 20}), "values"),
    ):
        rb = healthy()
        rb.shared_results = [result]
        outcome = judge_security(rb)
        assert not outcome.passed
        (problem,) = outcome.details["problems"]["analyst_workgroup_results"]
        assert problem.startswith("query q-1 of the analyst's own workgroup") and f"holding {what}" in problem


def test_past_results_without_ssn_or_refused_to_the_analyst_pass() -> None:
    rb = healthy()
    rb.shared_results = [
        _shared(f"SELECT * FROM {DB}.users", ["user_id", "email", "country"], {}),
        _shared(f"SELECT * FROM {DB}.users", COLUMNS, {}, denied=True),
    ]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
    assert len(outcome.details["analyst_workgroup_results"]) == 2
