"""Which row filter expressions the emulator's Lake Formation accepts (lakehouse.emulator.sql.row_filter_syntax).

Lake Formation's developer guide ("PartiQL support in row filter expressions") allows ``<column> <operator>
<constant>`` conditions joined by AND/OR/NOT, with =, <>, !=, <, <=, >, >=, BETWEEN, IN, LIKE and IS [NOT] NULL (not on
partition columns); no functions, no column compared with a column, no array or map column. The guide's own
examples are accepted (on its table: country string, id bigint, partition columns year and month, a struct).
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.row_filter_syntax import MAX_LENGTH, refusal

COLUMNS = {
    "country": "string",
    "id": "bigint",
    "customer": "struct<customerid:int,name:string>",
    "score": "double",
    "tags": "array<string>",
    "attributes": "map<string,string>",
    "year": "int",
    "month": "int",
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
        ("region = 'eu'", "'region' is not a column of the table"),
        ("year IS NOT NULL", "IS [NOT] NULL cannot be used on partition column 'year'"),
        ("tags = 'a'", "column 'tags' is of type array<string>: array and map columns cannot be filtered on"),
        ("attributes IS NULL", "column 'attributes' is of type map<string,string>"),
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
