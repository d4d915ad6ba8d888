"""Significant energy uses (SEUs): which series an EnMS SEU covers, which active baselines have no SEU, and the
SEU's ISO 50006 daily regression model.

An SEU (a ``seus`` row, not ``is_active = false``) covers a series (machine, energy type) when its
``energy_source_id`` is that energy type's id (``energy_sources``) and its ``machine_ids`` hold the machine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from enms.baselines.regression import RegressionBaseline
from enms.baselines.run import Series
from enms.iso50001.keys import row_id
from enms.localtime import local_date_start, wall_clock
from enms.rows import TRAINED_BY, fit_decimal

STATUS_COLUMNS = ["seu_id", "name", "energy_type", "status", "reason"]
MISSING_COLUMNS = ["id", "name", "description", "energy_source_id", "machine_ids", "baseline_year", "machine_id",
                   "machine_name", "energy_type", "reason"]
MODEL_COLUMNS = ["id", "name", "energy_source_id", "machine_ids", "baseline_year", "baseline_start_date",
                 "baseline_end_date", "regression_coefficients", "intercept", "feature_columns", "r_squared", "rmse",
                 "mae", "trained_at", "trained_by", "energy_type", "machine_names"]
DRIVERS = ("production", "operating_hours", "closure")
"""Candidate daily drivers of an SEU model besides the degree terms (kept where they vary in the baseline)."""


def _truthy(value: object) -> bool:
    """A nullable boolean read as the EnMS defaults it: NULL is True (``is_active DEFAULT true``)."""
    return True if value is None or (not isinstance(value, (list, np.ndarray)) and pd.isna(value)) else bool(value)


def active_series(energy_baselines_rows: pd.DataFrame, energy_sources: pd.DataFrame) -> pd.DataFrame:
    """The series (machine_id, energy_type, energy_source_id) whose selected baseline is active."""
    names = dict(zip(energy_sources["energy_source_id"].astype(str), energy_sources["name"].astype(str),
                     strict=True))
    rows = energy_baselines_rows[energy_baselines_rows["is_active"].astype(bool)]
    out = pd.DataFrame({"machine_id": rows["machine_id"].astype(str),
                        "energy_source_id": rows["energy_source_id"].astype(str)})
    out["energy_type"] = out["energy_source_id"].map(names)
    return out.drop_duplicates(["machine_id", "energy_type"]).reset_index(drop=True)


def matched_members(seus: pd.DataFrame, energy_sources: pd.DataFrame) -> pd.DataFrame:
    """One row per (active SEU, member machine): seu_id, name, energy_source_id, energy_type, machine_id.

    An SEU whose energy source is not in ``energy_sources`` gets energy_type None (it matches no series)."""
    names = dict(zip(energy_sources["energy_source_id"].astype(str), energy_sources["name"].astype(str),
                     strict=True))
    rows = []
    for seu in seus.itertuples(index=False):
        if not _truthy(getattr(seu, "is_active", None)):
            continue
        for machine_id in list(seu.machine_ids):
            rows.append({"seu_id": str(seu.id), "name": seu.name, "energy_source_id": str(seu.energy_source_id),
                         "energy_type": names.get(str(seu.energy_source_id)), "machine_id": str(machine_id)})
    return pd.DataFrame(rows, columns=["seu_id", "name", "energy_source_id", "energy_type", "machine_id"])


def seu_status(seus: pd.DataFrame, energy_sources: pd.DataFrame, active: pd.DataFrame,
               machines: pd.DataFrame) -> pd.DataFrame:
    """Per active SEU (:data:`STATUS_COLUMNS`): 'modelled' when every member machine is in this run with an active
    baseline of the SEU's energy type, else 'not modelled' with the members that are not (and why)."""
    members = matched_members(seus, energy_sources)
    present = set(machines["machine_id"].astype(str))
    names = dict(zip(machines["machine_id"].astype(str), machines["machine_name"].astype(str), strict=True))
    baselined = set(zip(active["machine_id"], active["energy_type"], strict=True))
    rows = []
    for (seu_id, name), group in members.groupby(["seu_id", "name"], sort=False):
        energy_type = group["energy_type"].iloc[0]
        problems = []
        if energy_type is None:
            problems.append(f"energy source {group['energy_source_id'].iloc[0]} is not in energy_sources")
        else:
            absent = [m for m in group["machine_id"] if m not in present]
            unfit = [names[m] for m in group["machine_id"] if m in present and (m, energy_type) not in baselined]
            if absent:
                problems.append(f"machines not in this run: {', '.join(absent)}")
            if unfit:
                problems.append(f"no active {energy_type} baseline: {', '.join(unfit)}")
        rows.append({"seu_id": seu_id, "name": name, "energy_type": energy_type,
                     "status": "not modelled" if problems else "modelled", "reason": "; ".join(problems)})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def missing_seus(seus: pd.DataFrame, energy_baselines_rows: pd.DataFrame, energy_sources: pd.DataFrame,
                 machines: pd.DataFrame) -> pd.DataFrame:
    """The SEU rows an operator may create (``enms seus --create``): one per series with an active baseline that
    no active SEU covers (:data:`MISSING_COLUMNS`). id = row_id("seus", machine_id, energy_source_id); name =
    the machine's name for electricity, "<machine name> <energy type>" otherwise; baseline_year = the local year
    in which the baseline's training starts (the machine's factory zone). Never created here."""
    active = active_series(energy_baselines_rows, energy_sources)
    members = matched_members(seus, energy_sources)
    covered = set(zip(members["machine_id"], members["energy_type"], strict=True))
    info = machines.assign(machine_id=machines["machine_id"].astype(str)).set_index("machine_id")
    starts = energy_baselines_rows.assign(machine_id=energy_baselines_rows["machine_id"].astype(str),
                                          energy_source_id=energy_baselines_rows["energy_source_id"].astype(str))
    starts = starts[starts["is_active"].astype(bool)].set_index(["machine_id", "energy_source_id"])
    rows = []
    for series in active.itertuples(index=False):
        if (series.machine_id, series.energy_type) in covered or series.machine_id not in info.index:
            continue
        machine = info.loc[series.machine_id]
        start = starts.loc[(series.machine_id, series.energy_source_id), "training_start_date"]
        start = start.iloc[0] if isinstance(start, pd.Series) else start
        name = machine["machine_name"] if series.energy_type == "electricity" else (
            f"{machine['machine_name']} {series.energy_type}")
        rows.append({
            "id": row_id("seus", series.machine_id, series.energy_source_id), "name": name,
            "description": f"{series.energy_type} of {machine['machine_name']} (created by {TRAINED_BY})",
            "energy_source_id": series.energy_source_id, "machine_ids": [series.machine_id],
            "baseline_year": int(wall_clock(start, machine["timezone"]).year),
            "machine_id": series.machine_id, "machine_name": machine["machine_name"],
            "energy_type": series.energy_type, "reason": "active baseline without an SEU",
        })
    return pd.DataFrame(rows, columns=MISSING_COLUMNS)


