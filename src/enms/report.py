"""The stakeholder report of one factory and one local period: figures, tables and sentences a plant manager reads.

Pure functions: frames in, frames / dicts / matplotlib figures / Markdown strings out. Nothing here reads files,
the warehouse, a notebook or Ploomber; ``notebooks/report.py`` loads the products and shows what these return.

Conventions
-----------
* The period is a half-open range of LOCAL calendar dates ``[start, end)`` in the factory's IANA zone (default:
  the last full local month of the data); every KPI comes from :mod:`enms.kpis` (local-time tariffs, 15-minute
  demand, carbon factors per local date, energy types never summed).
* Performance against the baseline (M&V) counts only the reporting period (after the baseline year) and hours in
  normal operation, with the ASHRAE Guideline 14 uncertainty of the model that produced ``expected_hourly``.
* Raw numbers stay numbers in the frames these functions return; ``*_table`` functions turn them into display
  tables (pandas ``Styler``: units in the headers, thousands separators, sensible decimals, no index).
* Figures are ``matplotlib.figure.Figure`` objects built without pyplot (no global state; a notebook shows one by
  making it the cell's value or with ``display``); calendar axes are in local time.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from enms import kpis
from enms import metrics as mx

ENERGY_LABELS = {"electricity": "Electricity", "natural_gas": "Natural gas", "steam": "Steam"}
ENERGY_COLORS = {"electricity": "#1f77b4", "natural_gas": "#ff7f0e", "steam": "#7f7f7f"}
ANOMALY_LABELS = {
    "excess_consumption": "Excess consumption",
    "drift": "Slow drift",
    "multivariate": "Unusual operating pattern",
    "left_running": "Left running",
    "base_load_creep": "Base-load creep",
}
BASELINE_MODELS = {
    "towt": "TOWT (time of week and temperature)",
    "gradient_boosting": "gradient boosting",
    "regression_ols": "OLS regression (ISO 50006)",
    "change_point": "change-point (temperature)",
    "hour_of_week_mean": "hour-of-week mean",
}
MACHINE_TYPES = {"hvac": "HVAC", "injection_molding": "Injection molding", "motor": "Motor (conveyor)"}
CONFIDENCE = 0.90
"""Confidence level of the savings intervals (ASHRAE Guideline 14 practice)."""
_DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_NA = "–"
_FRAMES = ("machines", "factories", "window")


# ============================================================================================ factory and period
def slug(name: str) -> str:
    """A file-name slug: ``"Demo Manufacturing Plant"`` → ``"demo-manufacturing-plant"`` (ASCII, lower case)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _metadata(text: object) -> dict:
    if isinstance(text, Mapping):
        return dict(text)
    if isinstance(text, str) and text:
        import json

        return json.loads(text)
    return {}


