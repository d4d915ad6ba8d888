"""EnPI tracking per SEU (ISO 50001 / ISO 50006): the baseline year's figures (``enpi_baselines``) and, per local
calendar month after it, actual against expected energy with its uncertainty and an ``iso_status``
(``enpi_performance``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.baselines.features import DEFAULT_BASE_C, cooling_degrees, heating_degrees
from enms.baselines.regression import RegressionBaseline
from enms.baselines.savings import savings
from enms.iso50001.keys import row_id
from enms.rows import TRAINED_BY, fit_decimal

BASELINE_COLUMNS = ["id", "seu_id", "baseline_year", "baseline_start_date", "baseline_end_date",
                    "baseline_energy_kwh", "baseline_production_units", "baseline_operating_hours", "baseline_sec",
                    "baseline_avg_temp_c", "baseline_degree_days", "is_active", "notes", "created_by"]
PERFORMANCE_COLUMNS = ["id", "seu_id", "baseline_id", "baseline_year", "period_start", "period_end", "period_type",
                       "actual_energy_kwh", "actual_production_units", "actual_operating_hours", "actual_sec",
                       "expected_energy_kwh", "expected_sec", "deviation_kwh", "deviation_percent",
                       "cumulative_savings_kwh", "cumulative_savings_usd", "iso_status", "compliance_notes",
                       "seu_name", "uncertainty_pct", "adjustment_factor", "currency"]

CRITICAL_DEVIATION_PCT = 5.0
"""Above this deviation (% over expected) a significant overrun is critical: the EnMS's own threshold
(``get_deviation_status``)."""


def iso_status(deviation_pct: float, uncertainty_pct: float) -> str:
    """The ISO 50001 status of a period from d = deviation % (100 · (actual − expected) / expected; negative is a
    saving) and u = the half-width % of expected's 90 % interval (ASHRAE 14 FSU):

    * ``excellent``: d < −u (a saving larger than the uncertainty: significant);
    * ``on_track``: −u ≤ d ≤ u (no significant change);
    * ``requires_attention``: u < d ≤ :data:`CRITICAL_DEVIATION_PCT` (a significant overrun of at most 5 %);
    * ``critical``: d > u and d > :data:`CRITICAL_DEVIATION_PCT`.

    A u that is not finite (no uncertainty could be computed) counts as 0.
    """
    u = abs(uncertainty_pct) if math.isfinite(uncertainty_pct) else 0.0
    if deviation_pct < -u:
        return "excellent"
    if deviation_pct <= u:
        return "on_track"
    return "requires_attention" if deviation_pct <= CRITICAL_DEVIATION_PCT else "critical"


def _decimal(table: str, column: str, value: object) -> float | None:
    return fit_decimal(table, column, value)[0]


def _units(value: float) -> int | None:
    """Production units as the EnMS's INTEGER column holds them (None without a value)."""
    return int(round(value)) if math.isfinite(value) else None


def _ratio(energy: float, production: float) -> float:
    """SEC (kWh/unit): NaN without production (> 0)."""
    return energy / production if math.isfinite(production) and production > 0 else math.nan