# ------------------------------------------------------------------------------------------------ daily frame
def seu_daily(members: Sequence[Series]) -> pd.DataFrame:
    """The SEU's local days from its member series' daily frames (each member in its own factory's zone).

    Columns: date (naive local midnight), energy_kwh, production, operating_hours, closure (sums over members;
    closure: any member closed), outdoor_temp_c (mean of the members' daily means, °C), in_baseline (the day is
    in every member's baseline period), in_reporting (on or after every member's baseline end), is_normal (every
    member has the day and it is normal for each: the rows the baselines step trains its daily models on).
    """
    parts = []
    for s in members:
        d = s.daily.copy()
        d["in_baseline"] = ((d["day_start"] >= s.baseline_start) & (d["day_start"] < s.baseline_end)).to_numpy()
        d["in_reporting"] = (d["day_start"] >= s.baseline_end).to_numpy()
        if "is_normal" not in d:
            d["is_normal"] = d["is_complete"]
        for column in (*DRIVERS, "outdoor_temp_c"):
            if column not in d:
                d[column] = np.nan
        parts.append(d[["date", "energy_kwh", *DRIVERS, "outdoor_temp_c", "in_baseline", "in_reporting",
                        "is_normal"]])
    stacked = pd.concat(parts, ignore_index=True)
    n = len(members)
    grouped = stacked.groupby("date", sort=True)
    out = grouped.agg(closure=("closure", "max"), outdoor_temp_c=("outdoor_temp_c", "mean"),
                      in_baseline=("in_baseline", "all"), in_reporting=("in_reporting", "all"),
                      is_normal=("is_normal", "all"), members=("is_normal", "size")).reset_index()
    for column in ("energy_kwh", "production", "operating_hours"):
        # a day's total needs every member's value: a missing one is NaN, never a smaller total
        complete = grouped[column].count().to_numpy() == n
        out[column] = np.where(complete, grouped[column].sum().to_numpy(), np.nan)
    out["is_normal"] = out["is_normal"] & (out.pop("members") == n)
    return out


