"""Step definitions for security checks (filled in by its issue)."""
