"""Reports: Markdown, JSON and self-contained HTML with interactive plotly figures."""

from __future__ import annotations

from measurand.report.document import Report, Section, md_table, report_files, write_report

__all__ = ["Report", "Section", "md_table", "report_files", "write_report"]
