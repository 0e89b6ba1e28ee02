"""KPIs of the plan, measured for real: one module per KPI, each ending in a ``lakehouse.outcome.Outcome``.

Like ``lakehouse.checks``, nothing here imports pytest; ``steps/outcomes.py`` records the
outcome in the evidence and turns ``skipped`` into a skipped scenario (never ``passed``).
"""
