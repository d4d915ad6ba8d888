"""Matplotlib figures the notebooks and reports show (units on every axis, local time on calendar axes)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


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
    for gap in gaps[gaps["machine_id"] == machine["machine_id"]].itertuples():
        top.axvspan(gap.gap_start.tz_convert(zone), gap.gap_end.tz_convert(zone), color="tab:red", alpha=0.25,
                    linewidth=0)
    top.set_ylabel("kWh per local day")
    top.set_title(f"{machine['machine_name']} ({machine['factory_name']}, {zone}): energy, with data gaps in red")
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    normal = hours.set_index(hours["bucket"].dt.tz_convert(zone))["is_normal"].astype(float).resample("D").mean()
    bottom.fill_between(normal.index, 100 * normal.to_numpy(), step="post", color="tab:green", alpha=0.6)
    bottom.set_ylim(0, 100)
    bottom.set_ylabel("normal hours %")
    bottom.set_xlabel(f"local date ({zone})")
    bottom.grid(alpha=0.3)
    return fig
