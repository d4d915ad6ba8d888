"""Data-quality incidents: an hour whose energy value the quality step does not trust (a spike, a negative
value) is told to the plant as an incident of its own, not left silent and not taken for a consumption anomaly.

The quality step excludes such an hour everywhere (it is not a usable hour: no baseline trains on it, no
detector looks at it, the KPIs count nothing for it); this module turns its ``unusable`` rows with the action
'excluded' into incidents shaped like the detectors' (:data:`enms.anomalies.events.EVENT_COLUMNS`), so they are
listed, costed (0: no energy was wasted, a value was wrong) and written back with the others:
``anomaly_type`` 'data_quality', ``detection_method`` 'quality_screen', severity 'warning', confidence 1.
Excluded hours of one series at most ``gap_hours`` apart form one incident (as the detectors' events do).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.anomalies.events import EVENT_COLUMNS
from enms.frames import require_columns
from enms.localtime import HOUR
from enms.quality import EXCLUDED
from enms.settings import INCIDENT_GAP_HOURS

ANOMALY_TYPE = "data_quality"
DETECTION_METHOD = "quality_screen"
SEVERITY = "warning"
INCIDENT_COLUMNS = [*EVENT_COLUMNS, "detectors", "wasted_cost", "currency", "quality_reason"]
"""Columns of :func:`data_quality_incidents`: the combined incidents' after :func:`enms.anomalies.cost.add_costs`,
and ``quality_reason``."""


def data_quality_incidents(unusable: pd.DataFrame | None, *, gap_hours: int = INCIDENT_GAP_HOURS) -> pd.DataFrame:
    """One incident per run of excluded hours (quality's ``unusable``, action 'excluded') of a machine and energy
    type: start, end (UTC, half-open), hours, n_flagged (excluded hours), metric_name 'total_energy_kwh' with
    metric_value = the largest hourly kWh read (expected_value, deviation, z: NaN, unknown), wasted_kwh and
    wasted_cost 0, ``detectors`` 'quality_screen' and ``quality_reason`` the reasons seen ('spike', 'negative
    energy', …, '; '-joined)."""
    if unusable is None or unusable.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in INCIDENT_COLUMNS})
    require_columns(unusable, ("bucket", "machine_id", "energy_type", "reason", "total_energy_kwh", "action"),
                    "unusable")
    rows = unusable[unusable["action"] == EXCLUDED].sort_values(["machine_id", "energy_type", "bucket"],
                                                                 ignore_index=True)
    if rows.empty:
        return data_quality_incidents(None)
    same = (rows["machine_id"].eq(rows["machine_id"].shift()) & rows["energy_type"].eq(rows["energy_type"].shift()))
    near = rows["bucket"] - rows["bucket"].shift() <= (gap_hours + 1) * HOUR
    rows["incident"] = (~(same & near)).cumsum()
    out = rows.groupby("incident", sort=True).agg(
        machine_id=("machine_id", "first"), energy_type=("energy_type", "first"), start=("bucket", "min"),
        last=("bucket", "max"), n_flagged=("bucket", "size"), metric_value=("total_energy_kwh", "max"),
        quality_reason=("reason", _reasons)).reset_index(drop=True)
    out["end"] = out.pop("last") + HOUR
    out["hours"] = (out["end"] - out["start"]) / HOUR
    out = out.assign(anomaly_type=ANOMALY_TYPE, detection_method=DETECTION_METHOD, detectors=DETECTION_METHOD,
                     severity=SEVERITY,
                     metric_name="total_energy_kwh", expected_value=np.nan, deviation_percent=np.nan, z=np.nan,
                     peak_z=np.nan, confidence=1.0, wasted_kwh=0.0, peak_ratio=np.nan, wasted_cost=0.0,
                     currency=None)
    return out[INCIDENT_COLUMNS]


def _reasons(reasons: pd.Series) -> str:
    """The distinct single reasons of '; '-joined quality reasons, in first-seen order."""
    return "; ".join(dict.fromkeys(label for joined in reasons for label in str(joined).split("; ")))
