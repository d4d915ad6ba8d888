"""The headline data-quality table, one row per (machine, declared energy type)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.frames import require_columns

SUMMARY_COVERAGE_COLUMNS = (
    "machine_id", "machine_name", "factory_name", "energy_type", "expected_hours", "coverage_pct",
    "completeness_pct", "gap_count", "longest_gap_hours", "duplicate_buckets", "excess_reading_hours",
)
"""The coverage columns the headline table carries."""


def quality_summary(
    coverage: pd.DataFrame,
    outliers: pd.DataFrame,
    sufficiency: pd.DataFrame,
    mask: pd.DataFrame,
    intervals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Headline data-quality table, one row per (machine, declared energy type).

    Joins the outputs of :func:`hourly_coverage`, :func:`find_outliers`, :func:`caltrack_sufficiency` and
    :func:`normal_operation_mask` (computed over the windows the caller chose): coverage and completeness
    (%), gaps, duplicates, excess-reading hours, outlier_hours (flagged hours), ``sufficient`` and
    ``sufficiency_reasons`` (NA where a pair was not assessed), and the machine's normal-operation share
    (normal_hours, normal_hours_pct of the mask's hours; the mask is per machine, not per energy type).
    With ``intervals`` (:func:`enms.quality.intervals.reading_intervals`): ``declared_interval_s``,
    ``measured_interval_s`` and ``interval_note`` (what completeness used where the two disagree).
    """
    require_columns(coverage, SUMMARY_COVERAGE_COLUMNS, "coverage")
    require_columns(outliers, ("bucket", "machine_id", "energy_type"), "outliers")
    require_columns(sufficiency, ("machine_id", "energy_type", "sufficient", "reasons"), "sufficiency")
    require_columns(mask, ("bucket", "machine_id", "is_normal"), "mask")
    keys = ["machine_id", "energy_type"]

    out = coverage[list(SUMMARY_COVERAGE_COLUMNS)].copy()
    for col in keys:
        out[col] = out[col].astype(str)
    flagged = outliers.drop_duplicates(["machine_id", "energy_type", "bucket"])
    n_out = flagged.groupby([flagged["machine_id"].astype(str), flagged["energy_type"].astype(str)]).size()
    out = out.merge(n_out.rename("outlier_hours").reset_index(), on=keys, how="left")
    out["outlier_hours"] = out["outlier_hours"].fillna(0).astype(np.int64)

    suff = sufficiency[[*keys, "sufficient", "reasons"]].rename(columns={"reasons": "sufficiency_reasons"})
    suff = suff.astype({"machine_id": str, "energy_type": str})
    out = out.merge(suff, on=keys, how="left")
    out["sufficient"] = out["sufficient"].astype("boolean")

    normal = mask.groupby(mask["machine_id"].astype(str))["is_normal"].agg(["sum", "size"])
    normal = pd.DataFrame(
        {
            "machine_id": normal.index,
            "normal_hours": normal["sum"].to_numpy(np.int64),
            "normal_hours_pct": 100.0 * normal["sum"].to_numpy(float) / normal["size"].to_numpy(float),
        }
    )
    out = out.merge(normal, on="machine_id", how="left")
    if intervals is not None:
        columns = ["machine_id", "declared_interval_s", "measured_interval_s", "interval_note"]
        out = out.merge(intervals[columns].astype({"machine_id": str}), on="machine_id", how="left")
    return out
