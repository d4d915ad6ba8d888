"""The energy the KPIs count where quality distrusts a value (enms.kpis.issues), and the data issues listed."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.kpis.plant import buckets, energy, kpi_frames, make_machines, production

from enms import kpis, quality
from enms.forecasts import inputs

SPIKE = pd.Timestamp("2026-06-03 10:00", tz="America/Los_Angeles").tz_convert("UTC")  # Wed, Peak tariff
TWICE = pd.Timestamp("2026-06-04 02:00", tz="America/Los_Angeles").tz_convert("UTC")  # Thu, Off-Peak


def frames(*, spike: bool = False, twice: bool = False, half_empty: bool = False) -> dict[str, pd.DataFrame]:
    """Compressor-1, 10 kWh every hour (2.5 kWh a quarter) for six Los Angeles days from June 1, read every
    minute (60 readings an hour, 15 a quarter); ``spike``: one hour at 1000× (a unit error), ``twice``: one hour
    whose readings were all stored twice (its energy and counts doubled), ``half_empty``: that hour with half its
    readings stored without energy (0 kWh, the schema's default; their power kept)."""
    machines = make_machines().iloc[:1]
    hourly = energy("m1", "electricity", buckets("2026-06-01 00:00", 6 * 24), 10.0).assign(total_readings=60)
    quarter = energy("m1", "electricity", buckets("2026-06-01 00:00", 6 * 96, freq="15min"), 2.5)
    for frame in (hourly, quarter):
        hour = frame["bucket"].dt.floor("h")
        if spike:
            frame.loc[hour == SPIKE, "total_energy_kwh"] *= 1000
        if twice:
            frame.loc[hour == TWICE, ["total_energy_kwh", "total_readings"]] *= 2
        if half_empty:
            frame.loc[hour == TWICE, "total_energy_kwh"] *= 0.5
    out = kpi_frames(machines, hourly, quarter, production("m1", buckets("2026-06-01 00:00", 6 * 24), 100.0))
    utc = [pd.Timestamp(f"2026-06-0{day} 12:00", tz="UTC") for day in (1, 3, 6)]
    return {**out, "window": pd.DataFrame({"start": [utc[0]], "end": [utc[2]], "baseline_start": [utc[0]],
                                           "baseline_end": [utc[1]]})}


def unusable(*rows: tuple[pd.Timestamp, str, str, float, float, float]) -> pd.DataFrame:
    """Quality's ``unusable`` rows: (bucket, reason, detail, readings, kWh read, kWh used)."""
    action = {"spike": quality.EXCLUDED, "duplicate readings": quality.SCALED,
              "energy below power": quality.REPLACED}
    return pd.DataFrame([{"bucket": b, "machine_id": "m1", "machine_name": "Compressor-1",
                          "energy_type": "electricity", "reason": r, "detail": d, "readings": n,
                          "expected_readings": 60.0, "total_energy_kwh": read, "used_kwh": used, "action": action[r]}
                         for b, r, d, n, read, used in rows])


def test_a_spike_hour_is_excluded_from_energy_cost_and_demand_and_listed() -> None:
    clean = kpis.run(frames(), freqs=("month",))["machine_month"].iloc[0]
    raw = kpis.run(frames(spike=True), freqs=("month",))["machine_month"].iloc[0]
    listed = unusable((SPIKE, "spike", "1,000 × its 99.5th-percentile hour", 60.0, 10_000.0, 0.0))
    tables = kpis.run(frames(spike=True), freqs=("month",), unusable=listed)
    fixed = tables["machine_month"].iloc[0]
    assert raw["total_cost"] == pytest.approx(clean["total_cost"] + 9_990 * 0.25)  # what the bill was: ×15.9
    assert fixed["energy_kwh"] == pytest.approx(clean["energy_kwh"] - 10.0)  # the hour counts nothing
    assert fixed["total_cost"] == pytest.approx(clean["total_cost"] - 10.0 * 0.25)  # one Peak hour fewer
    assert fixed["peak_kw"] == pytest.approx(10.0) and raw["peak_kw"] == pytest.approx(10_000.0)
    assert fixed["carbon_kg"] == pytest.approx(clean["carbon_kg"] - 10.0 * 0.22)

    issue = tables["data_issues"].iloc[0]
    assert (issue["machine_name"], issue["energy_type"], issue["period"], issue["action"], issue["hours"]) == (
        "Compressor-1", "electricity", "2026-06", "excluded", 1)
    assert (issue["kwh_read"], issue["kwh_used"], issue["reasons"]) == (10_000.0, 0.0, "spike ×1")
    assert issue["first_local"] == pd.Timestamp("2026-06-03 10:00")
    assert issue["detail"] == "2026-06-03 10:00 1,000 × its 99.5th-percentile hour"


def test_duplicated_readings_are_scaled_back_in_energy_and_demand() -> None:
    clean = kpis.run(frames(), freqs=("month",))["machine_month"].iloc[0]
    listed = unusable((TWICE, "duplicate readings", "120 of 60 readings", 120.0, 20.0, 10.0))
    tables = kpis.run(frames(twice=True), freqs=("month",), unusable=listed)
    fixed = tables["machine_month"].iloc[0]
    for column in ("energy_kwh", "peak_kw", "total_cost", "carbon_kg"):
        assert fixed[column] == pytest.approx(clean[column]), column
    issue = tables["data_issues"].iloc[0]
    assert (issue["action"], issue["kwh_read"], issue["kwh_used"]) == (quality.SCALED, 20.0, 10.0)


def test_energy_short_of_its_power_is_counted_at_power_times_time() -> None:
    clean = kpis.run(frames(), freqs=("month",))["machine_month"].iloc[0]
    raw = kpis.run(frames(half_empty=True), freqs=("month",))["machine_month"].iloc[0]
    listed = unusable((TWICE, "energy below power", "5.00 kWh read, its power implies more", 60.0, 5.0, 10.0))
    tables = kpis.run(frames(half_empty=True), freqs=("month",), unusable=listed)
    fixed = tables["machine_month"].iloc[0]
    assert raw["energy_kwh"] == pytest.approx(clean["energy_kwh"] - 5.0)
    for column in ("energy_kwh", "total_cost", "carbon_kg"):
        assert fixed[column] == pytest.approx(clean[column]), column
    issue = tables["data_issues"].iloc[0]
    assert (issue["action"], issue["kwh_read"], issue["kwh_used"]) == (quality.REPLACED, 5.0, 10.0)


def test_usable_energy_counts_a_duplicated_row_once() -> None:
    data = frames()
    hourly = data["energy_hourly"]
    data["energy_hourly"] = pd.concat([hourly, hourly.iloc[[5]].assign(total_readings=30)], ignore_index=True)
    used = kpis.usable_energy(data, None)
    assert len(used["energy_hourly"]) == len(hourly) and used["energy_hourly"]["total_readings"].eq(60).all()
    pd.testing.assert_frame_equal(used["energy_15min"], data["energy_15min"])


def test_the_forecasters_see_an_excluded_hour_as_nan() -> None:
    data = frames(spike=True)
    listed = unusable((SPIKE, "spike", "1,000 × its 99.5th-percentile hour", 60.0, 10_000.0, 0.0))
    history = kpis.usable_energy(data, listed)["energy_hourly"]
    schedule = pd.DataFrame({"bucket": history["bucket"], "machine_id": "m1", "plan_running": 1.0, "plan_idle": 0.0,
                             "plan_maintenance": 0.0, "plan_offline": 0.0})
    temperature = pd.DataFrame({"bucket": history["bucket"], "machine_id": "m1", "avg_outdoor_temp_c": 20.0})
    series = inputs.forecast_inputs(history, data["machines"], schedule, temperature).set_index("bucket")
    assert pd.isna(series.loc[SPIKE, "energy_kwh"]) and series["energy_kwh"].max() == 10.0
    assert series["energy_kwh"].notna().sum() == 6 * 24 - 1
