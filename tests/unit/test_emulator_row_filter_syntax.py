"""Which row filter expressions the emulator's Lake Formation accepts (lakehouse.emulator.sql.row_filter_syntax).

Lake Formation's developer guide ("PartiQL support in row filter expressions") allows ``<column> <operator>
<constant>`` conditions joined by AND/OR/NOT, with =, <>, !=, <, <=, >, >=, BETWEEN, IN, LIKE and IS [NOT] NULL (not on
partition columns); no functions, no column compared with a column, no column outside its "Supported data types"
(no date, timestamp, binary, array or map). The guide's own examples are accepted (on its table: country string, id
bigint, partition columns year and month, a struct). A timestamp column is refused in AWS's words, whatever the
expression around it (aws/aws-cli#10397), while a string column of the same table is filtered on.
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.row_filter_syntax import MAX_LENGTH, invalid_input_message, refusal

COLUMNS = {
    "country": "string",
    "id": "bigint",
    "customer": "struct<customerid:int,name:string,since:date,seen:timestamp>",
    "score": "double",
    "tags": "array<string>",
    "attributes": "map<string,string>",
    "year": "int",
    "month": "int",
    # Of types outside the guide's list (aws/aws-cli#10397's table: an Iceberg ``timestamp`` column named timestamp).
    "timestamp": "timestamp",
    "born": "date",
    "photo": "binary",
    # The other supported types, and a type Glue holds that cannot be read here.
    "code": "char(2)",
    "label": "varchar(20)",
    "active": "boolean",
    "ratio": "float",
    "amount": "decimal(10,2)",
    "small": "smallint",
    "tiny": "tinyint",
    "odd": "uniontype<int,string>",
}
PARTITIONS = ("year", "month")


@pytest.mark.parametrize(
    "expression",
    [
        # The guide's examples of valid row filter expressions.
        "year > 2010 and country != 'US'",
        "(year > 2010 and country = 'US') or (month < 8 and id > 23)",
        "(country between 'Z' and 'U') and (year = 2018)",
        "(country like '%ited%') and (year > 2000)",
        "year > 2010 and customer.customerId <> 1",
        # All rows, as the console takes it; empty (the API's minimum length is 0).
        "TRUE",
        "true",
        "",
        # Every listed operator, NOT, negative and decimal constants, quoted names, constant first.
        "NOT (country = 'US') AND id NOT IN (1, -2) AND score >= 1.5e3 AND country IS NOT NULL",
        "\"country\" <> 'US' OR id NOT BETWEEN 3 AND 4 OR country NOT LIKE 'A%' OR 10000 <= id",
        "country IS NULL",
        # Every supported type; a struct's own fields of supported types; a type not read is not refused on a guess.
        "code = 'JP' AND label LIKE 'a%' AND active = true AND ratio > 0.5 AND amount <= 10.25",
        "small > 1 AND tiny < 2 AND customer.name = 'x' AND customer IS NOT NULL AND odd = 1",
        # aws/aws-cli#10397: a string column of the table holding the timestamp column is filtered on.
        "country <> 'foo'",
    ],
)
def test_what_lake_formation_documents_is_accepted(expression: str) -> None:
    assert refusal(expression, COLUMNS, PARTITIONS) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("coalesce(id, 0) = 1", "the function coalesce() (COALESCE(id, 0)): functions are not allowed"),
        ("if(id > 1, true, false)", "the function if()"),
        ("lower(country) = 'us'", "the function lower()"),
        ("CASE WHEN id > 1 THEN true ELSE false END", "CASE (CASE WHEN id > 1 THEN TRUE ELSE FALSE END)"),
        ("id = year", "'year' is a column: columns are compared with constants, not with columns"),
        ("id BETWEEN month AND 5", "'month' is a column"),
        ("country IN ('a', country)", "'country' is a column"),
        ("1 = 1", "'1 = 1' compares no column"),
        ("country = 'DE' OR TRUE", "TRUE is not a <column> <operator> <constant> condition"),
        ("id + 1 = 2", "'id + 1' (not a column, a constant or one of"),
        ("country || 'x' = 'y'", "country || 'x'"),
        ("country ILIKE 'a'", "ILIKE"),
        ("id IS TRUE", "IS takes only [NOT] NULL"),
        ("id IN (SELECT 1)", "IN takes a list of constants"),
        ("country > CAST(1 AS VARCHAR)", "a CAST or typed literal"),
        ("country = DATE '2024-01-01'", "a CAST or typed literal"),  # on a string column: the literal is refused
        ("region = 'eu'", "'region' is not a column of the table"),
        ("year IS NOT NULL", "IS [NOT] NULL cannot be used on partition column 'year'"),
        ("tags = 'a'", "ARRAY data type not supported for row level filter predicate."),
        ("attributes IS NULL", "MAP data type not supported for row level filter predicate."),
        ("country = (", "could not be parsed"),
    ],
)
def test_what_lake_formation_refuses_is_refused_saying_what(expression: str, reason: str) -> None:
    why = refusal(expression, COLUMNS, PARTITIONS)
    assert why is not None and reason in why, why


def test_an_expression_longer_than_the_api_allows_is_refused() -> None:
    longest = "country = '" + "a" * (MAX_LENGTH - len("country = ''")) + "'"
    assert refusal(longest, COLUMNS, PARTITIONS) is None
    assert refusal(longest + " ", COLUMNS, PARTITIONS) == f"it is {MAX_LENGTH + 1} characters long, more than 2048"


def test_column_names_compare_case_insensitively_as_glue_lower_cases_them() -> None:
    assert refusal("Country = 'US' AND ID > 1", COLUMNS, PARTITIONS) is None


#: aws/aws-cli#10397's expressions on its ``timestamp`` column, each refused with the same message.
ISSUE_10397 = [
    "\"timestamp\" > '2026-05-01 00:00:00'",
    "timestamp > date_sub(current_date(), 30)",
    "timestamp > cast(now() - interval 30 days as timestamp)",
    "timestamp >= current_timestamp - interval '30' day",
    "timestamp >= current_date() - INTERVAL 30 DAYS",
]


@pytest.mark.parametrize("expression", ISSUE_10397)
def test_a_timestamp_column_is_refused_in_aws_words_before_anything_else(expression: str) -> None:
    message = invalid_input_message(expression, COLUMNS, PARTITIONS, "123456789012:db.t")
    assert message == "TIMESTAMP data type not supported for row level filter predicate.", message


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("born = '2024-01-01'", "DATE"),  # a string constant on a date column: the column's type is refused
        ("born BETWEEN '2024-01-01' AND '2024-12-31' AND country = 'JP'", "DATE"),
        ("country = 'JP' OR timestamp IS NULL", "TIMESTAMP"),
        ("customer.seen > '2024-01-01'", "TIMESTAMP"),  # a struct's field of an unsupported type
        ("customer.since IS NOT NULL", "DATE"),
        ("photo = 'ab'", "BINARY"),
    ],
)
def test_a_column_of_a_type_outside_the_guide_s_list_is_refused(expression: str, kind: str) -> None:
    assert refusal(expression, COLUMNS, PARTITIONS) == f"{kind} data type not supported for row level filter predicate."


def test_other_refusals_name_the_expression_and_the_table_as_aws_s_words_for_them_are_unknown() -> None:
    message = invalid_input_message("lower(country) = 'us'", COLUMNS, PARTITIONS, "123456789012:db.t")
    assert message is not None and message.startswith("Unsupported row filter expression \"lower(country) = 'us'\"")
    assert "on 123456789012:db.t: " in message and "functions are not allowed" in message, message
    assert invalid_input_message("country = 'JP'", COLUMNS, PARTITIONS, "123456789012:db.t") is None
