"""The emulator's Athena engine: Athena/Trino SQL run by DuckDB over real Iceberg tables.

- ``dialect``: parsing (sqlglot, Athena dialect), statement kinds, DDL pieces, translation to DuckDB.
- ``catalog``: the tables behind the names: Glue (in the emulator) for metadata, pyiceberg for
  Iceberg tables, S3 objects for CSV tables.
- ``engine``: one statement in, an ``Outcome`` (columns, rows, statistics) or an ``AthenaError`` out.
- ``results``: Athena's column types and text values, so pyathena's converters work unchanged.

It talks to the emulator over HTTP like any client, so what it writes is visible to every client.
"""
