"""Lineage: OpenLineage events from the pipeline, a Marquez client, and a Marquez-compatible service.

- ``naming``: dataset namespaces and names per the OpenLineage naming spec (S3, Athena, files).
- ``sqlio``: what a SQL statement reads and writes, derived from the SQL with sqlglot.
- ``events``: RunEvents built with openlineage-python.
- ``emitter``: the pipeline listener that sends them, counting failures instead of raising.
- ``client``: Marquez's REST API (real Marquez on ``aws``, ours locally).
- ``service``: the local Marquez-API-compatible service (Flask + SQLite) with its lineage page.
"""
