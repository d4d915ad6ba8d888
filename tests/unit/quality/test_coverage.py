"""Hourly coverage, gaps and duplicates of enms.quality."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.quality.hourly import (
    END,
    START,
    N,
    full_energy,
    full_environment,
    make_machines,
    row,
)

from enms import quality as q


def test_three_hour_gap_is_found_and_coverage_is_exact() -> None:
    energy = full_energy()
    missing = START + pd.to_timedelta([10, 11, 12], unit="h")
    energy = energy[~((energy["machine_id"] == "m1") & energy["bucket"].isin(missing))]

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    assert len(cov) == 3  # m1 electricity, m2 electricity, m2 natural_gas
    m1 = row(cov, "m1")
    assert m1["expected_hours"] == N
    assert m1["present_hours"] == N - 3
    assert m1["coverage_pct"] == 100.0 * (N - 3) / N
    assert m1["gap_count"] == 1
    assert m1["longest_gap_hours"] == 3
    assert m1["first_bucket"] == START and m1["last_bucket"] == END - pd.Timedelta(hours=1)
    assert row(cov, "m2")["coverage_pct"] == 100.0
    assert row(cov, "m2", "natural_gas")["gap_count"] == 0
    assert str(cov["first_bucket"].dtype) == "datetime64[us, UTC]"

    gaps = q.find_gaps(energy, make_machines(), START, END)
    assert gaps[["machine_id", "machine_name", "energy_type", "hours"]].to_dict("records") == [
        {"machine_id": "m1", "machine_name": "Compressor-1", "energy_type": "electricity", "hours": 3}
    ]
    assert gaps["gap_start"].iloc[0] == START + pd.Timedelta(hours=10)
    assert gaps["gap_end"].iloc[0] == START + pd.Timedelta(hours=13)  # half-open


def test_edge_gaps_and_a_declared_type_without_rows() -> None:
    energy = full_energy()
    energy = energy[energy["energy_type"] != "natural_gas"]  # the boiler's gas: no rows at all
    energy = energy[~((energy["machine_id"] == "m1") & (energy["bucket"] < START + pd.Timedelta(hours=2)))]

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    gas = row(cov, "m2", "natural_gas")
    assert gas["present_hours"] == 0 and gas["coverage_pct"] == 0.0 and gas["completeness_pct"] == 0.0
    assert gas["gap_count"] == 1 and gas["longest_gap_hours"] == N
    assert pd.isna(gas["first_bucket"]) and pd.isna(gas["last_bucket"])

    gaps = q.find_gaps(energy, make_machines(), START, END)
    lead = gaps[gaps["machine_id"] == "m1"].iloc[0]
    assert (lead["gap_start"], lead["gap_end"], lead["hours"]) == (START, START + pd.Timedelta(hours=2), 2)
    whole = gaps[gaps["energy_type"] == "natural_gas"].iloc[0]
    assert (whole["gap_start"], whole["gap_end"], whole["hours"]) == (START, END, N)


def test_duplicated_bucket_and_excess_readings() -> None:
    energy = full_energy()
    m1 = energy[(energy["machine_id"] == "m1")].index
    dup = energy.loc[[m1[5]]]
    energy.loc[m1[7], "total_readings"] = 61  # duplicated raw timestamp inside the hour
    energy.loc[m1[9], "total_readings"] = 30  # half an hour of readings
    energy = pd.concat([energy, dup], ignore_index=True)

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    r = row(cov, "m1")
    assert r["duplicate_buckets"] == 1
    assert r["present_hours"] == N and r["coverage_pct"] == 100.0  # a duplicate counts once
    assert r["excess_reading_hours"] == 1
    assert r["complete_hours"] == N - 2  # the 61- and the 30-reading hours
    assert r["completeness_pct"] == pytest.approx(100.0 * (N * 60 - 30) / (N * 60))  # excess capped
    assert row(cov, "m2")["duplicate_buckets"] == 0

    suff = q.caltrack_sufficiency(energy, full_environment(), make_machines(), START, END)
    s = row(suff, "m1")
    assert s["duplicate_timestamps"] == 1 and not s["duplicates_pass"] and not s["sufficient"]
    assert "1 duplicate energy timestamps" in s["reasons"]
    assert row(suff, "m2")["sufficient"]
