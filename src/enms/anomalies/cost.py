"""The cost of an event's wasted energy at the factory's local tariff.

Electricity is costed hour by hour through :func:`enms.kpis.tariff_rates` (the tariff of the LOCAL hour and
weekday), natural gas as m³ (kWh / :data:`~enms.units.GAS_KWH_PER_M3`) × the ``energy_sources`` price per m³,
steam at 0 (its fuel is already costed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import kpis
from enms.anomalies.frame import interval_rows
from enms.frames import metadata_by_id
from enms.units import GAS_KWH_PER_M3


def _currency(factories: pd.DataFrame | None, tariffs: pd.DataFrame) -> dict[str, str | None]:
    """factory_id → currency: the factory's metadata, else its tariffs'."""
    out: dict[str, str | None] = {fid: meta["currency"] for fid, meta in
                                  metadata_by_id(factories, "factory_id").items() if meta.get("currency")}
    if "currency" in tariffs.columns:
        for fid, cur in tariffs.dropna(subset=["currency"]).groupby("factory_id")["currency"].first().items():
            out.setdefault(str(fid), cur)
    return out


def _wasted_hours(events: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame | None:
    """One row per event hour with waste: ``event`` (row of ``events``), bucket, machine_id, energy_type and
    ``total_energy_kwh`` = max(0, actual − expected) of the eligible hour; None when no event's series is in
    ``frame``."""
    pieces = []
    for key, pos, part, lo, hi in interval_rows(frame, events):
        take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if len(lo) else []
        owner = np.concatenate([np.full(b - a, p) for a, b, p in zip(lo, hi, pos, strict=True)]) if len(lo) else []
        rows = part.iloc[take]
        wasted = np.where(rows["eligible"].to_numpy(dtype=bool),
                          np.maximum(rows["residual_kwh"].to_numpy(dtype="float64"), 0.0), 0.0)
        pieces.append(pd.DataFrame({"event": owner, "bucket": rows["bucket"].to_numpy(),
                                    "machine_id": key[0], "energy_type": key[1], "total_energy_kwh": wasted}))
    if not pieces:
        return None
    hourly = pd.concat(pieces, ignore_index=True)
    hourly = hourly[hourly["total_energy_kwh"] > 0].reset_index(drop=True)
    hourly["bucket"] = hourly["bucket"].astype("datetime64[us, UTC]")
    return hourly


def add_costs(events: pd.DataFrame, frame: pd.DataFrame, machines: pd.DataFrame, factories: pd.DataFrame | None,
              tariffs: pd.DataFrame, energy_sources: pd.DataFrame) -> pd.DataFrame:
    """Add ``wasted_cost`` and ``currency``: the event's hourly wasted kWh (max(0, actual − expected) of its
    eligible hours) costed at the factory's LOCAL tariff (``kpis.tariff_rates``), natural gas as m³ × the
    ``energy_sources`` price, steam 0 (its fuel is already costed); another energy type gives NaN."""
    events = events.reset_index(drop=True).copy()
    events["wasted_cost"] = 0.0
    factory = machines.drop_duplicates("machine_id").set_index(machines["machine_id"].astype(str)).get("factory_id")
    currency = _currency(factories, tariffs)
    events["currency"] = events["machine_id"].map(factory).map(currency) if factory is not None else None
    if events.empty:
        return events
    hourly = _wasted_hours(events, frame)
    if hourly is None:
        return events
    cost = np.full(len(hourly), np.nan)
    kind = hourly["energy_type"].to_numpy()
    elec = kind == "electricity"
    if elec.any():
        pairs = hourly.loc[elec, ["bucket", "machine_id", "energy_type", "total_energy_kwh"]].drop_duplicates(
            ["machine_id", "bucket"])
        rated = kpis.tariff_rates(pairs, machines, tariffs)  # sorted: map the rate back by (machine, bucket)
        rate = rated.set_index(["machine_id", "bucket"])["rate_per_kwh"]
        sub = hourly[elec]
        cost[elec] = sub["total_energy_kwh"].to_numpy() * rate.reindex(
            pd.MultiIndex.from_arrays([sub["machine_id"], sub["bucket"]])).to_numpy(dtype="float64")
    gas = kind == "natural_gas"
    if gas.any():
        src = energy_sources[energy_sources["name"] == "natural_gas"]
        price = float(src["cost_per_unit"].iloc[0]) if len(src) else np.nan
        cost[gas] = hourly.loc[gas, "total_energy_kwh"].to_numpy() / GAS_KWH_PER_M3 * price
    cost[kind == "steam"] = 0.0
    total = pd.Series(cost).groupby(hourly["event"].to_numpy()).sum(min_count=1)
    events.loc[total.index, "wasted_cost"] = total.to_numpy()
    return events
