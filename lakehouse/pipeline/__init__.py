"""The lakehouse's own pipeline: land CSVs in Bronze, build Silver and Gold with Athena SQL.

The SQL lives in ``pipeline/sql/`` (Athena dialect, the same files on both targets); this
package lands the files, renders and runs the statements, and reports what happened,
including every row it refused and why.
"""
