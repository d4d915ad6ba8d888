"""EnPIs: the ratio EnPI (SEC against the baseline SEC), the regression EnPI (actual against the baseline model's
expected energy), the energy performance improvement, the CUSUM of avoided energy (kWh), and their references:
the M&V hours of the expected energy and the baseline period's SEC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from enms.frames import require_columns
from enms.kpis.energy import _energy, sec
from enms.kpis.periods import _IDS, Freq, Level, LocalBound, _check_level, _finish, _info, _keys, _prepare
from enms.localtime import baseline_begin, baseline_boundary, local_midnight, wall_clock


def ratio_enpi(sec_reporting: pd.DataFrame, sec_baseline: pd.DataFrame) -> pd.DataFrame:
    """Ratio EnPI: reporting-period SEC against the baseline-period SEC, per machine and energy type.

    Both frames come from ``sec`` (the baseline with one period, e.g. ``freq=None`` over the baseline year).
    Adds ``baseline_sec_kwh_per_unit``, ``enpi_ratio`` = SEC / baseline SEC (< 1 is better),
    ``ratio_expected_kwh`` = baseline SEC × units produced, ``ratio_avoided_kwh`` = expected − actual (kWh, over
    producing hours) and ``ratio_improvement_pct`` = (expected − actual) / expected × 100.
    """
    base = sec_baseline[["machine_id", "energy_type", "sec_kwh_per_unit"]]
    if base.duplicated(["machine_id", "energy_type"]).any():
        raise ValueError("sec_baseline must hold one period per machine and energy type")
    out = sec_reporting.merge(base.rename(columns={"sec_kwh_per_unit": "baseline_sec_kwh_per_unit"}),
                              on=["machine_id", "energy_type"], how="left")
    baseline = out["baseline_sec_kwh_per_unit"].where(out["baseline_sec_kwh_per_unit"] > 0)
    out["enpi_ratio"] = out["sec_kwh_per_unit"] / baseline
    out["ratio_expected_kwh"] = baseline * out["production_units"]
    out["ratio_avoided_kwh"] = out["ratio_expected_kwh"] - out["energy_kwh"]
    out["ratio_improvement_pct"] = 100.0 * out["ratio_avoided_kwh"] / out["ratio_expected_kwh"].where(
        out["ratio_expected_kwh"] > 0)
    return out


def _expected(expected: pd.DataFrame) -> pd.DataFrame:
    keys = ["bucket", "machine_id", "energy_type"]
    require_columns(expected, [*keys, "expected_kwh"], "expected frame")
    return expected[keys + ["expected_kwh"]].groupby(keys, as_index=False)["expected_kwh"].sum()


def _matched(energy: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Actual and expected kWh on the buckets both have (per bucket, machine, energy type)."""
    keys = ["bucket", "machine_id", "energy_type"]
    actual = _energy(energy).groupby(keys, as_index=False)["total_energy_kwh"].sum()
    return actual.merge(_expected(expected), on=keys, how="inner").rename(columns={"total_energy_kwh": "actual_kwh"})


def _regression_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                          level: Level) -> pd.DataFrame:
    out = rows.groupby(_keys(level), as_index=False, sort=False).agg(
        actual_kwh=("actual_kwh", "sum"), expected_kwh=("expected_kwh", "sum"), buckets=("bucket", "size"))
    positive = out["expected_kwh"].where(out["expected_kwh"] > 0)
    out["enpi"] = out["actual_kwh"] / positive
    out["avoided_kwh"] = out["expected_kwh"] - out["actual_kwh"]
    out["improvement_pct"] = 100.0 * out["avoided_kwh"] / positive
    return _finish(out, periods, machines, level,
                   ["actual_kwh", "expected_kwh", "buckets", "enpi", "avoided_kwh", "improvement_pct"])


