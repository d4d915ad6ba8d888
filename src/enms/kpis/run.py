"""The KPI step: the KPI tables of every factory over the whole data, per local day, week and month."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.kpis.carbon import carbon_regions
from enms.kpis.enpi import baseline_sec_table, mv_expected
from enms.kpis.issues import data_issues, usable_energy
from enms.kpis.periods import _IDS, FREQS
from enms.kpis.tables import _TABLE_FRAMES, _complete, kpi_table
from enms.localtime import local_midnight, wall_clock

KPI_TABLE_FRAMES = (*_TABLE_FRAMES, "window")
"""The extract step's products :func:`run` needs."""


def run(frames: Mapping[str, pd.DataFrame], expected_hourly: pd.DataFrame | None = None,
        candidates: pd.DataFrame | None = None, *, unusable: pd.DataFrame | None = None,
        freqs: tuple[str, ...] = FREQS, levels: tuple[str, ...] = ("machine", "factory")) -> dict[str, pd.DataFrame]:
    """``kpi_table`` of every factory over the whole data, per local period and level: one frame per
    ``"<level>_<freq>"`` (e.g. ``machine_month``, ``factory_day``) plus ``baseline_sec``, ``carbon_regions``
    (each factory's carbon region and how it was chosen, :func:`enms.kpis.carbon.carbon_regions`) and
    ``data_issues`` (:func:`enms.kpis.issues.data_issues`).

    Energy is counted as quality trusts it (``unusable``, quality's product: :func:`enms.kpis.issues.usable_energy`):
    an excluded hour (spike, negative value) and its 15-minute rows count nothing, duplicated readings are scaled
    back, so one bad hour cannot multiply a bill; every such hour is listed in ``data_issues``.

    The window is the whole local days inside ``frames["window"]`` [start, end) in each factory's zone (a partial
    first or last day is left out, so every period's ``hours`` is the time its data can cover). The ratio EnPI is
    against the SEC of the baseline period (``baseline_sec_table``); the regression EnPI, the energy
    performance improvement and the CUSUM against ``expected_hourly`` (the baselines step's product) on its
    M&V hours only (``mv_expected``: reporting period, normal operation; with ``candidates``, active baselines
    only), so the EnPI columns are NaN in the baseline period. Added columns:

    * ``complete``: the period is a whole calendar day/week/month (the first and last months are clipped);
    * ``cusum_kwh`` (where ``expected_hourly`` is given): running Σ ``avoided_kwh`` (expected − actual, kWh) per
      machine (or factory) and energy type over the periods in time order; a rising CUSUM is saving.
    """
    absent = [name for name in KPI_TABLE_FRAMES if name not in frames]
    if absent:
        raise ValueError(f"kpis.run needs frames {', '.join(absent)}")
    window = frames["window"].iloc[0]
    frames = usable_energy(frames, unusable)
    expected = None if expected_hourly is None else mv_expected(expected_hourly, candidates)
    reference = baseline_sec_table(frames)
    out: dict[str, list[pd.DataFrame]] = {f"{level}_{freq}": [] for level in levels for freq in freqs}
    for factory_id, machines in frames["machines"].groupby("factory_id", sort=True):
        zone = machines["timezone"].iloc[0]
        start = wall_clock(local_midnight(window["start"], zone), zone)
        end = wall_clock(local_midnight(window["end"], zone, after=False), zone)
        if end <= start:
            continue
        for level in levels:
            for freq in freqs:
                table = kpi_table(frames, factory_id, start, end, freq=freq, level=level, expected=expected,
                                  baseline_sec=reference if level == "machine" else None)
                out[f"{level}_{freq}"].append(table)
    result = {}
    for name, pieces in out.items():
        level, freq = name.split("_")
        table = pd.concat(pieces, ignore_index=True)
        table["complete"] = _complete(table, freq)
        if expected is not None:
            group = ["machine_id" if level == "machine" else "factory_id", "energy_type"]
            table = table.sort_values(group + ["period_start"], ignore_index=True)
            table["cusum_kwh"] = table.groupby(group, sort=False)["avoided_kwh"].cumsum()
            table.loc[table["avoided_kwh"].isna(), "cusum_kwh"] = np.nan
            table = table.sort_values(_IDS[level][1:] + ["energy_type", "period_start"], ignore_index=True)
        result[name] = table
    result["baseline_sec"] = reference
    factories = frames["machines"].drop_duplicates("factory_id").sort_values("factory_id")
    regions = carbon_regions(frames["factories"], frames["carbon_factors"], factories["factory_id"].tolist())
    result["carbon_regions"] = regions.assign(factory_name=factories["factory_name"].to_numpy())
    result["data_issues"] = data_issues(unusable, frames["machines"])
    return result
