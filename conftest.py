"""Root conftest: loads the harness's pytest plugin and its step definitions.

`pytest features/` collects the .feature files directly (see steps/collection.py).
"""

pytest_plugins = [
    "steps.collection",
    "steps.options",
    "steps.stack",
    "steps.evidence",
    "steps.deploy_steps",
    "steps.data_steps",
    "steps.ci_steps",
    "steps.finops_steps",
    "steps.security_steps",
    "steps.lineage_steps",
    "steps.kpi_steps",
    "steps.chaos_steps",
    "steps.guard_steps",
    "steps.model_steps",
    "steps.catalog_steps",
]
