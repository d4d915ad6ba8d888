"""Data-quality incidents (enms.anomalies.data_quality): spikes and negative values are told, never silent."""

from __future__ import annotations

import json

import pandas as pd

from enms import quality
from enms.anomalies.data_quality import INCIDENT_COLUMNS, data_quality_incidents
from enms.rows import anomaly_rows

T0 = pd.Timestamp("2026-10-07 21:00", tz="UTC")


def unusable_row(hour: int, reason: str, kwh: float, action: str = quality.EXCLUDED, machine: str = "m1",
                 energy_type: str = "electricity") -> dict:
    return {"bucket": T0 + pd.Timedelta(hours=hour), "machine_id": machine, "machine_name": machine,
            "energy_type": energy_type, "reason": reason, "detail": "", "readings": 60.0, "expected_readings": 60.0,
            "total_energy_kwh": kwh, "used_kwh": 0.0 if action == quality.EXCLUDED else kwh, "action": action}


def test_excluded_hours_become_warning_incidents_merged_within_the_gap() -> None:
    unusable = pd.DataFrame([
        unusable_row(0, "spike", 10_000.0),
        unusable_row(3, "negative energy; negative power", -4.0),  # 2 h apart: the same incident
        unusable_row(10, "spike", 9_000.0),  # 6 h later: a new one
        unusable_row(1, "spike", 500.0, machine="m2", energy_type="natural_gas"),
        unusable_row(5, "partial hour", 3.0, action=quality.PARTIAL),  # kept as measured: no incident
    ])
    incidents = data_quality_incidents(unusable)
    assert list(incidents.columns) == INCIDENT_COLUMNS and len(incidents) == 3
    first = incidents.iloc[0]
    assert (first["machine_id"], first["start"], first["end"], first["hours"], first["n_flagged"]) == (
        "m1", T0, T0 + pd.Timedelta(hours=4), 4.0, 2)
    assert (first["anomaly_type"], first["detection_method"], first["severity"]) == (
        "data_quality", "quality_screen", "warning")
    assert first["quality_reason"] == "spike; negative energy; negative power"
    assert first["metric_value"] == 10_000.0 and first["wasted_kwh"] == 0.0 and first["wasted_cost"] == 0.0
    assert incidents["start"].tolist()[1:] == [T0 + pd.Timedelta(hours=10), T0 + pd.Timedelta(hours=1)]

    rows = anomaly_rows(incidents)  # the EnMS's anomalies table takes them as they are
    assert rows["anomaly_type"].tolist() == ["data_quality"] * 3 and rows["severity"].eq("warning").all()
    assert rows["detection_method"].eq("quality_screen").all() and rows["id"].nunique() == 3
    assert json.loads(rows["metadata"].iloc[0])["end"] == (T0 + pd.Timedelta(hours=4)).isoformat()


def test_nothing_excluded_gives_no_incident() -> None:
    assert data_quality_incidents(None).empty
    assert data_quality_incidents(pd.DataFrame([unusable_row(0, "duplicate readings", 20.0, quality.SCALED)])).empty
