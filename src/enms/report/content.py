"""The report's computations: the period's KPIs, energy performance against the baselines (M&V), incidents,
next week's forecast, the executive summary's figures, tariffs and data completeness.

Raw numbers stay numbers in the frames these functions return (:mod:`enms.report.tables` turns them into display
tables). Every KPI comes from :mod:`enms.kpis` (local-time tariffs, 15-minute demand, carbon factors per local
date, energy types never summed). Performance against the baseline counts only the reporting period (after the
baseline year) and hours in normal operation, with the ASHRAE Guideline 14 uncertainty of the model that produced
``expected_hourly``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from enms import kpis
from enms import metrics as mx
from enms.localtime import local_wall_time, wall_clock
from enms.report.scope import Scope, factory_machines, tariffs_in_period
from enms.report.text import ENERGY_LABELS, day_text, days_text, energy_label, headlines, hours_text
from enms.settings import CONFIDENCE

PERIOD_TABLES = ("factory", "machine", "factory_day", "machine_day")


def period_kpis(frames: Mapping[str, pd.DataFrame], scope: Scope, expected_hourly: pd.DataFrame | None = None, *,
                tables: tuple[str, ...] = PERIOD_TABLES) -> dict[str, pd.DataFrame]:
    """The KPI tables of the period (:func:`enms.kpis.kpi_table`): ``factory`` and ``machine`` (one row per
    energy type over the whole period), ``factory_day`` and ``machine_day`` (per local day); ``tables`` picks
    some. With ``expected_hourly`` (the baselines step's product) the regression EnPI of the period tables covers
    the M&V hours (:func:`enms.kpis.mv_expected`: reporting period, normal operation)."""
    unknown = sorted(set(tables) - set(PERIOD_TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(PERIOD_TABLES)}")
    expected = None if expected_hourly is None else kpis.mv_expected(expected_hourly)
    start, end = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    out = {}
    for name in tables:
        level, _, freq = name.partition("_")
        out[name] = kpis.kpi_table(frames, scope.factory_id, start, end, freq=freq or None, level=level,
                                   expected=None if freq else expected)
    return out


def energy_overview(factory_kpis: pd.DataFrame) -> pd.DataFrame:
    """Per energy type of the factory (rows in the order electricity, natural gas, steam): ``energy_kwh``,
    ``energy_native`` in ``native_unit``, ``energy_cost``, ``demand_charge``, ``total_cost``, ``currency``,
    ``carbon_t`` (t CO₂e), ``peak_kw`` and ``peak_start_local`` (electricity), ``load_factor``."""
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    table = factory_kpis.assign(order=factory_kpis["energy_type"].map(order).fillna(len(order)))
    table = table.sort_values("order", ignore_index=True)
    out = table[["energy_type", "energy_kwh", "energy_native", "native_unit", "energy_cost", "demand_charge",
                 "total_cost", "currency", "carbon_kg", "peak_kw", "peak_start_local", "load_factor"]].copy()
    out["demand_charge"] = out["demand_charge"].where(out["energy_type"] == "electricity")
    out["carbon_t"] = out.pop("carbon_kg") / 1000.0
    return out


def _candidate_stats(candidates: pd.DataFrame | None) -> pd.DataFrame:
    """Per machine and energy type: the model behind ``expected_hourly`` (the best hourly candidate, else the
    selected one) with its out-of-sample CV(RMSE), n, ρ and p, and whether the series' baseline is active."""
    columns = ["machine_id", "energy_type", "model", "cv_rmse_oos", "n_in", "rho_in", "n_params", "active"]
    if candidates is None or candidates.empty:
        return pd.DataFrame(columns=columns)
    frame = candidates.copy()
    rank = np.where(frame.get("best_hourly", False), 0, np.where(frame.get("selected", False), 1, 2))
    frame = frame.assign(rank=rank).sort_values("rank")
    frame = frame[frame["rank"] < 2]
    active = candidates.groupby(["machine_id", "energy_type"])["is_active"].any().rename("active")
    chosen = frame.drop_duplicates(["machine_id", "energy_type"]).join(active, on=["machine_id", "energy_type"])
    return chosen[columns].reset_index(drop=True)


def performance(expected_hourly: pd.DataFrame, candidates: pd.DataFrame | None, machines: pd.DataFrame,
                scope: Scope, *, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Energy performance against the baselines over the period (M&V, IPMVP option C per machine).

    Over the period's hours in normal operation after the baseline year: expected (baseline) and actual kWh,
    avoided = expected − actual (positive = saved), its % of expected, and the ASHRAE Guideline 14 interval at
    ``confidence``: half-width = 1.26 · t · CV(RMSE) · √((n/n′)(1 + 2/n)/m) × expected, with the out-of-sample
    CV(RMSE), n, lag-1 ρ and p of the model behind ``expected_hourly`` and m the hours compared.

    Returns ``series`` (per machine and energy type, with ``status``: ``reporting``, ``baseline period``,
    ``inactive baseline`` or ``no data``) and ``by_energy`` (per energy type over the machines with an active
    baseline; the half-widths combine as a root sum of squares, taking the machines' model errors as
    independent), and ``status`` (the scope's ``mv_status``).
    """
    own = machines[machines["factory_id"] == scope.factory_id]
    names = own.set_index("machine_id")["machine_name"]
    frame = expected_hourly[expected_hourly["machine_id"].isin(names.index)
                            & (expected_hourly["bucket"] >= scope.start_utc)
                            & (expected_hourly["bucket"] < scope.end_utc)]
    if "is_normal" in frame.columns:
        frame = frame[frame["is_normal"].fillna(False).astype(bool)]
    reporting = (frame["period"] == "reporting") if "period" in frame.columns else (
        frame["bucket"] >= scope.reporting_start_utc)
    stats = _candidate_stats(candidates).set_index(["machine_id", "energy_type"])
    rows = []
    for (machine_id, energy_type), part in frame.groupby(["machine_id", "energy_type"], sort=True):
        mv = part[reporting.loc[part.index]]
        row = {"machine_id": machine_id, "machine_name": names[machine_id], "energy_type": energy_type,
               "baseline_hours": int(len(part) - len(mv)), "m": int(len(mv)),
               "expected_kwh": float(mv["expected_kwh"].sum()), "actual_kwh": float(mv["actual_kwh"].sum())}
        info = stats.loc[(machine_id, energy_type)] if (machine_id, energy_type) in stats.index else None
        row["model"] = None if info is None else info["model"]
        active = True if info is None else bool(info["active"])
        if mv.empty:
            row["status"] = "baseline period" if len(part) else "no data"
        elif not active:
            row["status"] = "inactive baseline"
        else:
            row["status"] = "reporting"
        row["avoided_kwh"] = row["expected_kwh"] - row["actual_kwh"] if len(mv) else math.nan
        half = math.nan
        if len(mv) and info is not None and pd.notna(info["cv_rmse_oos"]):
            unc = mx.savings_uncertainty(float(info["cv_rmse_oos"]), int(info["n_in"]), len(mv),
                                         float(info["rho_in"]), n_params=int(info["n_params"]),
                                         confidence=confidence, expected=row["expected_kwh"])
            half = unc["half_width_kwh"]
        row["half_width_kwh"] = half
        rows.append(row)
    columns = ["machine_id", "machine_name", "energy_type", "model", "status", "m", "baseline_hours",
               "expected_kwh", "actual_kwh", "avoided_kwh", "half_width_kwh"]
    series = pd.DataFrame(rows, columns=columns)
    series = _interval_columns(series)
    counted = series[series["status"] == "reporting"]
    by_energy = counted.groupby("energy_type", sort=False).agg(
        machines=("machine_id", "nunique"), m=("m", "sum"), expected_kwh=("expected_kwh", "sum"),
        actual_kwh=("actual_kwh", "sum"), avoided_kwh=("avoided_kwh", "sum"),
        half_width_kwh=("half_width_kwh", lambda h: float(np.sqrt(np.sum(np.square(h))))),
    ).reset_index()
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    by_energy = _interval_columns(by_energy.sort_values("energy_type", key=lambda s: s.map(order),
                                                        ignore_index=True))
    return {"series": series, "by_energy": by_energy, "status": scope.mv_status, "confidence": confidence}


def _interval_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    expected = frame["expected_kwh"].where(frame["expected_kwh"] > 0)
    frame["avoided_pct"] = 100.0 * frame["avoided_kwh"] / expected
    frame["lower_kwh"] = frame["avoided_kwh"] - frame["half_width_kwh"]
    frame["upper_kwh"] = frame["avoided_kwh"] + frame["half_width_kwh"]
    frame["lower_pct"] = 100.0 * frame["lower_kwh"] / expected
    frame["upper_pct"] = 100.0 * frame["upper_kwh"] / expected
    frame["enpi"] = frame["actual_kwh"] / expected
    frame["contains_zero"] = (frame["lower_kwh"] <= 0) & (frame["upper_kwh"] >= 0)
    return frame


def incidents_in_period(incidents: pd.DataFrame, machines: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Incidents of the factory's machines that overlap the period (``start < period end`` and ``end > period
    start``), with ``machine_name``, most costly first. Cost and wasted energy are the whole incident's."""
    own = machines[machines["factory_id"] == scope.factory_id].set_index("machine_id")["machine_name"]
    if incidents is None or incidents.empty:
        return pd.DataFrame(columns=[*(incidents.columns if incidents is not None else []), "machine_name"])
    keep = (incidents["machine_id"].isin(own.index) & (incidents["start"] < scope.end_utc)
            & (incidents["end"] > scope.start_utc))
    out = incidents[keep].assign(machine_name=lambda f: f["machine_id"].map(own))
    return out.sort_values(["wasted_cost", "wasted_kwh"], ascending=False, ignore_index=True)


def _forecast_frame(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Normalise the forecasts product: ``forecast_time`` (UTC hour) and ``forecasted_at``; older column names
    (``bucket``, ``origin``) are accepted."""
    frame = forecasts.rename(columns={"bucket": "forecast_time", "origin": "forecasted_at"})
    needed = {"machine_id", "energy_type", "forecast_time", "forecasted_at", "predicted_kwh"}
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise ValueError(f"forecasts lack column(s) {', '.join(missing)}")
    for column in ("lower_kwh", "upper_kwh"):
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


def forecast_outlook(forecasts: pd.DataFrame | None, machines: pd.DataFrame, scope: Scope) -> dict | None:
    """Next week's forecast of the factory: the latest vintage (``forecasted_at``) of each series, its
    week-ahead rows (``horizon == 'week_ahead'`` where the column says so), the 7 days after the forecast origin.

    Returns None without forecasts or when they start more than a week after the report's period (a report
    on an earlier month), else ``daily`` (per local day and energy type: predicted, lower and upper
    kWh), ``totals`` (per energy type), ``start_local`` / ``end_local`` and ``made_local``. The bounds of a sum
    are the sums of the hourly 90 % bounds (a conservative band). One model per series: the one flagged
    ``chosen`` where that column exists, else the first by name.
    """
    if forecasts is None or forecasts.empty:
        return None
    frame = _forecast_frame(forecasts)
    own = machines[machines["factory_id"] == scope.factory_id]
    frame = frame[frame["machine_id"].isin(own["machine_id"])]
    if frame.empty:
        return None
    if "horizon" in frame.columns and (frame["horizon"] == "week_ahead").any():
        frame = frame[frame["horizon"] == "week_ahead"]
    if "chosen" in frame.columns and frame["chosen"].any():
        frame = frame[frame["chosen"].astype(bool)]
    latest = frame.groupby(["machine_id", "energy_type"])["forecasted_at"].transform("max")
    frame = frame[frame["forecasted_at"] == latest]
    if "model_name" in frame.columns:
        first = frame.groupby(["machine_id", "energy_type"])["model_name"].transform("min")
        frame = frame[frame["model_name"] == first]
    origin = frame["forecasted_at"].max()
    if origin - scope.end_utc > pd.Timedelta(days=7):
        return None  # a report on an earlier month: "next week" from the end of the data would mislead
    frame = frame[(frame["forecast_time"] >= origin) & (frame["forecast_time"] < origin + pd.Timedelta(days=7))]
    frame = frame.drop_duplicates(["machine_id", "energy_type", "forecast_time"])
    local = local_wall_time(frame["forecast_time"].astype("datetime64[us, UTC]"), scope.timezone)
    frame = frame.assign(day=local.dt.normalize().to_numpy())
    values = ["predicted_kwh", "lower_kwh", "upper_kwh"]
    daily = frame.groupby(["day", "energy_type"], as_index=False)[values].sum(min_count=1)
    hours = frame.groupby("day")["forecast_time"].nunique().rename("hours")
    daily = daily.join(hours, on="day")
    totals = frame.groupby("energy_type", as_index=False)[values].sum(min_count=1)
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    totals = totals.sort_values("energy_type", key=lambda s: s.map(order), ignore_index=True)
    return {"daily": daily, "totals": totals,
            "start_local": wall_clock(frame["forecast_time"].min(), scope.timezone),
            "end_local": wall_clock(frame["forecast_time"].max() + pd.Timedelta(hours=1), scope.timezone),
            "made_local": wall_clock(origin, scope.timezone)}


def executive_summary(frames: Mapping[str, pd.DataFrame], scope: Scope, *,
                      expected_hourly: pd.DataFrame | None = None, candidates: pd.DataFrame | None = None,
                      incidents: pd.DataFrame | None = None, forecasts: pd.DataFrame | None = None,
                      period: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """The executive summary's figures.

    ``frames``: the extract step's products; ``period``: :func:`period_kpis` if already computed. Returns
    ``energy`` (:func:`energy_overview`), ``total_cost`` and ``currency``, ``carbon_t``, ``performance``
    (:func:`performance`, or None without ``expected_hourly``), ``anomalies`` (the top 5 by cost, or None without
    ``incidents``), ``anomaly_count``, ``wasted_cost``, ``forecast`` (:func:`forecast_outlook`, or None) and
    ``headlines`` (sentences for the summary, see :func:`summary_markdown`).
    """
    factory = period["factory"] if period else period_kpis(frames, scope, tables=("factory",))["factory"]
    energy = energy_overview(factory)
    machines = frames["machines"]
    perf = None if expected_hourly is None else performance(expected_hourly, candidates, machines, scope)
    in_period = None if incidents is None else incidents_in_period(incidents, machines, scope)
    summary = {
        "scope": scope,
        "energy": energy,
        "total_cost": float(energy["total_cost"].sum(min_count=1)),
        "currency": scope.currency,
        "carbon_t": float(energy["carbon_t"].sum(min_count=1)),
        "performance": perf,
        "anomalies": None if in_period is None else in_period.head(5),
        "anomaly_count": None if in_period is None else len(in_period),
        "wasted_cost": None if in_period is None else float(in_period["wasted_cost"].sum()),
        "forecast": forecast_outlook(forecasts, machines, scope),
    }
    summary["headlines"] = headlines(summary)
    return summary


def daily_comparison(expected_hourly: pd.DataFrame, machine_id: str, scope: Scope) -> pd.DataFrame:
    """Actual vs expected kWh per local day and energy type of one machine, over its normal-operation hours in
    the period (``kind``: ``reporting`` or ``baseline``, whose expected values are out-of-fold model checks)."""
    part = expected_hourly[(expected_hourly["machine_id"] == machine_id)
                           & (expected_hourly["bucket"] >= scope.start_utc)
                           & (expected_hourly["bucket"] < scope.end_utc)]
    if "is_normal" in part.columns:
        part = part[part["is_normal"].fillna(False).astype(bool)]
    local = local_wall_time(part["bucket"], scope.timezone)
    kind = part["period"] if "period" in part.columns else np.where(
        part["bucket"] >= scope.reporting_start_utc, "reporting", "baseline")
    frame = part.assign(day=local.dt.normalize().to_numpy(), kind=kind)
    return frame.groupby(["energy_type", "day"], as_index=False).agg(
        actual_kwh=("actual_kwh", "sum"), expected_kwh=("expected_kwh", "sum"), hours=("bucket", "size"),
        kind=("kind", "last"))


def tariff_schedule(tariffs: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The factory's tariffs valid in the period with their local hours in words: a tariff's window applies on
    days it shares with another tariff; on days it is the only tariff it covers the whole day (as in
    :func:`enms.kpis.tariff_rates`). Columns: ``tariff_id``, ``name``, ``when``, ``rate_per_kwh``,
    ``demand_charge_per_kw``, ``currency``, ``valid``."""
    own = tariffs_in_period(tariffs, scope.factory_id, scope.start, scope.end).reset_index(drop=True)
    days = [list(d) if d is not None and not (np.isscalar(d) and pd.isna(d)) else list(range(7))
            for d in own["applicable_days"]]
    rows = []
    for i, tariff in own.iterrows():
        window = hours_text(tariff["start_hour"], tariff["end_hour"])
        sole = [d for d in days[i] if sum(d in other for other in days) == 1]
        shared = [d for d in days[i] if d not in sole]
        parts = []
        if shared:
            parts.append(f"{window}, {days_text(shared)}" if window != "all day" else f"all day, {days_text(shared)}")
        if sole:
            parts.append(f"all day, {days_text(sole)}")
        valid_from, valid_to = tariff["valid_from"], tariff["valid_to"]
        valid = (f"from {day_text(valid_from)}" if pd.notna(valid_from) else "") + (
            f" to {day_text(valid_to)}" if valid_to is not None and pd.notna(valid_to) else "")
        rows.append({"tariff_id": tariff["tariff_id"], "name": tariff["name"], "when": "; ".join(parts),
                     "rate_per_kwh": tariff["rate_per_kwh"], "demand_charge_per_kw": tariff["demand_charge_per_kw"],
                     "currency": tariff.get("currency"), "valid": valid.strip()})
    return pd.DataFrame(rows, columns=["tariff_id", "name", "when", "rate_per_kwh", "demand_charge_per_kw",
                                       "currency", "valid"])


def tariff_split(frames: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame:
    """Electricity per tariff over the period (local time, :func:`enms.kpis.tariff_rates`): ``name``, ``when``,
    ``rate_per_kwh``, ``energy_kwh``, ``share_pct`` (of the period's electricity), ``cost``."""
    machines = factory_machines(frames, scope)
    energy = frames["energy_hourly"]
    energy = energy[energy["machine_id"].isin(machines["machine_id"])]
    rated = kpis.tariff_rates(energy, machines, frames["tariffs"], start=pd.Timestamp(scope.start),
                              end=pd.Timestamp(scope.end))
    split = rated.groupby("tariff_id", as_index=False).agg(energy_kwh=("energy_kwh", "sum"), cost=("cost", "sum"))
    schedule = tariff_schedule(frames["tariffs"], scope)
    out = schedule.merge(split, on="tariff_id", how="inner")
    out["share_pct"] = 100.0 * out["energy_kwh"] / out["energy_kwh"].sum()
    return out.sort_values("rate_per_kwh", ascending=False, ignore_index=True)


def data_completeness(frames: Mapping[str, pd.DataFrame], scope: Scope, gaps: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """Per machine and energy type (display columns): the share of the period's hours with energy data (%), and
    the data gaps (from the quality step's ``gaps``) overlapping the period: count and longest, in hours."""
    machines = factory_machines(frames, scope)
    energy = frames["energy_hourly"]
    energy = energy[energy["machine_id"].isin(machines["machine_id"]) & (energy["bucket"] >= scope.start_utc)
                    & (energy["bucket"] < scope.end_utc)]
    present = energy.groupby(["machine_id", "energy_type"])["bucket"].nunique().rename("hours").reset_index()
    present = present.merge(machines[["machine_id", "machine_name"]], on="machine_id")
    out = pd.DataFrame({"Machine": present["machine_name"], "Energy type": present["energy_type"].map(energy_label),
                        "Hours with data (%)": 100.0 * present["hours"] / scope.hours})
    if gaps is not None:
        mine = gaps[(gaps["gap_start"] < scope.end_utc) & (gaps["gap_end"] > scope.start_utc)]
        mine = mine.assign(clipped=(mine["gap_end"].clip(upper=scope.end_utc) - mine["gap_start"].clip(
            lower=scope.start_utc)) / pd.Timedelta(hours=1))
        per = mine.groupby(["machine_id", "energy_type"]).agg(n=("clipped", "size"), longest=("clipped", "max"))
        key = pd.MultiIndex.from_arrays([present["machine_id"], present["energy_type"]])
        out["Gaps"] = per["n"].reindex(key).fillna(0).astype(int).to_numpy()
        out["Longest gap (h)"] = per["longest"].reindex(key).to_numpy()
    return out.sort_values(["Machine", "Energy type"])