def baseline_row(seu_id: str, daily: pd.DataFrame) -> dict[str, object]:
    """The SEU's ``enpi_baselines`` row over its baseline period's local days (all of them, not only normal days):
    energy (kWh), production (units), operating hours, SEC (kWh/unit, NULL without production), the mean of the
    daily mean outdoor temperatures (°C) and degree-days = Σ (HDD + CDD) at 18 °C from each local day's mean
    temperature (°C·day). id = row_id("enpi_baselines", seu_id, baseline_year)."""
    base = daily[daily["in_baseline"]]
    first, last = base["date"].min(), base["date"].max()
    energy = float(base["energy_kwh"].sum())
    production = float(base["production"].sum(min_count=1))
    temperature = base["outdoor_temp_c"].dropna()
    degree_days = float((heating_degrees(temperature, DEFAULT_BASE_C)
                         + cooling_degrees(temperature, DEFAULT_BASE_C)).sum()) if len(temperature) else math.nan
    days = int(base["energy_kwh"].notna().sum())
    table = "enpi_baselines"
    return {
        "id": row_id(table, seu_id, int(first.year)), "seu_id": seu_id, "baseline_year": int(first.year),
        "baseline_start_date": first.date(), "baseline_end_date": last.date(),
        "baseline_energy_kwh": _decimal(table, "baseline_energy_kwh", energy),
        "baseline_production_units": _units(production),
        "baseline_operating_hours": _decimal(table, "baseline_operating_hours",
                                             float(base["operating_hours"].sum(min_count=1))),
        "baseline_sec": _decimal(table, "baseline_sec", _ratio(energy, production)),
        "baseline_avg_temp_c": _decimal(table, "baseline_avg_temp_c", float(temperature.mean())),
        "baseline_degree_days": _decimal(table, "baseline_degree_days", degree_days),
        "is_active": True,
        "notes": (f"{days} of {len(base)} local days with every member's energy; degree-days = HDD + CDD at "
                  f"{DEFAULT_BASE_C:g} °C from daily mean outdoor temperatures ({len(temperature)} days)"),
        "created_by": TRAINED_BY,
    }


@dataclass(frozen=True)
class MonthlyInputs:
    """What the monthly EnPI of one SEU needs besides its daily frame and model.

    ``unit_costs``: local month ('YYYY-MM') → average unit cost of the SEU's energy that month (currency per
    kWh; a month absent or NaN has no cost); ``last_day``: the last local date the data covers whole (months
    ending later are incomplete and left out); ``factors``: the adjustment factor in force on each day of the
    daily frame (aligned with it)."""

    seu_id: str
    seu_name: str
    baseline_id: str
    baseline_year: int
    last_day: pd.Timestamp
    factors: np.ndarray
    unit_costs: Mapping[str, float]
    currency: str | None


def expected_daily(daily: pd.DataFrame, model: RegressionBaseline, factors: np.ndarray) -> pd.DataFrame:
    """The reporting period's compared days: normal days (every member normal, with energy) on or after the
    baseline end where the model has its drivers; with the prediction (kWh), the factor and expected = prediction
    × factor (kWh)."""
    rows = daily["in_reporting"].to_numpy() & daily["is_normal"].to_numpy() & daily["energy_kwh"].notna().to_numpy()
    frame = daily.loc[rows].assign(factor=factors[rows])
    frame["prediction"] = model.predict(frame).to_numpy() if len(frame) else np.array([])
    frame = frame[np.isfinite(frame["prediction"])]
    return frame.assign(expected_kwh=frame["prediction"] * frame["factor"])


def _month_notes(compared: int, days: int, factor: float, cost: float, currency: str | None, d: float,
                 u: float) -> str:
    parts = [f"{compared} of {days} days compared (normal operation, every member with data)",
             f"deviation {d:+.2f} % against a 90 % uncertainty of ±{u:.2f} % (ASHRAE 14 FSU)"]
    if factor != 1.0:
        parts.append(f"expected × {factor:.4f} (approved baseline adjustments)")
    parts.append(f"savings valued at {cost:.4f} {currency}/kWh (the month's average unit cost)"
                 if math.isfinite(cost) else "no cost for this month: savings not valued")
    return "; ".join(parts)


