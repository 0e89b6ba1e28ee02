"""Step definitions for kpi checks (filled in by its issue)."""
