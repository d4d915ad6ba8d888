"""Demand: 15-minute demand profiles, peak demand per local period and the load factor (electricity only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.kpis.energy import _energy
from enms.kpis.periods import _IDS, Freq, Level, LocalBound, _check_level, _finish, _info, _keys, _prepare

DEMAND_INTERVAL_HOURS = 0.25
"""Demand interval of the tariffs: 15 minutes. Demand (kW) = interval kWh / 0.25 h."""


def _coarse_machines(energy: pd.DataFrame, machines: pd.DataFrame) -> pd.Index:
    """Machines whose buckets are longer than the demand interval (hourly energy / 0.25 h would be 4 × the
    demand).

    A bucket covers ``total_readings`` × the machine's ``data_interval_seconds``; where either is unknown the
    bucket is taken for what the caller says it is. A machine whose buckets follow each other 15 minutes apart
    (or closer) passes whatever its readings: its declared interval is then longer than its meter's (an EnMS
    machine declaring 30 s and sending every second), not its buckets.
    """
    if "total_readings" not in energy.columns or "data_interval_seconds" not in machines.columns or energy.empty:
        return pd.Index([])
    most = energy.groupby("machine_id")["total_readings"].max()
    step = machines.drop_duplicates("machine_id").set_index("machine_id")["data_interval_seconds"]
    covered = pd.to_numeric(most, errors="coerce") * pd.to_numeric(step.reindex(most.index), errors="coerce")
    keys = ["machine_id", "energy_type"] if "energy_type" in energy.columns else ["machine_id"]
    ordered = energy.sort_values("bucket")  # spacing per energy type: a boiler's gas and steam share buckets
    spacing = ordered.groupby(keys)["bucket"].diff().groupby(ordered["machine_id"]).min()
    fine = spacing.reindex(covered.index) <= pd.Timedelta(hours=DEMAND_INTERVAL_HOURS)
    return covered.index[(covered > 1.5 * DEMAND_INTERVAL_HOURS * 3600) & ~fine]


def _check_demand_resolution(energy: pd.DataFrame, machines: pd.DataFrame) -> None:
    """Refuse buckets longer than the demand interval (see :func:`_coarse_machines`)."""
    if len(_coarse_machines(energy, machines)):
        raise ValueError("energy buckets cover more than 15 minutes of readings: demand needs 15-minute (or "
                         "finer) energy such as energy_15min, not hourly energy")


def demand_energy(energy_15min: pd.DataFrame, machines: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``energy_15min`` of machines metered every 15 minutes or finer: an hourly meter (imported
    hourly data) has no 15-minute demand, so its peak and demand charge stay unknown (NaN) instead of 4 × its
    hourly energy."""
    return energy_15min[~energy_15min["machine_id"].isin(_coarse_machines(energy_15min, machines))]