def performance_rows(daily: pd.DataFrame, model: RegressionBaseline, inputs: MonthlyInputs) -> pd.DataFrame:
    """The SEU's ``enpi_performance`` rows (:data:`PERFORMANCE_COLUMNS`), one per **complete** local calendar month
    after the baseline period (a month the baseline end or the data end cuts is left out), over its compared days
    (:func:`expected_daily`; a month without any, or whose expected energy is not positive, has no row).

    actual / expected in kWh, deviation_kwh = actual − expected, deviation_percent = 100 · deviation / expected,
    SEC = energy / production (kWh/unit), cumulative_savings_kwh = Σ (expected − actual) over the local calendar
    year so far, cumulative_savings_usd the same Σ of each month's saving × its unit cost (in ``currency``, not
    necessarily USD; months without a cost add nothing and get NULL), uncertainty_pct the half-width of the
    90 % interval of the month's expected (ASHRAE 14 FSU with the model's in-sample CV(RMSE), n and ρ), and
    iso_status by :func:`iso_status`. adjustment_factor = expected / unadjusted prediction."""
    compared = expected_daily(daily, model, inputs.factors)
    first_reporting = daily.loc[daily["in_reporting"], "date"].min()
    rows = []
    if pd.isna(first_reporting):
        return pd.DataFrame(rows, columns=PERFORMANCE_COLUMNS)
    month = compared["date"].dt.to_period("M")
    for period, days in compared.groupby(month, sort=True):
        start, end = period.start_time, period.end_time.normalize()
        if start < first_reporting or end > inputs.last_day:
            continue
        actual, expected = float(days["energy_kwh"].sum()), float(days["expected_kwh"].sum())
        if expected <= 0:  # no deviation % against nothing; the EnMS's CHECK also refuses a negative expected
            continue
        production = float(days["production"].sum(min_count=1))
        outcome = savings(days["energy_kwh"], days["expected_kwh"], baseline=model)
        u = 100.0 * outcome.half_width_kwh / expected
        d = 100.0 * (actual - expected) / expected
        cost = float(inputs.unit_costs.get(str(period), math.nan))
        factor = expected / float(days["prediction"].sum()) if days["prediction"].sum() else 1.0
        rows.append({
            "id": row_id("enpi_performance", inputs.seu_id, start.date(), "monthly"), "seu_id": inputs.seu_id,
            "baseline_id": inputs.baseline_id, "baseline_year": inputs.baseline_year,
            "period_start": start.date(), "period_end": end.date(), "period_type": "monthly",
            "actual_energy_kwh": actual, "actual_production_units": _units(production),
            "actual_operating_hours": float(days["operating_hours"].sum(min_count=1)),
            "actual_sec": _ratio(actual, production), "expected_energy_kwh": expected,
            "expected_sec": _ratio(expected, production), "deviation_kwh": actual - expected,
            "deviation_percent": d, "saving_kwh": expected - actual, "saving_money": (expected - actual) * cost,
            "iso_status": iso_status(d, u),
            "compliance_notes": _month_notes(len(days), period.days_in_month, factor, cost, inputs.currency, d, u),
            "seu_name": inputs.seu_name, "uncertainty_pct": u, "adjustment_factor": factor,
            "currency": inputs.currency if math.isfinite(cost) else None,
        })
    if not rows:
        return pd.DataFrame(rows, columns=PERFORMANCE_COLUMNS)
    out = pd.DataFrame(rows)
    year = pd.to_datetime(out["period_start"]).dt.year
    out["cumulative_savings_kwh"] = out.groupby(year)["saving_kwh"].cumsum()
    money = out.groupby(year)["saving_money"].cumsum()
    out["cumulative_savings_usd"] = money.where(out["saving_money"].notna())
    return _stored(out[PERFORMANCE_COLUMNS])


_PERFORMANCE_DECIMALS = ("actual_energy_kwh", "actual_operating_hours", "actual_sec", "expected_energy_kwh",
                         "expected_sec", "deviation_kwh", "deviation_percent", "cumulative_savings_kwh",
                         "cumulative_savings_usd")


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """The DECIMAL columns as the EnMS stores them (rounded; NULL where they do not fit or are NaN)."""
    out = frame.copy()
    for column in _PERFORMANCE_DECIMALS:
        out[column] = [_decimal("enpi_performance", column, v) for v in out[column]]
    return out
