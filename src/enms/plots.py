"""Matplotlib figures the notebooks and reports show (units on every axis, local time on calendar axes)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def _shade(axis, starts: pd.Series, ends: pd.Series, timezone: str, alpha: float) -> None:
    """Red spans from ``starts`` to ``ends`` (UTC instants) on a local-time axis."""
    for start, end in zip(starts, ends, strict=True):
        axis.axvspan(start.tz_convert(timezone), end.tz_convert(timezone), color="tab:red", alpha=alpha, linewidth=0)


def _daily_panel(axis, title: str) -> None:
    """Label, title, legend and grid of a panel of kWh per local day."""
    axis.set_ylabel("kWh per local day")
    axis.set_title(title)
    axis.legend(loc="upper left", fontsize="small")
    axis.grid(alpha=0.3)


def machine_quality_figure(machine: pd.Series, energy_hourly: pd.DataFrame, mask: pd.DataFrame,
                           gaps: pd.DataFrame) -> Figure:
    """Daily energy per energy type (kWh per local day) with data gaps shaded, above the daily share of
    hours in normal operation (%), for one machine (a row of the extract's ``machines``)."""
    zone = machine["timezone"]
    energy = energy_hourly[energy_hourly["machine_id"] == machine["machine_id"]]
    hours = mask[mask["machine_id"] == machine["machine_id"]]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(11, 4.2), height_ratios=[3, 1],
                                      layout="constrained")
    for energy_type, group in energy.groupby("energy_type"):
        daily = group.set_index(group["bucket"].dt.tz_convert(zone))["total_energy_kwh"].resample("D").sum(
            min_count=1)
        top.plot(daily.index, daily.to_numpy(), label=energy_type, linewidth=1)
    own = gaps[gaps["machine_id"] == machine["machine_id"]]
    _shade(top, own["gap_start"], own["gap_end"], zone, alpha=0.25)
    _daily_panel(top, f"{machine['machine_name']} ({machine['factory_name']}, {zone}): energy, with data gaps in red")
    normal = hours.set_index(hours["bucket"].dt.tz_convert(zone))["is_normal"].astype(float).resample("D").mean()
    bottom.fill_between(normal.index, 100 * normal.to_numpy(), step="post", color="tab:green", alpha=0.6)
    bottom.set_ylim(0, 100)
    bottom.set_ylabel("normal hours %")
    bottom.set_xlabel(f"local date ({zone})")
    bottom.grid(alpha=0.3)
    return fig


def _local_days(hourly: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Actual and expected kWh of hourly rows summed per local day of ``timezone``."""
    local = hourly.set_index(hourly["bucket"].dt.tz_convert(timezone))
    return local[["actual_kwh", "expected_kwh"]].resample("D").sum(min_count=1)


def baseline_figure(series_name: str, timezone: str, expected_hourly: pd.DataFrame, cusum: pd.DataFrame,
                    reporting_start: pd.Timestamp) -> Figure:
    """Actual vs expected energy per local day (kWh), the daily residual (kWh), and the CUSUM of
    expected − actual over the reporting period (kWh), for one machine and energy type.

    ``expected_hourly`` holds out-of-fold predictions in the baseline year (never in-sample) and the
    baseline model's predictions after it; only normal-operation hours are compared.
    """
    normal = expected_hourly[expected_hourly["is_normal"]]
    daily = _local_days(normal, timezone)
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 6.4), height_ratios=[3, 1.4, 1.6],
                                              layout="constrained")
    top.plot(daily.index, daily["actual_kwh"], linewidth=0.9, label="actual")
    top.plot(daily.index, daily["expected_kwh"], linewidth=0.9, label="expected (baseline)")
    start_local = reporting_start.tz_convert(timezone)
    for axis in (top, middle):
        axis.axvline(start_local, color="black", linestyle="--", linewidth=0.8)
        axis.grid(alpha=0.3)
    top.set_ylabel("kWh per local day\n(normal hours)")
    top.set_title(f"{series_name}: actual vs baseline; reporting period from the dashed line")
    top.legend(loc="upper left", fontsize="small")
    residual = daily["actual_kwh"] - daily["expected_kwh"]
    middle.bar(residual.index, residual.to_numpy(), width=1.0, color="tab:gray")
    middle.set_ylabel("actual − expected\nkWh per day")
    if not cusum.empty:
        time = pd.to_datetime(cusum["time"], utc=True).dt.tz_convert(timezone)
        bottom.plot(time, cusum["cusum_kwh"], color="tab:green")
        bottom.axhline(0, color="black", linewidth=0.6)
    bottom.set_ylabel("CUSUM of\nexpected − actual, kWh")
    bottom.set_xlabel(f"local date ({timezone})")
    bottom.grid(alpha=0.3)
    return fig


def anomaly_timeline(series_name: str, timezone: str, frame: pd.DataFrame, incidents: pd.DataFrame,
                     truth: pd.DataFrame) -> Figure:
    """Daily actual and expected energy (kWh per local day) of one machine and energy type, with detected
    incidents shaded red and the simulator's injected faults (where known) marked as orange bars below."""
    daily = _local_days(frame, timezone)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(11, 3.8), height_ratios=[4, 1],
                                      layout="constrained")
    top.plot(daily.index, daily["actual_kwh"], linewidth=0.8, label="actual")
    top.plot(daily.index, daily["expected_kwh"], linewidth=0.8, label="expected (baseline)")
    _shade(top, incidents["start"], incidents["end"], timezone, alpha=0.3)
    _daily_panel(top, f"{series_name}: detected incidents in red")
    for fault in truth.itertuples():
        start, end = fault.start_time.tz_convert(timezone), fault.end_time.tz_convert(timezone)
        bottom.axvspan(start, end, color="tab:orange", alpha=0.8, linewidth=0)
        bottom.text(start, 0.5, f" {fault.fault_type}", fontsize=7, va="center")
    bottom.set_yticks([])
    bottom.set_ylabel("injected\nfaults", fontsize=8)
    bottom.set_xlabel(f"local date ({timezone})")
    return fig