def regression_enpi(energy: pd.DataFrame, expected: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                    level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Regression EnPI per machine (or factory) × energy type × local period.

    ``expected`` (bucket, machine_id, energy_type, expected_kwh) is the baseline model's energy on the
    reporting period's drivers, at the same bucket resolution as ``energy``. Only buckets present in both are
    compared (a bucket the model did not predict, e.g. outside normal operation, counts on neither side).

    Columns: ``actual_kwh``, ``expected_kwh``, ``buckets``, ``enpi`` = actual / expected (< 1 is better),
    ``avoided_kwh`` = expected − actual, ``improvement_pct`` = (expected − actual) / expected × 100.
    """
    _check_level(level)
    rows, periods = _prepare(_matched(energy, expected), machines, freq, start, end)
    return _regression_from_rows(rows, periods, machines, level)


def cusum(energy: pd.DataFrame, expected: pd.DataFrame, machines: pd.DataFrame,
          freq: Literal["bucket", "day", "week", "month"] = "bucket", *, start: LocalBound = None,
          end: LocalBound = None) -> pd.DataFrame:
    """CUSUM of avoided energy per machine and energy type: running Σ (expected − actual) in **kWh** over the
    buckets both frames have (see ``regression_enpi``), in time order; a rising line is saving.

    ``freq="bucket"`` gives one row per bucket (``bucket`` UTC, ``local_time``); ``"day"``/``"week"``/``"month"``
    one row per local period (period columns). Columns: ``actual_kwh``, ``expected_kwh``, ``avoided_kwh``,
    ``cusum_kwh``.
    """
    rows, periods = _prepare(_matched(energy, expected), machines, "day" if freq == "bucket" else freq,
                             start, end)
    rows["avoided_kwh"] = rows["expected_kwh"] - rows["actual_kwh"]
    group = ["machine_id", "energy_type"]
    values = ["actual_kwh", "expected_kwh", "avoided_kwh"]
    if freq == "bucket":
        out = rows.sort_values(group + ["bucket"], ignore_index=True)
        out["cusum_kwh"] = out.groupby(group, sort=False)["avoided_kwh"].cumsum()
        out = out.drop(columns=["factory_id", "timezone"]).join(_info(machines), on="machine_id")
        return out[_IDS["machine"] + ["energy_type", "timezone", "bucket", "local_time", *values, "cusum_kwh"]]
    out = rows.groupby(_keys("machine"), as_index=False, sort=False)[values].sum()
    out = _finish(out, periods, machines, "machine", values)
    out["cusum_kwh"] = out.groupby(group, sort=False)["avoided_kwh"].cumsum()
    return out


# --------------------------------------------------------------------------------- M&V hours, baseline SEC
def mv_expected(expected_hourly: pd.DataFrame, candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The hours of the baselines step's ``expected_hourly`` that count in M&V: reporting period (after the
    baseline period) and normal operation. In the baseline period the expected energy is an out-of-fold check of
    the model, not a reference to measure savings against; hours in maintenance, fault or offline are left out.
    With ``candidates`` (the baselines step's table), only series whose baseline is active (passed its gates)."""
    keep = np.ones(len(expected_hourly), dtype=bool)
    if candidates is not None:
        active = candidates.loc[candidates["is_active"].fillna(False).astype(bool), ["machine_id", "energy_type"]]
        pairs = pd.MultiIndex.from_frame(active.drop_duplicates())
        keep &= pd.MultiIndex.from_frame(expected_hourly[["machine_id", "energy_type"]]).isin(pairs)
    if "period" in expected_hourly.columns:
        keep &= (expected_hourly["period"] == "reporting").to_numpy()
    if "is_normal" in expected_hourly.columns:
        keep &= expected_hourly["is_normal"].fillna(False).astype(bool).to_numpy()
    return expected_hourly[keep]


def baseline_sec_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """SEC of every machine and energy type over the baseline period: the reference of the ratio EnPI (see ``sec``
    and ``ratio_enpi``). The period runs from the local midnight at or after ``frames["window"]`` baseline_start
    to :func:`enms.localtime.baseline_boundary` (where every step splits baseline and reporting periods), in
    each factory's zone."""
    window = frames["window"].iloc[0]
    pieces = []
    for _, machines in frames["machines"].groupby("factory_id", sort=True):
        zone = machines["timezone"].iloc[0]
        start = wall_clock(local_midnight(baseline_begin(window, zone), zone), zone)
        end = wall_clock(baseline_boundary(window, zone), zone)
        ids = set(machines["machine_id"])
        energy = frames["energy_hourly"][frames["energy_hourly"]["machine_id"].isin(ids)]
        production = frames["production_hourly"][frames["production_hourly"]["machine_id"].isin(ids)]
        pieces.append(sec(energy, production, machines, None, start=start, end=end))
    return pd.concat(pieces, ignore_index=True)