def _demand_rows(energy_15min: pd.DataFrame, machines: pd.DataFrame, freq: Freq, start: LocalBound,
                 end: LocalBound) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Electricity per machine and 15-minute interval (finer buckets summed into their interval), with
    ``energy_kwh`` and ``demand_kw`` = energy_kwh / 0.25 h."""
    _check_demand_resolution(energy_15min, machines)
    energy = _energy(energy_15min)
    energy = energy[energy["energy_type"] == "electricity"]
    if not energy["bucket"].dt.minute.isin([0, 15, 30, 45]).all() or (energy["bucket"].dt.second != 0).any():
        energy = energy.assign(bucket=energy["bucket"].dt.floor("15min"))
    if energy.duplicated(["machine_id", "bucket"]).any():
        energy = energy.groupby(["machine_id", "bucket"], as_index=False)["total_energy_kwh"].sum()
    rows, periods = _prepare(energy[["bucket", "machine_id", "total_energy_kwh"]], machines, freq, start, end)
    rows = rows.rename(columns={"total_energy_kwh": "energy_kwh"})
    rows["demand_kw"] = rows["energy_kwh"] / DEMAND_INTERVAL_HOURS
    return rows, periods


def _factory_demand(rows: pd.DataFrame) -> pd.DataFrame:
    """A factory's coincident demand: its machines' energy summed per 15-minute interval."""
    out = rows.groupby(["factory_id", "bucket"], as_index=False, sort=False).agg(
        timezone=("timezone", "first"), local_time=("local_time", "first"), period_start=("period_start", "first"),
        energy_kwh=("energy_kwh", "sum"))
    out["demand_kw"] = out["energy_kwh"] / DEMAND_INTERVAL_HOURS
    return out


def demand_profile(energy_15min: pd.DataFrame, machines: pd.DataFrame, *, level: Level = "machine",
                   start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """15-minute demand series of electricity per machine or factory: ``bucket`` (interval start, UTC),
    ``local_time`` (naive local wall-clock), ``energy_kwh`` and ``demand_kw`` = interval kWh / 0.25 h.
    A factory's demand is the sum of its machines' energy per interval."""
    _check_level(level)
    rows, _ = _demand_rows(energy_15min, machines, "day", start, end)
    if level == "factory":
        rows = _factory_demand(rows)
        rows = rows.join(_info(machines).drop_duplicates("factory_id").set_index("factory_id")[["factory_name"]],
                         on="factory_id")
    else:
        rows = rows.join(_info(machines)[["machine_name", "factory_name"]], on="machine_id")
    return rows[_IDS[level] + ["timezone", "bucket", "local_time", "energy_kwh", "demand_kw"]].sort_values(
        _IDS[level][1:] + ["bucket"], ignore_index=True)


def load_factor(energy_kwh: pd.Series | float, peak_kw: pd.Series | float,
                hours: pd.Series | float) -> pd.Series | float:
    """Load factor = kWh / (peak 15-min kW × hours in the period) (real hours: a 23-h day has 23); NaN where
    the peak is not positive."""
    if np.isscalar(peak_kw):
        return float(energy_kwh) / (float(peak_kw) * float(hours)) if peak_kw > 0 else float("nan")
    return energy_kwh / (peak_kw.where(peak_kw > 0) * hours)


def _peaks_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                     level: Level) -> pd.DataFrame:
    if level == "factory":
        rows = _factory_demand(rows)
    keys = _keys(level, energy_type=False)
    top = rows.groupby(keys, sort=False)["demand_kw"].transform("max")
    peaks = (rows[rows["demand_kw"] == top].sort_values("bucket").drop_duplicates(keys)
             [keys + ["demand_kw", "bucket", "local_time"]]
             .rename(columns={"demand_kw": "peak_kw", "bucket": "peak_start", "local_time": "peak_start_local"}))
    energy = rows.groupby(keys, as_index=False, sort=False).agg(energy_kwh=("energy_kwh", "sum"),
                                                               intervals=("bucket", "size"))
    out = peaks.merge(energy, on=keys, how="left").assign(energy_type="electricity")
    out = _finish(out, periods, machines, level,
                  ["peak_kw", "peak_start", "peak_start_local", "energy_kwh", "intervals"])
    out["load_factor"] = load_factor(out["energy_kwh"], out["peak_kw"], out["hours"])
    return out


def peak_demand(energy_15min: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Peak 15-minute demand of electricity per machine (or factory) × local period, and the load factor.

    Demand is the average power over a 15-minute interval = interval kWh / 0.25 h; the maximum instantaneous
    sample (``max_power_kw``) is not demand and is ignored. Finer buckets (1-minute data) are summed into their
    15-minute interval first; hourly buckets are refused. A factory's demand is the sum of its machines'
    energy in each interval (coincident), then the maximum. Ties go to the earliest interval.

    Columns: ``energy_type`` (always electricity), period columns, ``peak_kw``, ``peak_start`` (interval start,
    UTC), ``peak_start_local`` (interval start, naive local wall-clock), ``energy_kwh`` (the period's
    electricity from the same 15-minute data), ``intervals`` (15-minute intervals with data; a whole period
    has hours × 4), ``load_factor`` = energy_kwh / (peak_kw × hours).
    """
    _check_level(level)
    rows, periods = _demand_rows(energy_15min, machines, freq, start, end)
    return _peaks_from_rows(rows, periods, machines, level)
