"""The energy the KPIs count where quality does not trust a value, and the data issues a report lists.

Quality's ``unusable`` product (:func:`enms.quality.unusable_hours`) names each untrusted machine-type-hour and
what to count instead (``used_kwh``): spikes and negative values are excluded, energy short of its power
replaced by power × time, exact duplicates scaled back to the expected readings, partial hours kept as measured.
:func:`usable_energy` applies it to the extract's hourly and 15-minute energy before any KPI is computed, so energy,
cost, carbon, demand, SEC and the EnPIs all obey the same rule; :func:`data_issues` summarises it per factory,
machine, energy type and local month.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.frames import one_row_per_key, require_columns
from enms.localtime import local_wall_time
from enms.quality import EXCLUDED, REPLACED, SCALED

_KEYS = ["bucket", "machine_id", "energy_type"]

DATA_ISSUE_COLUMNS = ("factory_id", "factory_name", "machine_id", "machine_name", "energy_type", "timezone",
                      "period", "action", "hours", "kwh_read", "kwh_used", "reasons", "first_local", "last_local",
                      "detail")
"""Columns of :func:`data_issues`."""


def _corrected(energy: pd.DataFrame, unusable: pd.DataFrame, width: pd.Timedelta) -> pd.DataFrame:
    """``energy`` (buckets of ``width``) without the rows of excluded hours, scaled in scaled hours: each bucket's
    kWh × min(1, expected ÷ readings), its readings capped at the expected ones (per bucket: the hour's ×
    width, rounded up); in replaced hours each bucket's average power (kW) × readings ÷ readings per hour (h)."""
    energy = one_row_per_key(energy, _KEYS).sort_index()  # a duplicated bucket counts once
    hour = energy["bucket"].dt.floor("h")
    actions = unusable.assign(hour=unusable["bucket"])[["hour", "machine_id", "energy_type", "action",
                                                         "expected_readings"]]
    matched = pd.DataFrame({"hour": hour, "machine_id": energy["machine_id"].astype(str),
                            "energy_type": energy["energy_type"].astype(str)}).merge(
        actions, on=["hour", "machine_id", "energy_type"], how="left")
    action = matched["action"].to_numpy()
    kept = energy[action != EXCLUDED].copy()
    scaled = (action == SCALED)[action != EXCLUDED]
    if scaled.any() and "total_readings" in kept:
        expected = np.ceil(matched["expected_readings"].to_numpy(float)[action != EXCLUDED][scaled]
                           * (width / pd.Timedelta(hours=1)) - 1e-9)
        readings = kept["total_readings"].to_numpy(float)[scaled]
        factor = np.minimum(1.0, np.divide(expected, readings, out=np.ones_like(readings), where=readings > 0))
        kwh = kept["total_energy_kwh"].to_numpy(float, copy=True)
        kwh[scaled] = kwh[scaled] * factor
        kept["total_energy_kwh"] = kwh
        counts = kept["total_readings"].to_numpy(copy=True)
        counts[scaled] = np.minimum(readings, expected).astype(counts.dtype)
        kept["total_readings"] = counts
    replaced = (action == REPLACED)[action != EXCLUDED]
    if replaced.any():  # each bucket's average power × the hours its readings cover
        per_hour = matched["expected_readings"].to_numpy(float)[action != EXCLUDED][replaced]
        kwh = kept["total_energy_kwh"].to_numpy(float, copy=True)
        kwh[replaced] = (kept["avg_power_kw"].to_numpy(float)[replaced]
                         * kept["total_readings"].to_numpy(float)[replaced] / per_hour)
        kept["total_energy_kwh"] = kwh
    return kept.reset_index(drop=True)


def usable_energy(frames: Mapping[str, pd.DataFrame], unusable: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """``frames`` with ``energy_hourly`` and ``energy_15min`` as the KPIs count them: one row per bucket, machine
    and energy type (the one with the most readings); the hours quality ``excluded`` removed (their 15-minute
    rows too); the hours it ``scaled`` at kWh × expected ÷ readings (each 15-minute row by its own readings against
    a quarter of the hour's expected ones); the hours it ``replaced`` at average power × time. ``unusable``:
    quality's product (None: nothing untrusted)."""
    out = dict(frames)
    table = unusable if unusable is not None else pd.DataFrame(
        columns=["bucket", "machine_id", "energy_type", "action", "expected_readings"])
    require_columns(table, ("bucket", "machine_id", "energy_type", "action", "expected_readings"), "unusable")
    table = table.astype({"machine_id": str, "energy_type": str})
    if len(table):
        table = table.assign(bucket=table["bucket"].astype("datetime64[us, UTC]"))
    for name, width in (("energy_hourly", pd.Timedelta(hours=1)), ("energy_15min", pd.Timedelta(minutes=15))):
        if name in frames:
            out[name] = _corrected(frames[name], table, width)
    return out


def data_issues(unusable: pd.DataFrame | None, machines: pd.DataFrame) -> pd.DataFrame:
    """The untrusted hours per factory, machine, energy type, local calendar month and action.

    Columns (:data:`DATA_ISSUE_COLUMNS`): ids and names, timezone, period ('YYYY-MM', the factory's local month),
    action (quality's: excluded, replaced by power × time, scaled, kept as measured), hours, kwh_read (as the EnMS
    stored it), kwh_used (what the KPIs count), reasons ('; '-joined, with their counts: 'spike ×1'), first_local /
    last_local (naive local wall clock of the first and last such hour) and detail (for up to three hours, each
    one's local time and what was seen, e.g. '2026-10-07 14:00 1,000 × its 99.5th-percentile hour').
    """
    if unusable is None or unusable.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c.startswith("kwh") else "int64" if c == "hours"
                                          else object) for c in DATA_ISSUE_COLUMNS})
    require_columns(unusable, ("bucket", "machine_id", "energy_type", "reason", "detail", "total_energy_kwh",
                               "used_kwh", "action"), "unusable")
    require_columns(machines, ("machine_id", "machine_name", "factory_id", "factory_name", "timezone"), "machines")
    info = machines.drop_duplicates("machine_id").astype({"machine_id": str}).set_index("machine_id")
    rows = unusable[unusable["machine_id"].astype(str).isin(info.index)].reset_index(drop=True)
    rows = rows.assign(machine_id=rows["machine_id"].astype(str))
    for column in ("machine_name", "factory_id", "factory_name", "timezone"):
        rows[column] = rows["machine_id"].map(info[column]).to_numpy()
    rows["local"] = local_wall_time(rows["bucket"], rows["timezone"])
    rows["period"] = rows["local"].dt.strftime("%Y-%m")
    keys = ["factory_id", "factory_name", "machine_id", "machine_name", "energy_type", "timezone", "period",
            "action"]
    out = rows.groupby(keys, sort=True).agg(
        hours=("bucket", "size"), kwh_read=("total_energy_kwh", "sum"), kwh_used=("used_kwh", "sum"),
        reasons=("reason", _counted), first_local=("local", "min"), last_local=("local", "max")).reset_index()
    details = rows.groupby(keys, sort=True).apply(_details, include_groups=False)
    out["detail"] = details.to_numpy() if len(details) else []
    return out[list(DATA_ISSUE_COLUMNS)]


def _counted(reasons: pd.Series) -> str:
    counts = reasons.value_counts(sort=True)
    return "; ".join(f"{reason} ×{n}" for reason, n in counts.items())


def _details(group: pd.DataFrame, most: int = 3) -> str:
    if len(group) > most:
        return ""
    return "; ".join(f"{local:%Y-%m-%d %H:%M} {detail}" for local, detail in
                     zip(group["local"], group["detail"], strict=True))
