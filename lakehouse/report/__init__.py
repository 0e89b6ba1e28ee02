"""The evidence report: ``reports/evidence.html`` rendered from ``reports/evidence.json``.

``model`` turns the evidence into view objects, ``artifacts`` reads attached files within
size limits, ``render`` fills the Jinja2 templates in ``templates/`` and writes the page.
"""

from lakehouse.report.render import REPORT_NAME, Rendered, ReportError, load_evidence, render_report

__all__ = ["REPORT_NAME", "Rendered", "ReportError", "load_evidence", "render_report"]
