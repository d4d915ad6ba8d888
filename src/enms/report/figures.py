"""The report's figures: ``matplotlib.figure.Figure`` objects built without pyplot (no global state; a notebook
shows one by making it the cell's value or with ``display``); calendar axes in the factory's local time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from enms import kpis
from enms.report.scope import Scope, factory_machines
from enms.report.text import ENERGY_LABELS, energy_label, fmt_local, fmt_pct

ENERGY_COLORS = {"electricity": "#1f77b4", "natural_gas": "#ff7f0e", "steam": "#7f7f7f"}


def _date_axis(axis, timezone: str, label: bool = True, days: float = 31) -> None:
    """Local dates on the x axis: ``1 Oct``, ``5 Oct`` … for up to two months, ``Oct 2026`` … beyond."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b" if days <= 62 else "%b %Y"))
    if label:
        axis.set_xlabel(f"local date ({timezone})")
    axis.grid(alpha=0.3)


def _thousands(axis) -> None:
    axis.yaxis.set_major_formatter(mdates.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def daily_energy_cost_figure(factory_day: pd.DataFrame, scope: Scope) -> Figure:
    """Per local day: energy per energy type (one panel each, kWh or native unit) and the day's cost stacked by
    energy type (demand charges are monthly and not in the daily bars)."""
    types = [t for t in ENERGY_LABELS if t in set(factory_day["energy_type"])] + sorted(
        set(factory_day["energy_type"]) - set(ENERGY_LABELS))
    fig = Figure(figsize=(11, 1.9 * len(types) + 2.4), layout="constrained")
    axes = fig.subplots(len(types) + 1, 1, sharex=True, height_ratios=[1] * len(types) + [1.3])
    width = 0.8
    for axis, energy_type in zip(axes, types, strict=False):
        part = factory_day[factory_day["energy_type"] == energy_type].sort_values("period_start")
        unit = part["native_unit"].dropna().iloc[0] if part["native_unit"].notna().any() else "kWh"
        axis.bar(part["period_start"] + pd.Timedelta(hours=12), part["energy_native"], width=width,
                 color=ENERGY_COLORS.get(energy_type, "tab:blue"))
        axis.set_ylabel(f"{unit} per day")
        axis.set_title(f"{energy_label(energy_type)}", loc="left", fontsize=10)
        _thousands(axis)
        _date_axis(axis, scope.timezone, label=False, days=scope.hours / 24)
    cost = factory_day.pivot_table(index="period_start", columns="energy_type", values="energy_cost", aggfunc="sum")
    bottom = np.zeros(len(cost))
    axis = axes[-1]
    for energy_type in types:
        if energy_type not in cost.columns or not cost[energy_type].fillna(0).any():
            continue
        values = cost[energy_type].fillna(0.0).to_numpy()
        axis.bar(cost.index + pd.Timedelta(hours=12), values, width=width, bottom=bottom,
                 color=ENERGY_COLORS.get(energy_type, "tab:blue"), label=energy_label(energy_type))
        bottom += values
    axis.set_ylabel(f"{scope.currency} per day")
    axis.set_title("Energy cost (without the monthly demand charge)", loc="left", fontsize=10)
    axis.legend(loc="upper left", fontsize="small", ncols=3)
    _thousands(axis)
    _date_axis(axis, scope.timezone, days=scope.hours / 24)
    fig.suptitle(f"{scope.factory_name}: daily energy and cost, {scope.label}", fontsize=12)
    return fig


def demand_figure(frames: Mapping[str, pd.DataFrame], factory_kpis: pd.DataFrame, tariffs_split: pd.DataFrame,
                  scope: Scope) -> Figure:
    """Left: the factory's 15-minute demand over the period (kW, local time) with the peak marked. Right: the
    average demand by local time of day, weekdays and weekends, with the tariff windows shaded. Meters coarser
    than 15 minutes have no demand; with only such meters the figure says so."""
    machines = factory_machines(frames, scope)
    quarter = frames["energy_15min"]
    quarter = kpis.demand_energy(quarter[quarter["machine_id"].isin(machines["machine_id"])], machines)
    if quarter.empty:  # hourly meters only (imported data): no 15-minute demand to show
        fig = Figure(figsize=(11, 1.2), layout="constrained")
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0, 0.5, "No 15-minute demand: the factory's meters read hourly or coarser.", fontsize=10)
        return fig
    profile = kpis.demand_profile(quarter, machines, level="factory", start=pd.Timestamp(scope.start),
                                  end=pd.Timestamp(scope.end))
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    left.plot(profile["local_time"], profile["demand_kw"], linewidth=0.5, color="#1f77b4")
    elec = factory_kpis[factory_kpis["energy_type"] == "electricity"]
    if len(elec) and pd.notna(elec["peak_kw"].iloc[0]):
        peak, when = elec["peak_kw"].iloc[0], elec["peak_start_local"].iloc[0]
        left.plot([when], [peak], marker="o", color="tab:red")
        left.annotate(f"peak {peak:,.1f} kW, {fmt_local(when)}", (when, peak), xytext=(0, 10),
                      textcoords="offset points", fontsize=8, color="tab:red", ha="center", va="bottom",
                      bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        left.set_ylim(0, peak * 1.25)
    left.set_ylabel("15-minute demand (kW)")
    if not len(elec) or pd.isna(elec["peak_kw"].iloc[0]):
        left.set_ylim(bottom=0)
    left.set_title("Demand over the period", loc="left", fontsize=10)
    _date_axis(left, scope.timezone, days=scope.hours / 24)
    local = profile["local_time"]
    slot = local.dt.hour + local.dt.minute / 60.0
    weekend = local.dt.day_of_week >= 5
    for mask, label, style in ((~weekend, "Mon–Fri", "-"), (weekend, "Sat–Sun", "--")):
        if mask.any():
            mean = profile["demand_kw"][mask].groupby(slot[mask]).mean()
            right.plot(mean.index, mean.to_numpy(), style, label=label, color="#1f77b4")
    peak_windows = tariffs_split[tariffs_split["rate_per_kwh"] == tariffs_split["rate_per_kwh"].max()] if len(
        tariffs_split) > 1 else tariffs_split.iloc[0:0]
    shaded = False
    for row in peak_windows.to_dict("records"):
        match = re.match(r"(\d{2}):00–(\d{2}):00", row["when"])
        if match:
            lo, hi = int(match.group(1)), int(match.group(2)) or 24
            spans = [(lo, hi)] if lo < hi else [(lo, 24), (0, hi)]
            for a, b in spans:
                right.axvspan(a, b, color="tab:orange", alpha=0.15, linewidth=0,
                              label=None if shaded else f"{row['name']}: {row['when']}")
                shaded = True
    right.set_xlim(0, 24)
    right.set_xticks(range(0, 25, 6))
    right.set_xticklabels([f"{h:02d}:00" for h in range(0, 25, 6)])
    right.set_ylim(bottom=0)
    right.set_xlabel("local time of day")
    right.set_ylabel("average demand (kW)")
    right.set_title("Average day", loc="left", fontsize=10)
    right.legend(loc="lower center", fontsize="small")
    right.grid(alpha=0.3)
    return fig


def trend_figure(factory_month: pd.DataFrame, scope: Scope, months: int = 13) -> Figure | None:
    """The last ``months`` whole local months up to the period (from the kpis step's ``factory_month``):
    electricity (kWh) and total cost per month, the report's month highlighted; None with fewer than 3 months."""
    if factory_month is None or factory_month.empty:
        return None
    own = factory_month[(factory_month["factory_id"] == scope.factory_id) & factory_month["complete"]
                        & (factory_month["period_start"] < pd.Timestamp(scope.end))]
    if own.empty:
        return None
    firsts = sorted(own["period_start"].unique())[-months:]
    if len(firsts) < 3:  # no trend to show yet
        return None
    own = own[own["period_start"].isin(firsts)]
    cost = own.groupby("period_start")["total_cost"].sum()
    elec = own[own["energy_type"] == "electricity"].set_index("period_start")["energy_kwh"].reindex(cost.index)
    labels = [f"{pd.Timestamp(p):%b\n%Y}" for p in cost.index]
    current = [pd.Timestamp(p).date() >= scope.start for p in cost.index]
    colors = ["#1f77b4" if c else "#aec7e8" for c in current]
    fig = Figure(figsize=(11, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(cost))
    left.bar(x, elec.to_numpy() / 1000.0, color=colors)
    left.set_ylabel("electricity (MWh per month)")
    right.bar(x, cost.to_numpy() / 1000.0, color=["#2ca02c" if c else "#98df8a" for c in current])
    right.set_ylabel(f"total cost (thousand {scope.currency})")
    for axis, title in ((left, "Electricity"), (right, "Total cost, all energy types, with demand charges")):
        axis.set_xticks(x)
        axis.set_xticklabels(labels, fontsize=8)
        axis.set_title(title, loc="left", fontsize=10)
        axis.grid(alpha=0.3, axis="y")
    fig.suptitle("Month by month (local calendar months; this report's period in the darker colour)", fontsize=11)
    return fig


def machine_figure(machine_name: str, comparison: pd.DataFrame, perf: Mapping[str, Any] | None, machine_id: str,
                   scope: Scope) -> Figure | None:
    """Daily actual vs expected energy of one machine (one panel per energy type), the EnPI in the title."""
    if comparison.empty:
        return None
    types = [t for t in ENERGY_LABELS if t in set(comparison["energy_type"])]
    fig = Figure(figsize=(11, 2.5 * len(types) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(types), 1, sharex=True))
    series = perf["series"].set_index(["machine_id", "energy_type"]) if perf is not None else None
    for axis, energy_type in zip(axes, types, strict=True):
        part = comparison[comparison["energy_type"] == energy_type].sort_values("day")
        center = part["day"] + pd.Timedelta(hours=12)
        axis.bar(center, part["actual_kwh"], width=0.8, color=ENERGY_COLORS.get(energy_type, "tab:blue"),
                 alpha=0.75, label="actual")
        axis.plot(center, part["expected_kwh"], color="black", marker="o", markersize=3, linewidth=1.2,
                  label="model prediction, out of sample (baseline year)" if (part["kind"] == "baseline").all()
                  else "expected (baseline)")
        baseline = part["kind"] == "baseline"
        if baseline.any() and not baseline.all():
            days = part["day"][baseline]
            axis.axvspan(days.min(), days.max() + pd.Timedelta(days=1), color="0.85", alpha=0.5, linewidth=0,
                         label="baseline year (model check)")
        title = f"{machine_name}, {energy_label(energy_type).lower()}"
        if series is not None and (machine_id, energy_type) in series.index:
            row = series.loc[(machine_id, energy_type)]
            if row["status"] == "reporting":
                title += (f": EnPI {row['enpi']:.3f} (actual ÷ expected), avoided "
                          f"{fmt_pct(row['avoided_pct'], sign=True)}")
            elif row["status"] == "baseline period":
                title += ": baseline year, no EnPI yet"
            else:
                title += f": {row['status']}"
        axis.set_title(title, loc="left", fontsize=10)
        axis.set_ylabel("kWh per day\n(normal hours)")
        _thousands(axis)
        _date_axis(axis, scope.timezone, label=axis is axes[-1], days=scope.hours / 24)
    axes[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", ncols=3, frameon=False)
    return fig


def forecast_outlook_figure(forecast: Mapping[str, Any] | None, scope: Scope) -> Figure | None:
    """Next week's forecast of the factory (:func:`enms.report.content.forecast_outlook`): kWh per local day and
    energy type with its band; days the forecast covers only in part are pale.

    Not :func:`enms.plots.forecast_figure`, the forecasts step's hourly view of one series after two weeks of
    actual energy: this one is the stakeholder's daily outlook of a whole factory."""
    if forecast is None:
        return None
    daily = forecast["daily"]
    types = [t for t in ENERGY_LABELS if t in set(daily["energy_type"])]
    fig = Figure(figsize=(11, 2.4 * len(types) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(types), 1, sharex=True))
    for axis, energy_type in zip(axes, types, strict=True):
        part = daily[daily["energy_type"] == energy_type].sort_values("day")
        center = part["day"] + pd.Timedelta(hours=12)
        low = (part["predicted_kwh"] - part["lower_kwh"]).clip(lower=0)
        high = (part["upper_kwh"] - part["predicted_kwh"]).clip(lower=0)
        bars = axis.bar(center, part["predicted_kwh"], width=0.8, color=ENERGY_COLORS.get(energy_type, "tab:blue"),
                        alpha=0.75, yerr=[low.to_numpy(), high.to_numpy()], capsize=3, ecolor="0.3")
        for bar, hours in zip(bars, part["hours"], strict=True):
            if hours < 23:  # the forecast starts or ends inside this local day
                bar.set_alpha(0.3)
                axis.annotate(f"{hours:.0f} h only", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                              xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7, color="0.3")
        axis.set_ylabel("kWh per day")
        axis.set_title(f"{energy_label(energy_type)}: forecast with its 90 % band", loc="left", fontsize=10)
        _thousands(axis)
        _date_axis(axis, scope.timezone, label=axis is axes[-1])
    return fig


def monthly_cost_figure(factory_month: pd.DataFrame) -> Figure:
    """Per factory (one panel each): total cost per whole local month stacked by energy type (money in the
    factory's currency, demand charges included) and the month's peak 15-minute demand (kW, right axis)."""
    factories = sorted(factory_month["factory_name"].unique())
    fig = Figure(figsize=(11, 3.2 * len(factories)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(factories), 1))
    for axis, name in zip(axes, factories, strict=True):
        part = factory_month[(factory_month["factory_name"] == name) & factory_month["complete"]]
        cost = part.pivot_table(index="period_start", columns="energy_type", values="total_cost", aggfunc="sum")
        x = np.arange(len(cost))
        bottom = np.zeros(len(cost))
        for energy_type in [t for t in ENERGY_LABELS if t in cost.columns]:
            values = cost[energy_type].fillna(0.0).to_numpy() / 1000.0
            if values.any():
                axis.bar(x, values, bottom=bottom, color=ENERGY_COLORS[energy_type], label=energy_label(energy_type))
                bottom += values
        currency = part["currency"].dropna().iloc[0] if part["currency"].notna().any() else ""
        axis.set_ylabel(f"total cost (thousand {currency})")
        axis.set_xticks(x)
        axis.set_xticklabels([f"{pd.Timestamp(p):%b\n%Y}" for p in cost.index], fontsize=8)
        peak = part[part["energy_type"] == "electricity"].set_index("period_start")["peak_kw"].reindex(cost.index)
        twin = axis.twinx()
        twin.plot(x, peak.to_numpy(), color="black", marker="o", markersize=3, label="peak 15-min demand")
        twin.set_ylabel("peak demand (kW)")
        twin.set_ylim(bottom=0)
        axis.set_title(f"{name} ({part['timezone'].iloc[0]})", loc="left", fontsize=10)
        axis.grid(alpha=0.3, axis="y")
        handles = axis.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        labels = axis.get_legend_handles_labels()[1] + twin.get_legend_handles_labels()[1]
        axis.legend(handles, labels, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", ncols=4,
                    frameon=False)
    return fig