def forecast_figure(title: str, timezone: str, history: pd.DataFrame, forecast: pd.DataFrame,
                    unit: str = "kWh per hour") -> Figure:
    """The last two weeks of actual hourly energy and the 168-h forecast with its 90 % interval (local time).

    ``history``: bucket, total_energy_kwh; ``forecast``: bucket, predicted_kwh, lower_kwh, upper_kwh.
    """
    fig, axis = plt.subplots(figsize=(11, 3.4), layout="constrained")
    recent = history[history["bucket"] >= history["bucket"].max() - pd.Timedelta(days=14)]
    axis.plot(recent["bucket"].dt.tz_convert(timezone), recent["total_energy_kwh"], linewidth=0.8, color="black",
              label="actual")
    when = forecast["bucket"].dt.tz_convert(timezone)
    axis.plot(when, forecast["predicted_kwh"], linewidth=0.9, color="tab:blue", label="forecast")
    axis.fill_between(when, forecast["lower_kwh"], forecast["upper_kwh"], color="tab:blue", alpha=0.2,
                      label="90 % interval")
    axis.set_ylabel(unit)
    axis.set_xlabel(f"local time ({timezone})")
    axis.set_title(title)
    axis.legend(loc="upper left", fontsize="small")
    axis.grid(alpha=0.3)
    return fig


# ------------------------------------------------------------------------------------------------ one per series
# The step notebooks show a figure per machine or series; these build the list from a step's result, so no
# notebook loops over machines. The results are duck-typed: plots imports no capability.
FIGURES_PER_PAGE = 12
"""Per-series figures a step page draws at most (the first in machine order): a fleet of 1,000 machines would
spend minutes drawing a page nobody scrolls; every series stays in the page's tables and the step's products."""


def quality_figures(result, limit: int = FIGURES_PER_PAGE) -> list[Figure]:
    """Per machine of a quality ``QualityResult`` (the first ``limit``): :func:`machine_quality_figure`."""
    return [machine_quality_figure(machine, result.energy_hourly, result.normal_mask, result.gaps)
            for _, machine in result.machines.head(limit).iterrows()]


def baseline_figures(result, limit: int = FIGURES_PER_PAGE) -> list[Figure]:
    """Per series of a ``BaselinesResult`` (the first ``limit`` with expected energy): :func:`baseline_figure`."""
    return [baseline_figure(**panel) for panel in result.figure_panels()[:limit]]


def anomaly_figures(detection, machines: pd.DataFrame, truth: pd.DataFrame,
                    limit: int = FIGURES_PER_PAGE) -> list[Figure]:
    """Per machine and energy type of a ``Detection`` (the first ``limit`` series with a timeline):
    :func:`anomaly_timeline`, with the injected faults of ``truth`` (empty outside the demo plant)."""
    return [anomaly_timeline(*panel) for panel in detection.timelines(machines, truth, limit)]


def forecast_figures(run, machines: pd.DataFrame, factories: pd.DataFrame,
                     energy_hourly: pd.DataFrame, limit: int = FIGURES_PER_PAGE) -> list[Figure]:
    """The 168-h forecast of the chosen model after the last two weeks of actual energy (kWh per hour) of a
    ``ForecastRun``: one figure per machine and energy type (``machines.energy_types``; the first ``limit``
    series with a forecast), then one per factory (the first ``limit``) for the sum of its machines' electricity;
    a series or factory without a forecast has none (the run's ``status`` says why)."""
    figures = []
    for machine, energy_type in ((m, e) for m in machines.itertuples() for e in m.energy_types):
        if len(figures) == limit:
            break
        history, forecast = run.series(machine.machine_id, energy_type, energy_hourly)
        if len(forecast):
            figures.append(forecast_figure(f"{machine.machine_name} ({energy_type})", machine.timezone, history,
                                           forecast))
    for factory in factories.head(limit).itertuples():
        history, forecast = run.factory_total(factory.factory_id, machines, energy_hourly)
        if len(forecast):
            figures.append(forecast_figure(f"{factory.factory_name}: electricity of all machines", factory.timezone,
                                           history, forecast))
    return figures