def factory_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The factories with their ``slug``, ``timezone``, ``location``, ``currency`` and ``carbon_region`` (from the
    ``factories`` frame's metadata; the machines frame fills in a factory the factories frame lacks)."""
    factories = frames["factories"].copy() if "factories" in frames else pd.DataFrame()
    machines = frames["machines"].drop_duplicates("factory_id")[["factory_id", "factory_name", "timezone"]]
    if factories.empty:
        factories = machines.assign(location="", metadata=None)
    else:
        missing = machines[~machines["factory_id"].isin(factories["factory_id"])]
        factories = pd.concat([factories, missing.assign(location="", metadata=None)], ignore_index=True)
    meta = [_metadata(m) for m in factories.get("metadata", pd.Series([None] * len(factories)))]
    out = pd.DataFrame({
        "factory_id": factories["factory_id"].astype(str).to_numpy(),
        "factory_name": factories["factory_name"].astype(str).to_numpy(),
        "slug": [slug(n) for n in factories["factory_name"]],
        "timezone": factories["timezone"].astype(str).to_numpy(),
        "location": factories.get("location", pd.Series([""] * len(factories))).fillna("").astype(str).to_numpy(),
        "currency": [m.get("currency") for m in meta],
        "carbon_region": [m.get("carbon_region") for m in meta],
    })
    return out.sort_values("factory_name", ignore_index=True)


def resolve_factory(frames: Mapping[str, pd.DataFrame], slug_or_name: str) -> pd.Series:
    """The factory named by a slug (``demo-manufacturing-plant``), its exact name (case-insensitive) or its id.

    Returns a row of :func:`factory_table`. An empty or unknown value is a ValueError listing the known factories.
    """
    table = factory_table(frames)
    known = "; ".join(f"{r.factory_name!r} (slug {r.slug!r})" for r in table.itertuples())
    wanted = str(slug_or_name or "").strip()
    if not wanted:
        raise ValueError(f"no factory given: pass a slug or a name; known factories: {known}")
    hit = table[(table["slug"] == wanted.lower()) | (table["factory_name"].str.lower() == wanted.lower())
                | (table["factory_id"] == wanted)]
    if hit.empty:
        hit = table[table["slug"] == slug(wanted)]
    if hit.empty:
        raise ValueError(f"unknown factory {slug_or_name!r}; known factories: {known}")
    return hit.iloc[0]


def _local_naive(instant: object, timezone: str) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    if stamp.tzinfo is None:
        raise ValueError(f"expected a tz-aware UTC instant, got {stamp}")
    return stamp.tz_convert(timezone).tz_localize(None)


def last_full_month(window_end_utc: object, timezone: str, window_start_utc: object | None = None
                    ) -> tuple[date, date]:
    """The last local calendar month that ends at or before ``window_end_utc`` (exclusive end of the data, UTC)
    in ``timezone``: ``(first day, first day of the next month)`` as local dates.

    The month boundary is the factory's local midnight, so the answer can differ from the UTC calendar (data
    ending at 2026-04-01 06:00 UTC end on 31 March, 23:00 in Los Angeles: March is not full yet). Given
    ``window_start_utc``, a month starting before the data is a ValueError.
    """
    local_end = _local_naive(window_end_utc, timezone)
    end = local_end.normalize().replace(day=1)
    start = end - pd.DateOffset(months=1)
    if window_start_utc is not None and start < _local_naive(window_start_utc, timezone):
        raise ValueError(f"the data ({window_start_utc} to {window_end_utc} UTC) hold no full local month in "
                         f"{timezone}")
    return start.date(), end.date()


def _parse_date(value: object, name: str) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ValueError(f"{name} must be a local date 'YYYY-MM-DD' (or a month 'YYYY-MM'), got {value!r}") from error


def resolve_period(period_start: object, period_end: object, window_end_utc: object, timezone: str,
                   window_start_utc: object | None = None) -> tuple[date, date]:
    """The report period ``[start, end)`` in local dates.

    * both empty: the last full local month of the data (:func:`last_full_month`);
    * ``period_start`` a month ``"YYYY-MM"`` and ``period_end`` empty: that month;
    * otherwise two local dates ``"YYYY-MM-DD"``, end exclusive.
    """
    start_text = "" if period_start is None else str(period_start).strip()
    end_text = "" if period_end is None else str(period_end).strip()
    if not start_text and not end_text:
        return last_full_month(window_end_utc, timezone, window_start_utc)
    if re.fullmatch(r"\d{4}-\d{2}", start_text) and not end_text:
        first = _parse_date(start_text + "-01", "period_start")
        return first, (pd.Timestamp(first) + pd.DateOffset(months=1)).date()
    if not start_text or not end_text:
        raise ValueError("give both period_start and period_end (local dates, end exclusive), a month as "
                         f"period_start 'YYYY-MM' alone, or neither; got {period_start!r} and {period_end!r}")
    start, end = _parse_date(start_text, "period_start"), _parse_date(end_text, "period_end")
    if end <= start:
        raise ValueError(f"empty period: period_end {end} is not after period_start {start} (end is exclusive)")
    return start, end


def _is_month(start: date, end: date) -> bool:
    return start.day == 1 and (pd.Timestamp(start) + pd.DateOffset(months=1)).date() == end


def report_filename(factory_name: str, period_start: object, period_end: object | None = None) -> str:
    """``<slug>-YYYY-MM.html`` for a calendar month (``period_end`` empty or one month after a first day),
    else ``<slug>-<start>_<end>.html`` (local dates, end exclusive)."""
    start = _parse_date(period_start if not re.fullmatch(r"\d{4}-\d{2}", str(period_start)) else
                        f"{period_start}-01", "period_start")
    end = (pd.Timestamp(start) + pd.DateOffset(months=1)).date() if period_end in (None, "") else _parse_date(
        period_end, "period_end")
    if _is_month(start, end):
        return f"{slug(factory_name)}-{start:%Y-%m}.html"
    return f"{slug(factory_name)}-{start:%Y-%m-%d}_{end:%Y-%m-%d}.html"


def period_label(start: date, end: date) -> str:
    """``October 2026`` for a calendar month, ``5 October 2026`` for a day, else ``5 October – 19 October 2026``
    (last day included)."""
    if _is_month(start, end):
        return f"{start:%B %Y}"
    last = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
    if last == start:
        return f"{start.day} {start:%B %Y}"
    return f"{start.day} {start:%B %Y} – {last.day} {last:%B %Y}"


@dataclass(frozen=True)
class Scope:
    """The factory and period of a report, with the period's bounds as UTC instants."""

    factory_id: str
    factory_name: str
    slug: str
    location: str
    timezone: str
    currency: str
    start: date
    end: date
    start_utc: pd.Timestamp
    end_utc: pd.Timestamp
    data_start_utc: pd.Timestamp
    data_end_utc: pd.Timestamp
    reporting_start_utc: pd.Timestamp

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def hours(self) -> float:
        return (self.end_utc - self.start_utc) / pd.Timedelta(hours=1)

    @property
    def coverage(self) -> float:
        """Share of the period's hours inside the data window."""
        lo, hi = max(self.start_utc, self.data_start_utc), min(self.end_utc, self.data_end_utc)
        return max(0.0, (hi - lo) / pd.Timedelta(hours=1)) / self.hours

    @property
    def reporting_start_local(self) -> date:
        return _local_naive(self.reporting_start_utc, self.timezone).date()

    @property
    def mv_status(self) -> str:
        """``baseline`` (the period lies in the baseline year), ``reporting`` (after it) or ``mixed``."""
        if self.end_utc <= self.reporting_start_utc:
            return "baseline"
        if self.start_utc >= self.reporting_start_utc:
            return "reporting"
        return "mixed"

    @property
    def filename(self) -> str:
        return report_filename(self.factory_name, self.start, self.end)


def _utc(day: date, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")


def report_scope(frames: Mapping[str, pd.DataFrame], factory: str, period_start: object = "",
                 period_end: object = "") -> Scope:
    """Resolve the factory (slug, name or id) and the period (see :func:`resolve_period`) against the data.

    ``frames``: the extract step's products (``machines``, ``factories``, ``window``). A period entirely outside
    the data is a ValueError naming the local dates the data cover.
    """
    absent = [name for name in _FRAMES if name not in frames]
    if absent:
        raise ValueError(f"the report needs frames {', '.join(absent)}")
    row = resolve_factory(frames, factory)
    zone = row["timezone"]
    window = frames["window"].iloc[0]
    start, end = resolve_period(period_start, period_end, window["end"], zone, window["start"])
    start_utc, end_utc = _utc(start, zone), _utc(end, zone)
    if end_utc <= window["start"] or start_utc >= window["end"]:
        first = _local_naive(window["start"], zone)
        last = _local_naive(window["end"], zone)
        raise ValueError(f"{row['factory_name']}: no data in {start} .. {end} (local); the data cover "
                         f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} local time ({zone})")
    reporting = kpis.local_midnight(window["baseline_end"], zone)
    currency = row["currency"]
    if not currency and "tariffs" in frames:
        own = frames["tariffs"][frames["tariffs"]["factory_id"] == row["factory_id"]]["currency"].dropna()
        currency = own.iloc[0] if len(own) else ""
    return Scope(factory_id=row["factory_id"], factory_name=row["factory_name"], slug=row["slug"],
                 location=row["location"], timezone=zone, currency=currency or "", start=start, end=end,
                 start_utc=start_utc, end_utc=end_utc, data_start_utc=window["start"], data_end_utc=window["end"],
                 reporting_start_utc=_utc(reporting.date(), zone))


# ================================================================================================ computations
def _machines(frames: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame:
    machines = frames["machines"]
    return machines[machines["factory_id"] == scope.factory_id].sort_values("machine_name", ignore_index=True)


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
    local = kpis.local_time(frame["forecast_time"].astype("datetime64[us, UTC]"), scope.timezone)
    frame = frame.assign(day=local.dt.normalize().to_numpy())
    values = ["predicted_kwh", "lower_kwh", "upper_kwh"]
    daily = frame.groupby(["day", "energy_type"], as_index=False)[values].sum(min_count=1)
    hours = frame.groupby("day")["forecast_time"].nunique().rename("hours")
    daily = daily.join(hours, on="day")
    totals = frame.groupby("energy_type", as_index=False)[values].sum(min_count=1)
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    totals = totals.sort_values("energy_type", key=lambda s: s.map(order), ignore_index=True)
    return {"daily": daily, "totals": totals,
            "start_local": _local_naive(frame["forecast_time"].min(), scope.timezone),
            "end_local": _local_naive(frame["forecast_time"].max() + pd.Timedelta(hours=1), scope.timezone),
            "made_local": _local_naive(origin, scope.timezone)}


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


# ============================================================================================ text and numbers
def fmt_number(value: object, decimals: int = 0) -> str:
    """``12,345.6``; ``–`` for a missing value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return _NA
    return f"{value:,.{decimals}f}"


def fmt_sig(value: object, digits: int = 3) -> str:
    """About ``digits`` significant figures with thousands separators (0.0582, 2.49, 1,234)."""
    if value is None or pd.isna(value):
        return _NA
    value = float(value)
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def fmt_pct(value: object, decimals: int = 1, sign: bool = False) -> str:
    """``12.3 %`` (``+12.3 %`` with ``sign``); a value that rounds to zero is ``0.0 %``, never ``−0.0 %``."""
    if value is None or pd.isna(value):
        return _NA
    value = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{value:+,.{decimals}f}" if sign and value != 0 else f"{value:,.{decimals}f}"
    return text.replace("-", "−") + " %"


def fmt_money(value: object, currency: str, decimals: int = 0) -> str:
    if value is None or pd.isna(value):
        return _NA
    return f"{fmt_number(value, decimals)} {currency}".replace("-", "−")


def fmt_local(stamp: object, with_day: bool = True) -> str:
    """``Thu 15 Oct 2026, 13:15`` (a naive local time)."""
    if stamp is None or pd.isna(stamp):
        return _NA
    stamp = pd.Timestamp(stamp)
    day = _DAY_NAMES[(stamp.dayofweek + 1) % 7] + " " if with_day else ""
    return f"{day}{stamp.day} {stamp:%b %Y, %H:%M}"


def _energy_label(energy_type: str) -> str:
    return ENERGY_LABELS.get(energy_type, str(energy_type).replace("_", " ").capitalize())


def _quantity(row: Mapping) -> str:
    unit = row.get("native_unit")
    if unit in (None, "kWh") or pd.isna(unit):
        return f"{fmt_number(row['energy_kwh'])} kWh"
    return f"{fmt_number(row['energy_native'])} {unit} ({fmt_number(row['energy_kwh'])} kWh)"


def performance_sentence(row: Mapping, confidence: float = CONFIDENCE) -> str:
    """One energy type's (or machine's) result in plain words, with its interval in the same direction: saved
    (or used more than the baseline expects) in kWh and %, or no significant change when the interval holds 0."""
    avoided, pct = row["avoided_kwh"], row["avoided_pct"]
    if pd.isna(avoided):
        return "no comparison possible"
    level = f"{100 * confidence:.0f} % interval"
    if row.get("contains_zero"):
        return (f"**no significant change**: {fmt_pct(-pct, sign=True)} against the baseline "
                f"({fmt_number(-avoided, 0).replace('-', '−')} kWh; the {level}, "
                f"{fmt_pct(-row['upper_pct'], sign=True)} to {fmt_pct(-row['lower_pct'], sign=True)}, "
                "includes zero)")
    if avoided >= 0:
        return (f"**saved {fmt_number(avoided)} kWh**, {fmt_pct(pct)} of the expected energy "
                f"({level} {fmt_pct(row['lower_pct'])} to {fmt_pct(row['upper_pct'])})")
    return (f"**used {fmt_number(-avoided)} kWh more** than the baseline expects, {fmt_pct(-pct, sign=True)} "
            f"({level} {fmt_pct(-row['upper_pct'], sign=True)} to {fmt_pct(-row['lower_pct'], sign=True)})")


def headlines(summary: Mapping[str, Any]) -> list[str]:
    """The summary's sentences: energy, cost, carbon, performance, anomalies, forecast."""
    scope: Scope = summary["scope"]
    energy = summary["energy"]
    lines = []
    parts = [f"{_energy_label(r['energy_type']).lower()} {_quantity(r)}" for r in energy.to_dict("records")]
    note = (" Energy types are reported separately and never added (steam is made from the boiler's gas)."
            if len(parts) > 1 else "")
    lines.append("**Energy:** " + "; ".join(parts) + "." + note)
    elec = energy[energy["energy_type"] == "electricity"]
    demand = ""
    if len(elec) and pd.notna(elec["demand_charge"].iloc[0]):
        demand = f", of which {fmt_money(elec['demand_charge'].iloc[0], scope.currency)} demand charge"
    lines.append(f"**Cost:** {fmt_money(summary['total_cost'], scope.currency)}{demand}.")
    lines.append(f"**CO₂:** {fmt_number(summary['carbon_t'], 1)} t CO₂e.")
    perf = summary.get("performance")
    if perf is not None:
        lines.extend(performance_lines(perf, scope))
    if summary.get("anomalies") is not None:
        count = summary["anomaly_count"]
        if count:
            lines.append(f"**Anomalies:** {count} incident{'s' if count != 1 else ''} overlapping the period, "
                         f"{fmt_money(summary['wasted_cost'], scope.currency)} of wasted energy in total; the "
                         "most costly are listed below.")
        else:
            lines.append("**Anomalies:** no incident detected in the period.")
    forecast = summary.get("forecast")
    if forecast is not None:
        parts = [f"{_energy_label(r['energy_type']).lower()} {fmt_number(r['predicted_kwh'])} kWh"
                 for r in forecast["totals"].to_dict("records")]
        lines.append(f"**Next week's forecast** ({fmt_local(forecast['start_local'])} to "
                     f"{fmt_local(forecast['end_local'])}): " + "; ".join(parts) + ".")
    return lines


def performance_lines(perf: Mapping[str, Any], scope: Scope) -> list[str]:
    """Sentences on the performance against the baseline, saying when there is no M&V result."""
    status = perf["status"]
    reporting = scope.reporting_start_local
    if status == "baseline":
        return [f"**Performance vs baseline:** none yet. This period lies in the **baseline year**, which runs "
                f"until {reporting.day} {reporting:%B %Y}: the baseline models learn from these months, so there "
                "is no savings result to report. The machine charts compare actual energy with the models' "
                "out-of-sample predictions, only as a check of the models."]
    lines = []
    if status == "mixed":
        lines.append(f"**Performance vs baseline** covers only the days from {reporting.day} {reporting:%B %Y}, "
                     "when the baseline year ended.")
    by_energy = perf["by_energy"]
    if by_energy.empty:
        lines.append("**Performance vs baseline:** no machine has an active baseline with data in this period.")
        return lines
    for row in by_energy.to_dict("records"):
        lines.append(f"**Performance vs baseline, {_energy_label(row['energy_type']).lower()}:** "
                     f"{performance_sentence(row, perf['confidence'])}.")
    highlights = machine_highlights(perf)
    if highlights:
        lines.append(highlights)
    inactive = perf["series"][perf["series"]["status"] == "inactive baseline"]
    if len(inactive):
        names = ", ".join(sorted(inactive["machine_name"].unique()))
        lines.append(f"Not counted (baseline failed its quality gates): {names}.")
    return lines


def machine_highlights(perf: Mapping[str, Any], n: int = 2) -> str:
    """The machines that moved most against their baselines (significant changes only): the ``n`` largest
    excesses and the ``n`` largest savings in kWh, as one sentence ('' when none)."""
    series = perf["series"]
    series = series[(series["status"] == "reporting") & ~series["contains_zero"]]

    def name(row: Mapping) -> str:
        kind = "" if row["energy_type"] == "electricity" else f" ({_energy_label(row['energy_type']).lower()})"
        return f"{row['machine_name']}{kind}"

    worst = series[series["avoided_kwh"] < 0].nsmallest(n, "avoided_kwh")
    best = series[series["avoided_kwh"] > 0].nlargest(n, "avoided_kwh")
    parts = []
    if len(worst):
        parts.append("**Look at:** " + "; ".join(
            f"{name(r)} used {fmt_number(-r['avoided_kwh'])} kWh ({fmt_pct(-r['avoided_pct'])}) more than expected"
            for r in worst.to_dict("records")) + ".")
    if len(best):
        parts.append("**Doing better:** " + "; ".join(
            f"{name(r)} saved {fmt_number(r['avoided_kwh'])} kWh ({fmt_pct(r['avoided_pct'])})"
            for r in best.to_dict("records")) + ".")
    return " ".join(parts)


def title_markdown(scope: Scope, code_version: str = "") -> str:
    """The report's title block."""
    where = f", {scope.location}" if scope.location else ""
    coverage = ""
    if scope.coverage < 0.999:
        coverage = (f"\n\n**Note:** the data cover only {fmt_pct(100 * scope.coverage, 0)} of this period; "
                    "totals are for the hours with data.")
    last = (pd.Timestamp(scope.end) - pd.Timedelta(days=1)).date()
    return (f"# Energy report: {scope.factory_name}\n\n"
            f"**{scope.label}** · {scope.start.day} {scope.start:%b %Y} to {last.day} {last:%b %Y} inclusive · "
            f"times in local time, **{scope.timezone}**{where} · money in {scope.currency}{coverage}")


def energy_note(summary: Mapping[str, Any]) -> str:
    """The note above the energy table: units, what steam and the demand charge mean (only what applies)."""
    types = set(summary["energy"]["energy_type"])
    parts = ["**Energy, cost and CO₂ by energy type.**"]
    if "natural_gas" in types:
        parts.append("Gas is metered in m³ (its kWh are kWh-equivalents, 10.55 kWh per m³).")
    if "steam" in types:
        parts.append("Steam is metered in kg (2.26 kWh per kg); it has no cost or CO₂ of its own: the gas that "
                     "makes it is already counted.")
    parts.append("The demand charge is billed on each whole month's highest 15-minute demand; energy types are "
                 "never added together, money and CO₂ are.")
    return " ".join(parts)


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The executive summary's sentences as a Markdown list."""
    return "\n".join(f"- {line}" for line in summary["headlines"])


# ================================================================================================ display tables
def styled(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, caption: str | None = None,
           left: tuple[str, ...] = (), wrap: tuple[str, ...] = ()) -> Styler:
    """A display table: no index, missing values as ``–``, numbers right-aligned (columns in ``left`` left),
    cells on one line (except the columns in ``wrap``)."""
    styler = frame.style.format(formats or {}, na_rep=_NA).hide(axis="index")
    styles = [{"selector": "th", "props": "text-align: left; padding: 4px 10px; white-space: nowrap;"},
              {"selector": "td", "props": "padding: 3px 10px;"},
              {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; "
                                               "padding-bottom: 4px;"}]
    styler = styler.set_table_styles(styles)
    styler = styler.set_properties(subset=[c for c in frame.columns if c not in wrap], **{"white-space": "nowrap"})
    numeric = [c for c in frame.columns if c not in left]
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    if left:
        styler = styler.set_properties(subset=[c for c in frame.columns if c in left], **{"text-align": "left"})
    if wrap:
        styler = styler.set_properties(subset=[c for c in frame.columns if c in wrap],
                                       **{"white-space": "normal", "min-width": "16em"})
    if caption:
        styler = styler.set_caption(caption)
    return styler


def energy_table(summary: Mapping[str, Any]) -> Styler:
    """Energy, cost and CO₂ per energy type, with a total of cost and CO₂ (money and CO₂ can be added; energy
    types cannot)."""
    scope: Scope = summary["scope"]
    energy = summary["energy"]
    cur = scope.currency
    rows = [{"Energy type": _energy_label(r["energy_type"]), "Energy (kWh)": r["energy_kwh"],
             "Quantity": r["energy_native"], "Unit": r["native_unit"],
             f"Energy cost ({cur})": r["energy_cost"], f"Demand charge ({cur})": r["demand_charge"],
             f"Total cost ({cur})": r["total_cost"], "CO₂ (t)": r["carbon_t"]} for r in energy.to_dict("records")]
    rows.append({"Energy type": "Total", "Energy (kWh)": np.nan, "Quantity": np.nan, "Unit": "",
                 f"Energy cost ({cur})": energy["energy_cost"].sum(min_count=1),
                 f"Demand charge ({cur})": energy["demand_charge"].sum(min_count=1),
                 f"Total cost ({cur})": summary["total_cost"], "CO₂ (t)": summary["carbon_t"]})
    frame = pd.DataFrame(rows)
    money = {c: (lambda v: fmt_number(v)) for c in frame.columns if cur in c}
    return styled(frame, {"Energy (kWh)": fmt_number, "Quantity": fmt_number, "CO₂ (t)": lambda v: fmt_number(v, 1),
                          **money}, left=("Energy type", "Unit")).apply(
        lambda r: ["font-weight: bold" if r["Energy type"] == "Total" else "" for _ in r], axis=1)


def performance_table(perf: Mapping[str, Any], by: str = "energy") -> Styler | None:
    """Expected vs actual with avoided energy and its interval, per energy type (``by="energy"``) or per machine
    and energy type (``by="machine"``)."""
    frame = perf["by_energy"] if by == "energy" else perf["series"]
    if frame.empty:
        return None
    level = f"{100 * perf['confidence']:.0f} %"
    out = pd.DataFrame()
    if by != "energy":
        out["Machine"] = frame["machine_name"]
    out["Energy type"] = frame["energy_type"].map(_energy_label)
    if by != "energy":
        out["Status"] = frame["status"].replace({"reporting": "counted"})
    out["Hours compared"] = frame["m"]
    out["Expected (kWh)"] = frame["expected_kwh"]
    out["Actual (kWh)"] = frame["actual_kwh"]
    out["EnPI (actual ÷ expected)"] = frame["enpi"]
    out["Avoided (kWh)"] = frame["avoided_kwh"]
    out["Avoided (%)"] = frame["avoided_pct"]
    out[f"{level} interval (%)"] = [
        f"{fmt_pct(lo, sign=True)} to {fmt_pct(hi, sign=True)}" if pd.notna(lo) else _NA
        for lo, hi in zip(frame["lower_pct"], frame["upper_pct"], strict=True)]
    out["Significant"] = np.where(frame["lower_pct"].isna(), _NA, np.where(frame["contains_zero"], "no", "yes"))
    empty = frame["m"] == 0
    out.loc[empty, ["Expected (kWh)", "Actual (kWh)", "EnPI (actual ÷ expected)", "Avoided (kWh)",
                    "Avoided (%)"]] = np.nan
    return styled(out, {"Hours compared": fmt_number, "Expected (kWh)": fmt_number, "Actual (kWh)": fmt_number,
                        "EnPI (actual ÷ expected)": lambda v: fmt_number(v, 3),
                        "Avoided (kWh)": lambda v: fmt_number(v).replace("-", "−"),
                        "Avoided (%)": lambda v: fmt_pct(v, sign=True)},
                  left=("Machine", "Energy type", "Status", "Significant"))


def _duration(hours: float) -> str:
    if pd.isna(hours):
        return _NA
    return f"{hours:,.0f} h" if hours < 48 else f"{hours / 24:,.1f} days"


def anomalies_table(incidents: pd.DataFrame | None, scope: Scope, machine: bool = True) -> Styler | None:
    """Incidents as a plant manager reads them: machine, what, when (local), how long, severity, excess, waste."""
    if incidents is None or incidents.empty:
        return None
    hours = (incidents["end"] - incidents["start"]) / pd.Timedelta(hours=1)
    out = pd.DataFrame()
    if machine:
        out["Machine"] = incidents["machine_name"]
    out["Energy type"] = incidents["energy_type"].map(_energy_label)
    out["What"] = incidents["anomaly_type"].map(lambda t: ANOMALY_LABELS.get(t, str(t).replace("_", " ")))
    out["Started (local)"] = [fmt_local(_local_naive(s, scope.timezone)) for s in incidents["start"]]
    out["Duration"] = [_duration(h) for h in hours]
    out["Severity"] = incidents["severity"].str.capitalize()
    out["Above expected (%)"] = incidents["deviation_percent"]
    out["Wasted energy (kWh)"] = incidents["wasted_kwh"]
    out[f"Cost ({scope.currency})"] = incidents["wasted_cost"]
    return styled(out, {"Above expected (%)": lambda v: fmt_pct(v, 0), "Wasted energy (kWh)": fmt_number,
                        f"Cost ({scope.currency})": fmt_number},
                  left=("Machine", "Energy type", "What", "Started (local)", "Duration", "Severity"))


def forecast_markdown(forecast: Mapping[str, Any]) -> str:
    """The heading and the explanation of the forecast section."""
    partial = (forecast["daily"]["hours"] < 23).any()
    return (f"### Next week's forecast\nMade {fmt_local(forecast['made_local'])} for the 7 days from "
            f"{fmt_local(forecast['start_local'])} to {fmt_local(forecast['end_local'])} (local time). The band is "
            "the sum of the hourly 90 % intervals, so it is a conservative range"
            + ("; pale bars are days the forecast covers only in part." if partial else "."))


def forecast_table(forecast: Mapping[str, Any] | None) -> Styler | None:
    """Next week's forecast per energy type with its band."""
    if forecast is None:
        return None
    totals = forecast["totals"]
    out = pd.DataFrame({"Energy type": totals["energy_type"].map(_energy_label),
                        "Forecast (kWh)": totals["predicted_kwh"], "Low (kWh)": totals["lower_kwh"],
                        "High (kWh)": totals["upper_kwh"]})
    return styled(out, {c: fmt_number for c in out.columns[1:]}, left=("Energy type",))


def demand_table(factory_kpis: pd.DataFrame, scope: Scope) -> Styler:
    """Peak 15-minute demand with its local time, load factor and demand charge (electricity)."""
    elec = factory_kpis[factory_kpis["energy_type"] == "electricity"]
    if elec.empty:
        return styled(pd.DataFrame({"": ["no electricity data in this period"]}))
    row = elec.iloc[0]
    rate = row["demand_charge"] / row["coincident_peak_kw"] if row["coincident_peak_kw"] else np.nan
    frame = pd.DataFrame([
        {"Figure": "Peak 15-minute demand", "Value": f"{fmt_number(row['peak_kw'], 1)} kW"},
        {"Figure": "… in the 15 minutes from (local time)", "Value": fmt_local(row["peak_start_local"])},
        {"Figure": "Average power", "Value": f"{fmt_number(row['energy_kwh'] / row['hours'], 1)} kW"},
        {"Figure": "Load factor (average ÷ peak)", "Value": fmt_pct(100 * row["load_factor"], 0)},
        {"Figure": "Demand charge rate", "Value": (f"{fmt_number(rate, 2)} {scope.currency}/kW"
                                                   if pd.notna(rate) else "only billed for whole months")},
        {"Figure": "Demand charge", "Value": fmt_money(row["demand_charge"], scope.currency)},
    ])
    return styled(frame, left=("Figure",))


def _day(value: object) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _hours_text(start_hour: object, end_hour: object) -> str:
    if pd.isna(start_hour) or pd.isna(end_hour) or int(start_hour) == int(end_hour) or (
            int(start_hour) <= 0 and int(end_hour) >= 24):
        return "all day"
    return f"{int(start_hour):02d}:00–{int(end_hour) % 24:02d}:00"


def _days_text(days: list[int]) -> str:
    days = sorted(int(d) for d in days)
    if days == list(range(7)):
        return "every day"
    order = [1, 2, 3, 4, 5, 6, 0]  # Monday first
    ranked = sorted(days, key=order.index)
    runs, run = [], [ranked[0]] if ranked else []
    for day in ranked[1:]:
        if order.index(day) == order.index(run[-1]) + 1:
            run.append(day)
        else:
            runs.append(run)
            run = [day]
    if run:
        runs.append(run)
    return ", ".join(_DAY_NAMES[r[0]] if len(r) == 1 else f"{_DAY_NAMES[r[0]]}–{_DAY_NAMES[r[-1]]}" for r in runs)


def _tariffs_in_period(tariffs: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    own = tariffs[tariffs["factory_id"] == scope.factory_id]
    if "is_active" in own.columns:
        own = own[own["is_active"].fillna(True).astype(bool)]
    start, last = pd.Timestamp(scope.start), pd.Timestamp(scope.end) - pd.Timedelta(days=1)
    valid_from = pd.to_datetime(own["valid_from"])
    valid_to = pd.to_datetime(own["valid_to"])
    keep = (valid_from.isna() | (valid_from <= last)) & (valid_to.isna() | (valid_to >= start))
    return own[keep.to_numpy()]


def tariff_schedule(tariffs: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The factory's tariffs valid in the period with their local hours in words: a tariff's window applies on
    days it shares with another tariff; on days it is the only tariff it covers the whole day (as in
    :func:`enms.kpis.tariff_rates`). Columns: ``tariff_id``, ``name``, ``when``, ``rate_per_kwh``,
    ``demand_charge_per_kw``, ``currency``, ``valid``."""
    own = _tariffs_in_period(tariffs, scope).reset_index(drop=True)
    days = [list(d) if d is not None and not (np.isscalar(d) and pd.isna(d)) else list(range(7))
            for d in own["applicable_days"]]
    rows = []
    for i, tariff in own.iterrows():
        window = _hours_text(tariff["start_hour"], tariff["end_hour"])
        sole = [d for d in days[i] if sum(d in other for other in days) == 1]
        shared = [d for d in days[i] if d not in sole]
        parts = []
        if shared:
            parts.append(f"{window}, {_days_text(shared)}" if window != "all day" else f"all day, {_days_text(shared)}")
        if sole:
            parts.append(f"all day, {_days_text(sole)}")
        valid_from, valid_to = tariff["valid_from"], tariff["valid_to"]
        valid = (f"from {_day(valid_from)}" if pd.notna(valid_from) else "") + (
            f" to {_day(valid_to)}" if valid_to is not None and pd.notna(valid_to) else "")
        rows.append({"tariff_id": tariff["tariff_id"], "name": tariff["name"], "when": "; ".join(parts),
                     "rate_per_kwh": tariff["rate_per_kwh"], "demand_charge_per_kw": tariff["demand_charge_per_kw"],
                     "currency": tariff.get("currency"), "valid": valid.strip()})
    return pd.DataFrame(rows, columns=["tariff_id", "name", "when", "rate_per_kwh", "demand_charge_per_kw",
                                       "currency", "valid"])


def tariff_split(frames: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame:
    """Electricity per tariff over the period (local time, :func:`enms.kpis.tariff_rates`): ``name``, ``when``,
    ``rate_per_kwh``, ``energy_kwh``, ``share_pct`` (of the period's electricity), ``cost``."""
    machines = _machines(frames, scope)
    energy = frames["energy_hourly"]
    energy = energy[energy["machine_id"].isin(machines["machine_id"])]
    rated = kpis.tariff_rates(energy, machines, frames["tariffs"], start=pd.Timestamp(scope.start),
                              end=pd.Timestamp(scope.end))
    split = rated.groupby("tariff_id", as_index=False).agg(energy_kwh=("energy_kwh", "sum"), cost=("cost", "sum"))
    schedule = tariff_schedule(frames["tariffs"], scope)
    out = schedule.merge(split, on="tariff_id", how="inner")
    out["share_pct"] = 100.0 * out["energy_kwh"] / out["energy_kwh"].sum()
    return out.sort_values("rate_per_kwh", ascending=False, ignore_index=True)


def tariff_table(split: pd.DataFrame, factory_kpis: pd.DataFrame, scope: Scope) -> Styler:
    """The tariff split with the demand charge and the total, as displayed."""
    cur = scope.currency
    rows = [{"Tariff": r["name"], "Applies (local time)": r["when"], f"Rate ({cur}/kWh)": r["rate_per_kwh"],
             "Electricity (kWh)": r["energy_kwh"], "Share (%)": r["share_pct"], f"Cost ({cur})": r["cost"]}
            for r in split.to_dict("records")]
    elec = factory_kpis[factory_kpis["energy_type"] == "electricity"]
    charge = elec["demand_charge"].iloc[0] if len(elec) else np.nan
    rows.append({"Tariff": "Demand charge", "Applies (local time)": "month's peak 15-minute demand",
                 f"Rate ({cur}/kWh)": np.nan, "Electricity (kWh)": np.nan, "Share (%)": np.nan,
                 f"Cost ({cur})": charge})
    rows.append({"Tariff": "Total", "Applies (local time)": "", f"Rate ({cur}/kWh)": np.nan,
                 "Electricity (kWh)": split["energy_kwh"].sum(), "Share (%)": 100.0,
                 f"Cost ({cur})": split["cost"].sum() + (0.0 if pd.isna(charge) else charge)})
    frame = pd.DataFrame(rows)
    return styled(frame, {f"Rate ({cur}/kWh)": lambda v: fmt_number(v, 3), "Electricity (kWh)": fmt_number,
                          "Share (%)": lambda v: fmt_number(v, 1), f"Cost ({cur})": fmt_number},
                  left=("Tariff", "Applies (local time)")).apply(
        lambda r: ["font-weight: bold" if r["Tariff"] == "Total" else "" for _ in r], axis=1)


def machines_overview(period: Mapping[str, pd.DataFrame], perf: Mapping[str, Any] | None,
                      incidents: pd.DataFrame | None, scope: Scope) -> Styler:
    """One row per machine and energy type: energy, share of the factory's energy of that type, cost, CO₂, SEC,
    EnPI and avoided %, incidents and their cost."""
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    table = period["machine"].assign(order=period["machine"]["energy_type"].map(order)).sort_values(
        ["machine_name", "order"], ignore_index=True)
    factory = period["factory"].set_index("energy_type")["energy_kwh"]
    out = pd.DataFrame({
        "Machine": table["machine_name"], "Energy type": table["energy_type"].map(_energy_label),
        "Energy (kWh)": table["energy_kwh"],
        "Share of factory (%)": 100.0 * table["energy_kwh"] / table["energy_type"].map(factory),
        f"Cost ({scope.currency})": table["total_cost"], "CO₂ (t)": table["carbon_kg"] / 1000.0,
        "SEC (kWh/unit)": table["sec_kwh_per_unit"],
    })
    if perf is not None:
        series = perf["series"].set_index(["machine_id", "energy_type"])
        key = pd.MultiIndex.from_arrays([table["machine_id"], table["energy_type"]])
        counted = series["status"].reindex(key).to_numpy() == "reporting"
        out["EnPI"] = np.where(counted, series["enpi"].reindex(key).to_numpy(), np.nan)
        out["Avoided (%)"] = np.where(counted, series["avoided_pct"].reindex(key).to_numpy(), np.nan)
    if incidents is not None:
        per = incidents.groupby(["machine_id", "energy_type"]).agg(n=("start", "size"), cost=("wasted_cost", "sum"))
        key = pd.MultiIndex.from_arrays([table["machine_id"], table["energy_type"]])
        out["Incidents"] = per["n"].reindex(key).fillna(0).astype(int).to_numpy()
        out[f"Wasted ({scope.currency})"] = per["cost"].reindex(key).fillna(0.0).to_numpy()
    return styled(out, {"Energy (kWh)": fmt_number, "Share of factory (%)": lambda v: fmt_number(v, 1),
                        f"Cost ({scope.currency})": fmt_number, "CO₂ (t)": lambda v: fmt_number(v, 1),
                        "SEC (kWh/unit)": fmt_sig, "EnPI": lambda v: fmt_number(v, 3),
                        "Avoided (%)": lambda v: fmt_pct(v, sign=True), "Incidents": fmt_number,
                        f"Wasted ({scope.currency})": fmt_number}, left=("Machine", "Energy type"))


def machine_kpi_table(machine_kpis: pd.DataFrame, perf: Mapping[str, Any] | None, scope: Scope) -> Styler:
    """One machine's KPIs per energy type, as displayed (a transposed table: one column per energy type)."""
    cur = scope.currency
    rows: dict[str, list[str]] = {}
    series = perf["series"].set_index(["machine_id", "energy_type"]) if perf is not None else None
    for r in machine_kpis.to_dict("records"):
        label = _energy_label(r["energy_type"])
        values = {
            "Energy": _quantity(r),
            "Production (units)": fmt_number(r["production_units"]),
            "SEC, producing hours": _sec_text(r),
            "Peak 15-minute demand": (f"{fmt_number(r['peak_kw'], 1)} kW, {fmt_local(r['peak_start_local'])}"
                                      if pd.notna(r["peak_kw"]) else _NA),
            "Load factor": fmt_pct(100 * r["load_factor"], 0) if pd.notna(r["load_factor"]) else _NA,
            f"Cost ({cur})": fmt_number(r["total_cost"]),
            "CO₂ (kg)": fmt_number(r["carbon_kg"]),
        }
        if series is not None:
            key = (r["machine_id"], r["energy_type"])
            if key in series.index and series.loc[key, "status"] == "reporting":
                s = series.loc[key]
                values["EnPI (actual ÷ expected)"] = fmt_number(s["enpi"], 3)
                level = f"{100 * perf['confidence']:.0f} % interval"
                values["Avoided energy"] = (f"{fmt_number(s['avoided_kwh']).replace('-', '−')} kWh "
                                            f"({fmt_pct(s['avoided_pct'], sign=True)}; {level} "
                                            f"{fmt_pct(s['lower_pct'], sign=True)} to "
                                            f"{fmt_pct(s['upper_pct'], sign=True)})")
            elif key in series.index:
                status = series.loc[key, "status"]
                values["EnPI (actual ÷ expected)"] = _NA
                values["Avoided energy"] = "none yet: baseline year" if status == "baseline period" else status
        for name, value in values.items():
            rows.setdefault(name, []).append(value)
        rows.setdefault("_columns", []).append(label)
    columns = rows.pop("_columns", [])
    frame = pd.DataFrame([[name, *values] for name, values in rows.items()], columns=["KPI", *columns])
    return styled(frame, left=("KPI", *columns), wrap=tuple(columns) if len(columns) > 1 else ())


def _sec_text(row: Mapping) -> str:
    """``0.0582 kWh/unit``, or ``2.61 kWh/unit (0.236 m³/unit)`` for an energy type with another native unit."""
    if pd.isna(row.get("sec_kwh_per_unit")):
        return _NA
    text = f"{fmt_sig(row['sec_kwh_per_unit'])} kWh/unit"
    unit = row.get("native_unit")
    if isinstance(unit, str) and unit != "kWh" and pd.notna(row.get("sec_native_per_unit")):
        text += f" ({fmt_sig(row['sec_native_per_unit'])} {unit}/unit)"
    return text


# ================================================================================================ figures
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
        axis.set_title(f"{_energy_label(energy_type)}", loc="left", fontsize=10)
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
                 color=ENERGY_COLORS.get(energy_type, "tab:blue"), label=_energy_label(energy_type))
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
    average demand by local time of day, weekdays and weekends, with the tariff windows shaded."""
    machines = _machines(frames, scope)
    quarter = frames["energy_15min"]
    quarter = quarter[quarter["machine_id"].isin(machines["machine_id"])]
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
    weekend = local.dt.dayofweek >= 5
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


def daily_comparison(expected_hourly: pd.DataFrame, machine_id: str, scope: Scope) -> pd.DataFrame:
    """Actual vs expected kWh per local day and energy type of one machine, over its normal-operation hours in
    the period (``kind``: ``reporting`` or ``baseline``, whose expected values are out-of-fold model checks)."""
    part = expected_hourly[(expected_hourly["machine_id"] == machine_id)
                           & (expected_hourly["bucket"] >= scope.start_utc)
                           & (expected_hourly["bucket"] < scope.end_utc)]
    if "is_normal" in part.columns:
        part = part[part["is_normal"].fillna(False).astype(bool)]
    local = kpis.local_time(part["bucket"], scope.timezone)
    kind = part["period"] if "period" in part.columns else np.where(
        part["bucket"] >= scope.reporting_start_utc, "reporting", "baseline")
    frame = part.assign(day=local.dt.normalize().to_numpy(), kind=kind)
    return frame.groupby(["energy_type", "day"], as_index=False).agg(
        actual_kwh=("actual_kwh", "sum"), expected_kwh=("expected_kwh", "sum"), hours=("bucket", "size"),
        kind=("kind", "last"))


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
        title = f"{machine_name}, {_energy_label(energy_type).lower()}"
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


def forecast_figure(forecast: Mapping[str, Any] | None, scope: Scope) -> Figure | None:
    """Next week's forecast per local day and energy type with its band."""
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
        axis.set_title(f"{_energy_label(energy_type)}: forecast with its 90 % band", loc="left", fontsize=10)
        _thousands(axis)
        _date_axis(axis, scope.timezone, label=axis is axes[-1])
    return fig


# ================================================================================================ per machine
def machine_sections(frames: Mapping[str, pd.DataFrame], scope: Scope, period: Mapping[str, pd.DataFrame],
                     perf: Mapping[str, Any] | None, expected_hourly: pd.DataFrame | None,
                     incidents: pd.DataFrame | None) -> Iterator[Any]:
    """Per machine, in name order: a Markdown heading (str), its KPI table, its daily actual-vs-expected figure
    and its incidents in the period (a table, or a sentence when there are none)."""
    machines = _machines(frames, scope)
    in_period = incidents_in_period(incidents, frames["machines"], scope) if incidents is not None else None
    for machine in machines.to_dict("records"):
        rated = machine.get("rated_power_kw")
        kind = MACHINE_TYPES.get(machine.get("machine_type"), str(machine.get("machine_type") or "").replace("_", " "))
        extra = f" · rated {rated:,.0f} kW" if rated is not None and pd.notna(rated) else ""
        yield f"### {machine['machine_name']}\n{kind[:1].upper() + kind[1:]}{extra}"
        own = period["machine"][period["machine"]["machine_id"] == machine["machine_id"]]
        yield machine_kpi_table(own, perf, scope)
        if expected_hourly is not None:
            figure = machine_figure(machine["machine_name"], daily_comparison(expected_hourly,
                                                                                machine["machine_id"], scope),
                                    perf, machine["machine_id"], scope)
            if figure is not None:
                yield figure
        if in_period is not None:
            mine = in_period[in_period["machine_id"] == machine["machine_id"]]
            if mine.empty:
                yield "No anomaly detected on this machine in the period."
            else:
                yield f"**Anomalies of {machine['machine_name']} in the period** ({len(mine)}, in time order):"
                yield anomalies_table(mine.sort_values("start"), scope, machine=False)


# ================================================================================================ appendix
def gates_table(candidates: pd.DataFrame | None, machines: pd.DataFrame, scope: Scope) -> Styler | None:
    """The baseline of each machine and energy type of the factory: the selected model, its out-of-sample
    accuracy and the gates it passed or failed (a gate that does not apply to the model is left out)."""
    if candidates is None or candidates.empty:
        return None
    own = machines[machines["factory_id"] == scope.factory_id]["machine_id"]
    chosen = candidates[candidates["machine_id"].isin(own) & candidates["selected"].astype(bool)]
    if chosen.empty:
        return None
    gates = {"ashrae14_passed": "ASHRAE 14", "enpi_lite_passed": "EnPI Lite", "nmec_passed": "NMEC",
             "caltrack_sufficiency_passed": "CalTRACK"}

    def verdicts(row: pd.Series) -> str:
        parts = []
        for column, name in gates.items():
            value = row.get(column)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            parts.append(f"{name} {'✓' if bool(value) else '✗ FAILED'}")
        return ", ".join(parts)

    out = pd.DataFrame({
        "Machine": chosen["machine_name"], "Energy type": chosen["energy_type"].map(_energy_label),
        "Model": chosen["model"].map(lambda m: BASELINE_MODELS.get(m, str(m).replace("_", " "))),
        "Resolution": chosen["resolution"], "CV(RMSE) (%)": 100 * chosen["cv_rmse_oos"],
        "NMBE (%)": 100 * chosen["nmbe_oos"], "R²": chosen["r2_oos"],
        "Gates": chosen.apply(verdicts, axis=1),
        "Active": np.where(chosen["is_active"].astype(bool), "yes", "no"),
    }).sort_values(["Machine", "Energy type"])
    return styled(out, {"CV(RMSE) (%)": lambda v: fmt_number(v, 1),
                        "NMBE (%)": lambda v: fmt_number(v, 2).replace("-", "−"),
                        "R²": lambda v: fmt_number(v, 3)},
                  left=("Machine", "Energy type", "Model", "Resolution", "Gates", "Active"))


def tariffs_appendix_table(tariffs: pd.DataFrame, scope: Scope) -> Styler:
    """The tariffs valid in the period in local time."""
    schedule = tariff_schedule(tariffs, scope)
    cur = scope.currency
    out = pd.DataFrame({"Tariff": schedule["name"], "Applies (local time)": schedule["when"],
                        f"Rate ({cur}/kWh)": schedule["rate_per_kwh"],
                        f"Demand charge ({cur}/kW)": schedule["demand_charge_per_kw"], "Valid": schedule["valid"]})
    return styled(out, {f"Rate ({cur}/kWh)": lambda v: fmt_number(v, 3),
                        f"Demand charge ({cur}/kW)": lambda v: fmt_number(v, 2)},
                  left=("Tariff", "Applies (local time)", "Valid"))


def carbon_appendix_table(frames: Mapping[str, pd.DataFrame], scope: Scope) -> Styler:
    """The emission factors used in the period: the electricity factor of the factory's region valid on each
    local date (falling back to 'default'), and the natural-gas factor per m³."""
    days = pd.date_range(pd.Timestamp(scope.start), pd.Timestamp(scope.end) - pd.Timedelta(days=1), freq="D")
    rows = pd.DataFrame({"factory_id": scope.factory_id, "local_time": days.astype("datetime64[us]")})
    factors = kpis.electricity_carbon_factors(rows, frames["factories"], frames["carbon_factors"])
    region = kpis.carbon_region(frames["factories"], scope.factory_id)
    values = sorted(set(np.round(factors, 6)))
    out = [{"Energy": "Electricity", "Factor": " / ".join(f"{v:.3f}" for v in values), "Unit": "kg CO₂e per kWh",
            "Source": f"grid factor of region {region!r} valid on each local date"}]
    sources = frames.get("energy_sources")
    if sources is not None and "natural_gas" in set(sources["name"]):
        gas = sources[sources["name"] == "natural_gas"].iloc[0]
        out.append({"Energy": "Natural gas", "Factor": f"{gas['carbon_factor']:.2f}", "Unit": "kg CO₂e per m³",
                    "Source": f"energy source table (1 m³ = {kpis.NATIVE_UNITS['natural_gas'][1]} kWh)"})
    out.append({"Energy": "Steam", "Factor": "0", "Unit": "kg CO₂e per kg",
                "Source": "made from the boiler's gas, which is already counted"})
    return styled(pd.DataFrame(out), left=("Energy", "Factor", "Unit", "Source"))


def footer_markdown(scope: Scope, code_version: str = "", enms_version: str = "", generated: object = None) -> str:
    """Provenance: package version, source fingerprint, data window, generation time (UTC)."""
    generated = pd.Timestamp.now(tz="UTC") if generated is None else pd.Timestamp(generated)
    first = _local_naive(scope.data_start_utc, scope.timezone)
    last = _local_naive(scope.data_end_utc, scope.timezone)
    return (f"*Generated {generated:%Y-%m-%d %H:%M} UTC by enms {enms_version or '?'} (source fingerprint "
            f"{code_version or 'not set'}); data from {first:%d %b %Y %H:%M} to {last:%d %b %Y %H:%M} local time; "
            f"report file {scope.filename}.*")


def data_completeness(frames: Mapping[str, pd.DataFrame], scope: Scope, gaps: pd.DataFrame | None = None
                      ) -> Styler:
    """Per machine and energy type: the share of the period's hours with energy data, and the data gaps (from the
    quality step's ``gaps``) overlapping the period: count and longest, in hours."""
    machines = _machines(frames, scope)
    energy = frames["energy_hourly"]
    energy = energy[energy["machine_id"].isin(machines["machine_id"]) & (energy["bucket"] >= scope.start_utc)
                    & (energy["bucket"] < scope.end_utc)]
    present = energy.groupby(["machine_id", "energy_type"])["bucket"].nunique().rename("hours").reset_index()
    present = present.merge(machines[["machine_id", "machine_name"]], on="machine_id")
    out = pd.DataFrame({"Machine": present["machine_name"], "Energy type": present["energy_type"].map(_energy_label),
                        "Hours with data (%)": 100.0 * present["hours"] / scope.hours})
    if gaps is not None:
        mine = gaps[(gaps["gap_start"] < scope.end_utc) & (gaps["gap_end"] > scope.start_utc)]
        mine = mine.assign(clipped=(mine["gap_end"].clip(upper=scope.end_utc) - mine["gap_start"].clip(
            lower=scope.start_utc)) / pd.Timedelta(hours=1))
        per = mine.groupby(["machine_id", "energy_type"]).agg(n=("clipped", "size"), longest=("clipped", "max"))
        key = pd.MultiIndex.from_arrays([present["machine_id"], present["energy_type"]])
        out["Gaps"] = per["n"].reindex(key).fillna(0).astype(int).to_numpy()
        out["Longest gap (h)"] = per["longest"].reindex(key).to_numpy()
    out = out.sort_values(["Machine", "Energy type"])
    return styled(out, {"Hours with data (%)": lambda v: fmt_number(v, 1), "Gaps": fmt_number,
                        "Longest gap (h)": fmt_number}, left=("Machine", "Energy type"))


def forecasts_path(upstream: Mapping[str, Any]) -> str | None:
    """Where the forecasts product is, or None: ``upstream["forecasts"]`` (its ``data`` folder, or a path) when
    the pipeline lists the forecasts step upstream of the report, else ``forecasts/forecasts.parquet`` next to
    the kpis step's folder if such a file exists (the forecasts step is optional)."""
    from pathlib import Path

    entry = upstream.get("forecasts") if hasattr(upstream, "get") else None
    candidates = []
    if entry is not None:
        base = Path(entry.get("data", entry.get("forecasts", "")) if isinstance(entry, Mapping) else entry)
        candidates += [base, base / "forecasts.parquet"]
    kpis_entry = upstream.get("kpis") if hasattr(upstream, "get") else None
    if isinstance(kpis_entry, Mapping) and kpis_entry.get("data"):
        candidates.append(Path(kpis_entry["data"]).parent / "forecasts" / "forecasts.parquet")
    for path in candidates:
        if path.is_file() and path.suffix == ".parquet":
            return str(path)
    return None


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
                axis.bar(x, values, bottom=bottom, color=ENERGY_COLORS[energy_type], label=_energy_label(energy_type))
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


def factory_month_view(factory_month: pd.DataFrame) -> pd.DataFrame:
    """Whole local months per factory: kWh per energy type, electricity peak (kW, local time), load factor,
    total cost, currency, CO₂ (t), and the electricity EnPI and improvement (%)."""
    monthly = factory_month[factory_month["complete"]]
    view = monthly.pivot_table(index=["factory_name", "period"], columns="energy_type", values="energy_kwh")
    view.columns = [f"{column} (kWh)" for column in view.columns]
    electricity = monthly[monthly["energy_type"] == "electricity"].set_index(["factory_name", "period"])
    view["peak (kW)"] = electricity["peak_kw"]
    view["peak at (local)"] = electricity["peak_start_local"].dt.strftime("%d %b %H:%M")
    view["load factor"] = electricity["load_factor"]
    view["total cost"] = monthly.groupby(["factory_name", "period"])["total_cost"].sum()
    view["currency"] = electricity["currency"]
    view["CO₂ (t)"] = monthly.groupby(["factory_name", "period"])["carbon_kg"].sum() / 1000
    view["EnPI"] = electricity["enpi"]
    view["improvement (%)"] = electricity["improvement_pct"]
    return view.reset_index().rename(columns={"factory_name": "factory"})


def latest_machine_month_view(machine_month: pd.DataFrame) -> pd.DataFrame:
    """Each machine's last whole local month: kWh, SEC, ratio EnPI, peak, cost, CO₂, EnPI, improvement, CUSUM."""
    last = machine_month["factory_id"].map(
        machine_month[machine_month["complete"]].groupby("factory_id")["period_start"].max())
    latest = machine_month[machine_month["complete"] & (machine_month["period_start"] == last)]
    columns = {"machine_name": "machine", "energy_type": "energy", "period": "period", "energy_kwh": "kWh",
               "sec_kwh_per_unit": "SEC (kWh/unit)", "enpi_ratio": "ratio EnPI",
               "peak_kw": "peak (kW)", "total_cost": "cost", "currency": "currency", "carbon_kg": "CO₂ (kg)",
               "enpi": "EnPI", "improvement_pct": "improvement (%)", "cusum_kwh": "CUSUM (kWh)"}
    return latest[list(columns)].rename(columns=columns)