def model_drivers(daily: pd.DataFrame) -> list[str]:
    """The drivers of the SEU model, as the baselines step picks them for its daily regression: production,
    operating hours and closure days where they vary on the baseline's normal days, hdd and cdd where there is
    an outdoor temperature."""
    base = daily[daily["in_baseline"] & daily["is_normal"]]
    varying = [c for c in DRIVERS if c in base and base[c].nunique(dropna=True) > 1]
    weather = bool(base["outdoor_temp_c"].notna().any())
    return [*varying, *(["hdd", "cdd"] if weather else [])]


def fit_seu_model(daily: pd.DataFrame) -> RegressionBaseline:
    """The SEU's ISO 50006 regression (balance points searched) on the baseline period's normal days."""
    rows = daily[daily["in_baseline"] & daily["is_normal"]]
    return RegressionBaseline(drivers=model_drivers(daily)).fit(rows, rows["energy_kwh"])


def feature_names(model: RegressionBaseline) -> dict[str, str]:
    """Driver → its name in the seus row: degree terms carry their balance point ('hdd_16.5C')."""
    points = model.balance_points_
    return {d: f"{d}_{points[d]:g}C" if d in points else d for d in model.drivers}


def model_row(seu: pd.Series, model: RegressionBaseline, daily: pd.DataFrame, zone: str,
              machine_names: Sequence[str]) -> dict[str, object]:
    """The ``seus`` columns an SEU's model fills (:data:`MODEL_COLUMNS`).

    r_squared, rmse and mae are **in sample** (the baseline's normal days; rmse and mae in kWh/day). The period
    is the baseline's local dates (end inclusive); baseline_year its first day's year; trained_at the end of
    the baseline period (UTC: the local midnight after its last day), so a re-run writes the same row.
    """
    base = daily[daily["in_baseline"]]
    first, last = base["date"].min(), base["date"].max()
    names = feature_names(model)
    stats = model.fit_stats_
    return {
        "id": str(seu["id"]), "name": seu["name"], "energy_source_id": str(seu["energy_source_id"]),
        "machine_ids": [str(m) for m in seu["machine_ids"]], "baseline_year": int(first.year),
        "baseline_start_date": first.date(), "baseline_end_date": last.date(),
        "regression_coefficients": json.dumps({names[d]: float(v) for d, v in model.coef_.items()}),
        "intercept": fit_decimal("seus", "intercept", model.intercept_)[0],
        "feature_columns": [names[d] for d in model.drivers],
        "r_squared": fit_decimal("seus", "r_squared", stats["r2"])[0],
        "rmse": fit_decimal("seus", "rmse", stats["rmse"])[0],
        "mae": fit_decimal("seus", "mae", stats["mae"])[0],
        "trained_at": local_date_start((last + pd.Timedelta(days=1)).date(), zone),
        "trained_by": TRAINED_BY, "machine_names": list(machine_names),
    }
