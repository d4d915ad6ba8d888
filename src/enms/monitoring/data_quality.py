"""``data_quality_log``: quality's findings per machine and local day (the factory's zone)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.iso50001.keys import row_id
from enms.localtime import local_midnights
from enms.rows import fit_decimal

TABLE = "data_quality_log"
LOG_COLUMNS = ["id", "check_date", "machine_id", "missing_data_percent", "outlier_count", "correlation_score",
               "overall_score", "issues"]
"""data_quality_log's columns (created_at left to the database); check_date a local date, issues a list of str."""
_DAY_COLUMNS = ["machine_id", "check_date"]


def _local_day(bucket: pd.Series, zone: pd.Series) -> pd.Series:
    """The local date of each UTC hour in its machine's zone."""
    out = pd.Series(index=bucket.index, dtype=object)
    for tz, idx in zone.groupby(zone).groups.items():
        out.loc[idx] = bucket.loc[idx].dt.tz_convert(tz).dt.date
    return out


def _hours(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """One row per hour of each [start, end) interval (UTC), keeping the other columns."""
    if frame.empty:
        return frame.assign(bucket=pd.Series(dtype="datetime64[us, UTC]"))
    n = ((frame[end] - frame[start]) // pd.Timedelta(hours=1)).astype(int).clip(lower=1)
    rows = frame.loc[frame.index.repeat(n)].copy()
    offset = rows.groupby(level=0).cumcount().to_numpy()
    rows["bucket"] = rows[start] + pd.to_timedelta(offset, unit="h")
    return rows.reset_index(drop=True)


def _correlation(energy_hourly: pd.DataFrame, production_hourly: pd.DataFrame, zones: pd.Series) -> pd.DataFrame:
    """Pearson correlation of a machine's hourly energy (all energy types, kWh) with its production count per
    local day; NaN where either does not vary that day (no production, or a constant)."""
    energy = energy_hourly.groupby(["machine_id", "bucket"], as_index=False)["total_energy_kwh"].sum()
    both = energy.merge(production_hourly[["machine_id", "bucket", "total_production_count"]],
                        on=["machine_id", "bucket"], how="inner")
    both["check_date"] = _local_day(both["bucket"], both["machine_id"].map(zones))

    def corr(g: pd.DataFrame) -> float:
        x, y = g["total_energy_kwh"].to_numpy(float), g["total_production_count"].to_numpy(float)
        if len(g) < 3 or np.std(x) == 0 or np.std(y) == 0:
            return np.nan
        return float(np.corrcoef(x, y)[0, 1])

    out = [(m, d, corr(g)) for (m, d), g in both.groupby(_DAY_COLUMNS, sort=False)]
    return pd.DataFrame(out, columns=[*_DAY_COLUMNS, "correlation_score"])


def data_quality_log(extract: dict[str, pd.DataFrame], quality: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per machine and complete local day of the extract window (:data:`LOG_COLUMNS`).

    - missing_data_percent = hours without complete readings (quality's gaps, and its partial or duplicated hours)
      / expected hours (hours of the local day x the machine's energy types), in %.
    - outlier_count = quality's outlier rows (spikes, negative values) of the day.
    - correlation_score = hourly energy vs production that day (None where production does not vary).
    - overall_score = max(0, (1 - missing %/100) x (1 - outlier rows / expected hours) - 0.1 per flagged kind of
      untrusted hour (duplicates, spikes or negative values, partial hours)): 1 is a clean day.
    - issues: 'gap N h', 'spike', 'duplicates', 'partial hours', '<untrusted reason>', and on the window's last day
      'baseline not fittable: <reason>' for an energy type quality cannot fit (its sufficiency verdict).
    id = row_id("data_quality_log", machine_id, check_date).
    """
    machines = extract["machines"].set_index("machine_id")
    zones = machines["timezone"]
    window = extract["window"].iloc[0]
    days = []
    for machine_id, m in machines.iterrows():
        edges = local_midnights(window["start"], window["end"], m["timezone"])
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            days.append({"machine_id": machine_id, "check_date": a.tz_convert(m["timezone"]).date(),
                         "expected_hours": (b - a) / pd.Timedelta(hours=1) * len(m["energy_types"])})
    log = pd.DataFrame(days, columns=[*_DAY_COLUMNS, "expected_hours"])

    gaps = _hours(quality["gaps"], "gap_start", "gap_end")
    unusable = quality["unusable"]
    outliers = quality["outliers"]
    lost = pd.concat([gaps[["machine_id", "energy_type", "bucket"]],
                      unusable.loc[unusable["reason"].isin(["partial hour", "duplicate readings"]),
                                   ["machine_id", "energy_type", "bucket"]]]).drop_duplicates()
    for frame in (gaps, unusable, outliers, lost):
        frame["check_date"] = _local_day(frame["bucket"], frame["machine_id"].map(zones))
    counts = {
        "missing_hours": lost.groupby(_DAY_COLUMNS).size(),
        "gap_hours": gaps.drop_duplicates(["machine_id", "bucket"]).groupby(_DAY_COLUMNS).size(),
        "outlier_count": outliers.groupby(_DAY_COLUMNS).size(),
    }
    log = log.set_index(_DAY_COLUMNS)
    for name, values in counts.items():
        log[name] = values.reindex(log.index).fillna(0).astype(int)
    reasons = unusable.groupby(_DAY_COLUMNS)["reason"].agg(lambda r: sorted(set(r)))
    log["reasons"] = reasons.reindex(log.index)
    log = log.reset_index().merge(_correlation(extract["energy_hourly"], extract["production_hourly"], zones),
                                  on=_DAY_COLUMNS, how="left")
    not_fittable = quality["sufficiency"].loc[~quality["sufficiency"]["fittable"].astype(bool)]
    last_day = log.groupby("machine_id")["check_date"].transform("max") == log["check_date"]

    rows = []
    for r in log.itertuples():
        missing = min(100.0, 100 * r.missing_hours / r.expected_hours) if r.expected_hours else 0.0
        untrusted = list(r.reasons) if isinstance(r.reasons, list) else []
        issues = [f"gap {r.gap_hours} h"] if r.gap_hours else []
        issues += ["spike"] if r.outlier_count else []
        issues += ["duplicates" if u == "duplicate readings" else "partial hours" if u == "partial hour" else u
                   for u in untrusted if not (u == "spike" and r.outlier_count)]
        if last_day[r.Index]:
            issues += [f"baseline not fittable: {f.energy_type}: {f.fit_reason}"
                       for f in not_fittable[not_fittable["machine_id"] == r.machine_id].itertuples()]
        score = (1 - missing / 100) * (1 - min(1.0, r.outlier_count / r.expected_hours)) - 0.1 * len(untrusted)
        rows.append({
            "id": row_id(TABLE, r.machine_id, r.check_date), "check_date": r.check_date, "machine_id": r.machine_id,
            "missing_data_percent": fit_decimal(TABLE, "missing_data_percent", missing)[0],
            "outlier_count": int(r.outlier_count),
            "correlation_score": fit_decimal(TABLE, "correlation_score", r.correlation_score)[0],
            "overall_score": fit_decimal(TABLE, "overall_score", max(0.0, score))[0],
            "issues": issues,
        })
    return pd.DataFrame(rows, columns=LOG_COLUMNS)
