"""A run that writes a made-up Silver row and refuses the real line it displaced fails exit check 2's accounting.

The broken Silver users SQL first writes a row of user 1 with a newer ``updated_at`` than the file's line 26 (user
1's newest line; line 2, older, is superseded by it), so the staging refuses line 26 as older than the row Silver
holds. Read after the run,
Silver does hold a newer row: the line accounting adds up, Gold is built right from Silver (the demo's row and
the contracts hold). Judged against Silver's snapshot current when the run started (time travel), the refusal is
false, and the made-up row is one the run wrote from no line. Healthy twin: the real SQL run twice on one stack
(the second run's Silver before it is the first run's).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lakehouse.checks.data_loop import check_accounting
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import SQL_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "sa-east-1"
USERS = "20_silver_users.sql"
STAGING = "INSERT INTO ${silver_db}.users_staged"
#: User 1 as no line has it: a newer updated_at (the file's line 26 says 2026-02-01).
MADE_UP = (
    "INSERT INTO ${silver_db}.users VALUES (1, 'made.up@example.com', 'Farid Muller', '983-16-2186', NULL, "
    "TIMESTAMP '2026-01-18 23:15:00', TIMESTAMP '2026-06-01 00:00:00');\n\n"
)


def test_a_refusal_against_a_row_the_run_made_up_fails_naming_line_and_row(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    path = sql / USERS
    text = path.read_text(encoding="utf-8")
    assert text.count(STAGING) == 1, f"{USERS} changed: {STAGING!r} not found once"
    path.write_text(text.replace(STAGING, MADE_UP + STAGING), encoding="utf-8")
    target, outputs = pipeline_stack(emulator, REGION, "madeup1")

    result = run_pipeline(target, outputs, sql_dir=sql)
    accounting = check_accounting(result)
    assert accounting.status is Status.FAILED
    said = str(accounting.reason)
    assert (
        "users.csv:26: refused as 'older than the row silver holds (a newer updated_at)' in silver.users_rejected, "
        "which is not true of it (user_id '1', email 'updated.user1@example.com'"
    ) in said, said
    assert "silver.users: the row user_id=1 (updated_at 2026-06-01 00:00:00" in said, said
    assert "was written by this run from no line of users.csv" in said, said
    assert result.silver_before == {"silver.users": None, "silver.orders": None}  # a bare stack: no Silver yet


def test_the_real_pipeline_run_twice_accounts_for_every_line_against_silver_before_each_run(
    emulator: EmulatorHandle,
) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "madeup2")
    first = run_pipeline(target, outputs)
    assert first.ok and check_accounting(first).passed, first.summary()
    again = run_pipeline(target, outputs)
    assert again.ok and check_accounting(again).passed, again.summary()
    assert all(isinstance(again.silver_before[t], int) for t in ("silver.users", "silver.orders"))
