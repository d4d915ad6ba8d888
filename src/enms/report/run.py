"""The report of one factory and one local period, built in one call: :func:`build` returns every title,
sentence, table and figure the report notebook shows, in the notebook's order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from enms import __version__, kpis
from enms.report import content, figures, tables, text
from enms.report.iso50001 import iso50001_section
from enms.report.issues import data_issues_in_period, data_issues_markdown
from enms.report.modelled import absent_inputs_section, not_modelled_section
from enms.report.scope import Scope, factory_machines, report_scope

NO_PERFORMANCE = "*No savings result for this period (see the summary above).*"
NO_ANOMALY = "*No anomaly detected in this period.*"
NO_TREND = "*Fewer than three whole months of data up to this period: no trend yet.*"
NO_BASELINES = "*No baseline models available.*"

Shown = str | Styler | Figure
"""What the notebook displays: Markdown text, a table or a figure."""


def machine_sections(frames: Mapping[str, pd.DataFrame], scope: Scope, period: Mapping[str, pd.DataFrame],
                     perf: Mapping[str, Any] | None, expected_hourly: pd.DataFrame | None,
                     incidents: pd.DataFrame | None) -> Iterator[Shown]:
    """Per machine, in name order: a Markdown heading (str), its KPI table, its daily actual-vs-expected figure
    and its incidents in the period (a table, or a sentence when there are none)."""
    machines = factory_machines(frames, scope)
    in_period = content.incidents_in_period(incidents, frames["machines"], scope) if incidents is not None else None
    if expected_hourly is not None:  # the period's hours once, not the whole history scanned per machine
        expected_hourly = expected_hourly[(expected_hourly["bucket"] >= scope.start_utc)
                                          & (expected_hourly["bucket"] < scope.end_utc)]
    for machine in machines.to_dict("records"):
        rated = machine.get("rated_power_kw")
        kind = text.MACHINE_TYPES.get(machine.get("machine_type"),
                                     str(machine.get("machine_type") or "").replace("_", " "))
        extra = f" · rated {rated:,.0f} kW" if rated is not None and pd.notna(rated) else ""
        yield f"### {machine['machine_name']}\n{kind[:1].upper() + kind[1:]}{extra}"
        own = period["machine"][period["machine"]["machine_id"] == machine["machine_id"]]
        yield tables.machine_kpi_table(own, perf, scope)
        if expected_hourly is not None:
            comparison = content.daily_comparison(expected_hourly, machine["machine_id"], scope)
            figure = figures.machine_figure(machine["machine_name"], comparison, perf, machine["machine_id"], scope)
            if figure is not None:
                yield figure
        if in_period is not None:
            mine = in_period[in_period["machine_id"] == machine["machine_id"]]
            if mine.empty:
                yield "No anomaly detected on this machine in the period."
            else:
                yield f"**Anomalies of {machine['machine_name']} in the period** ({len(mine)}, in time order):"
                yield tables.anomalies_table(mine.sort_values("start"), scope, machine=False)



@dataclass(frozen=True)
class Report:
    """Everything the report shows, in order; Markdown text where a table or figure has nothing to show."""

    scope: Scope
    period: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    title: str
    summary_text: str
    energy_note: str
    energy_table: Styler
    data_issues: str  # Markdown: the period's untrusted hours and what was counted ('' when none)
    performance_table: Styler | str
    anomalies_table: Styler | str
    forecast: list[Shown]
    iso50001: list[Shown]  # SEU months with their ISO status, targets, adjustments, model health ([] without them)
    not_modelled: list[Shown]  # heading and table of the series a step could not model ([] when none)
    absent_inputs: str  # Markdown: the inputs the factory's data lack and what was done instead ('' when none)
    daily_figure: Figure
    trend_figure: Figure | str
    demand_table: Styler
    demand_figure: Figure
    tariff_table: Styler
    machines_overview: Styler
    machines: list[Shown]
    gates_table: Styler | str
    tariffs_table: Styler
    carbon_table: Styler
    completeness_table: Styler
    footer: str


def _or(item: Shown | None, fallback: str) -> Shown:
    return fallback if item is None else item


def build(frames: Mapping[str, pd.DataFrame], factory: str, period_start: object = "", period_end: object = "", *,
          gaps: pd.DataFrame | None = None, expected_hourly: pd.DataFrame | None = None,
          candidates: pd.DataFrame | None = None, incidents: pd.DataFrame | None = None,
          forecasts: pd.DataFrame | None = None, factory_month: pd.DataFrame | None = None,
          unusable: pd.DataFrame | None = None, status: Mapping[str, pd.DataFrame] | None = None,
          performance: Mapping[str, pd.DataFrame] | None = None, code_version: str = "",
          enms_version: str = __version__) -> Report:
    """The report of ``factory`` (slug, name or id) over a local period (see :func:`enms.report.resolve_period`).

    ``frames``: the extract step's products; ``gaps`` (quality), ``expected_hourly`` and ``candidates``
    (baselines), ``incidents`` (anomalies), ``forecasts`` (forecasts) and ``factory_month`` (kpis): the other
    steps' products. ``unusable`` (quality): the hours whose energy is not trusted; every figure counts them as
    the KPI step does (:func:`enms.kpis.usable_energy`) and ``data_issues`` lists them. ``status``: the
    ``status`` products of the baselines, anomalies and forecasts steps by step name; ``not_modelled`` lists
    the factory's series one of them could not model. ``performance``: the ISO 50001 step's products
    (:mod:`enms.report.iso50001`). ``code_version`` and ``enms_version`` go into the footer.
    """
    read = frames  # as the meters stored them: the completeness table counts these
    frames = kpis.usable_energy(frames, unusable)
    scope = report_scope(frames, factory, period_start, period_end)
    period = content.period_kpis(frames, scope, expected_hourly)
    summary = content.executive_summary(frames, scope, expected_hourly=expected_hourly, candidates=candidates,
                                        incidents=incidents, forecasts=forecasts, period=period)
    outlook = summary["forecast"]
    forecast = [] if outlook is None else [text.forecast_markdown(outlook), tables.forecast_table(outlook),
                                           figures.forecast_outlook_figure(outlook, scope)]
    split = content.tariff_split(frames, scope)
    machines = frames["machines"]
    in_period = None if incidents is None else content.incidents_in_period(incidents, machines, scope)
    return Report(
        scope=scope, period=period, summary=summary,
        title=text.title_markdown(scope),
        summary_text=text.summary_markdown(summary),
        energy_note=text.energy_note(summary),
        energy_table=tables.energy_table(summary),
        data_issues=data_issues_markdown(data_issues_in_period(unusable, frames, scope)),
        performance_table=_or(None if summary["performance"] is None else
                              tables.performance_table(summary["performance"]), NO_PERFORMANCE),
        anomalies_table=_or(tables.anomalies_table(summary["anomalies"], scope), NO_ANOMALY),
        forecast=forecast,
        iso50001=iso50001_section(performance, frames, scope),
        not_modelled=not_modelled_section(status, frames, scope),
        absent_inputs=absent_inputs_section(frames, scope),
        daily_figure=figures.daily_energy_cost_figure(period["factory_day"], scope),
        trend_figure=_or(figures.trend_figure(factory_month, scope), NO_TREND),
        demand_table=tables.demand_table(period["factory"], scope),
        demand_figure=figures.demand_figure(frames, period["factory"], split, scope),
        tariff_table=tables.tariff_table(split, period["factory"], scope),
        machines_overview=tables.machines_overview(period, summary["performance"], in_period, scope),
        machines=list(machine_sections(frames, scope, period, summary["performance"], expected_hourly, incidents)),
        gates_table=_or(tables.gates_table(candidates, machines, scope), NO_BASELINES),
        tariffs_table=tables.tariffs_appendix_table(frames["tariffs"], scope),
        carbon_table=tables.carbon_appendix_table(frames, scope),
        completeness_table=tables.completeness_table(content.data_completeness(read, scope, gaps)),
        footer=text.footer_markdown(scope, code_version, enms_version),
    )
