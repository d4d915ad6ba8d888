"""The stakeholder report of one factory and one local period: figures, tables and sentences a plant manager reads.

Pure functions: frames in, frames / dicts / matplotlib figures / Markdown strings out. Nothing here reads files,
the warehouse, a notebook or Ploomber; ``notebooks/report.py`` loads the products, calls :func:`build` once and
shows what it returns.

* ``scope``: the factory and the local period (half-open local dates in the factory's IANA zone);
* ``content``: the computations (period KPIs, M&V performance, incidents, forecast outlook, executive summary);
* ``text``: number formats and Markdown sentences; ``tables``: display tables (``Styler``);
  ``figures``: matplotlib figures (local time on calendar axes); ``run``: :func:`build`.

The KPI step's monthly views (:func:`factory_month_view`, :func:`latest_machine_month_view`,
:func:`monthly_cost_figure`) live here too: they share the report's formats and colours.
"""

from enms.report.content import (
                                 PERIOD_TABLES,
                                 daily_comparison,
                                 data_completeness,
                                 energy_overview,
                                 executive_summary,
                                 forecast_outlook,
                                 incidents_in_period,
                                 performance,
                                 period_kpis,
                                 tariff_schedule,
                                 tariff_split,
)
from enms.report.figures import (
                                 ENERGY_COLORS,
                                 daily_energy_cost_figure,
                                 demand_figure,
                                 forecast_outlook_figure,
                                 machine_figure,
                                 monthly_cost_figure,
                                 trend_figure,
)
from enms.report.modelled import (
                                 absent_inputs,
                                 absent_inputs_section,
                                 not_modelled,
                                 not_modelled_section,
                                 not_modelled_table,
)
from enms.report.run import Report, build, machine_sections
from enms.report.scope import (
                                 Scope,
                                 factory_machines,
                                 factory_table,
                                 last_full_month,
                                 period_label,
                                 report_filename,
                                 report_scope,
                                 resolve_factory,
                                 resolve_period,
                                 slug,
)
from enms.report.tables import (
                                 anomalies_table,
                                 carbon_appendix_table,
                                 completeness_table,
                                 demand_table,
                                 energy_table,
                                 factory_month_view,
                                 forecast_table,
                                 gates_table,
                                 latest_machine_month_view,
                                 machine_kpi_table,
                                 machines_overview,
                                 performance_table,
                                 styled,
                                 tariff_table,
                                 tariffs_appendix_table,
)
from enms.report.text import (
                                 ANOMALY_LABELS,
                                 BASELINE_MODELS,
                                 ENERGY_LABELS,
                                 MACHINE_TYPES,
                                 energy_label,
                                 energy_note,
                                 fmt_local,
                                 fmt_money,
                                 fmt_number,
                                 fmt_pct,
                                 fmt_sig,
                                 footer_markdown,
                                 forecast_markdown,
                                 headlines,
                                 machine_highlights,
                                 performance_lines,
                                 performance_sentence,
                                 summary_markdown,
                                 title_markdown,
)

__all__ = [
    "ANOMALY_LABELS", "BASELINE_MODELS", "ENERGY_COLORS", "ENERGY_LABELS", "MACHINE_TYPES", "PERIOD_TABLES",
    "Report", "Scope", "absent_inputs", "absent_inputs_section", "anomalies_table", "build", "carbon_appendix_table",
    "completeness_table", "daily_comparison", "daily_energy_cost_figure", "data_completeness", "demand_figure",
    "demand_table",
    "energy_label", "energy_note", "energy_overview", "energy_table", "executive_summary", "factory_machines",
    "factory_month_view", "factory_table", "fmt_local", "fmt_money", "fmt_number", "fmt_pct", "fmt_sig",
    "footer_markdown", "forecast_markdown", "forecast_outlook", "forecast_outlook_figure", "forecast_table",
    "gates_table", "headlines", "incidents_in_period", "last_full_month", "latest_machine_month_view",
    "machine_figure", "machine_highlights", "machine_kpi_table", "machine_sections", "machines_overview",
    "monthly_cost_figure", "not_modelled", "not_modelled_section", "not_modelled_table", "performance",
    "performance_lines", "performance_sentence", "performance_table",
    "period_kpis", "period_label", "report_filename", "report_scope", "resolve_factory", "resolve_period", "slug",
    "styled", "summary_markdown", "tariff_schedule", "tariff_split", "tariff_table", "tariffs_appendix_table",
    "title_markdown", "trend_figure",
]
