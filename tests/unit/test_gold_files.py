"""Gold's Iceberg files must all lie in the stack's Gold bucket (the judge; tests/emulator/test_gold_files.py
rewrites a real Gold table elsewhere)."""

from __future__ import annotations

from lakehouse.checks.gold_files import judge_gold_files
from lakehouse.outcome import Status

BUCKET = "lh-abc-gold"


def test_gold_files_in_the_stack_s_gold_bucket_pass() -> None:
    folders = {"db.daily_revenue": [f"s3://{BUCKET}/daily_revenue/metadata/", f"s3://{BUCKET}/daily_revenue/data/"]}
    assert judge_gold_files(folders, BUCKET).passed


def test_a_gold_data_file_in_another_bucket_fails_naming_table_and_folder() -> None:
    folders = {
        "db.users": [f"s3://{BUCKET}/users/data/"],
        "db.daily_revenue": [f"s3://{BUCKET}/daily_revenue/metadata/", "s3://lh-other-gold/daily_revenue/data/"],
    }
    outcome = judge_gold_files(folders, BUCKET)
    assert outcome.status is Status.FAILED
    assert "db.daily_revenue: s3://lh-other-gold/daily_revenue/data/" in str(outcome.reason), outcome.reason
    assert outcome.details["gold_files_outside"] == {"db.daily_revenue": ["s3://lh-other-gold/daily_revenue/data/"]}


def test_a_bucket_whose_name_starts_with_the_gold_bucket_s_is_another_bucket() -> None:
    outcome = judge_gold_files({"db.users": [f"s3://{BUCKET}-copy/users/data/"]}, BUCKET)
    assert outcome.status is Status.FAILED
