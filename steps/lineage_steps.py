"""Step definitions for lineage checks (filled in by its issue)."""
