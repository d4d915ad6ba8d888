"""The KPI step (enms.kpis.run) on a few Los Angeles days: whole local days, the baseline SEC up to the baseline
boundary, the EnPI and CUSUM on M&V hours only; every number worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.kpis.plant import buckets, energy, kpi_frames, make_machines, production

from enms import kpis


def window_frames() -> dict[str, pd.DataFrame]:
    """Compressor-1 in Los Angeles (PDT), 10 kWh and 100 units every hour from Mon 2026-06-01 00:00 local for
    six days. The window starts and ends at 05:00 PDT (12:00 UTC), so only the local days June 2-5 are whole;
    the baseline period ends at 05:00 PDT on June 3, so its boundary is the local midnight of June 4."""
    machines = make_machines().iloc[:1]
    hourly_grid = buckets("2026-06-01 00:00", 6 * 24)
    utc = [pd.Timestamp(f"2026-06-0{day} 12:00", tz="UTC") for day in (1, 3, 6)]
    window = pd.DataFrame({"start": [utc[0]], "end": [utc[2]], "baseline_start": [utc[0]], "baseline_end": [utc[1]]})
    quarter = energy("m1", "electricity", buckets("2026-06-01 00:00", 6 * 96, freq="15min"), 2.5)
    frames = kpi_frames(machines, energy("m1", "electricity", hourly_grid, 10.0), quarter,
                        production("m1", hourly_grid, 100.0))
    return {**frames, "window": window}


def test_run_takes_whole_local_days_and_splits_at_the_baseline_boundary() -> None:
    frames = window_frames()
    grid = buckets("2026-06-01 00:00", 6 * 24)
    reporting = grid >= pd.Timestamp("2026-06-04 07:00", tz="UTC")  # 00:00 PDT on June 4
    expected = pd.DataFrame({"bucket": grid, "machine_id": "m1", "energy_type": "electricity", "expected_kwh": 11.0,
                             "period": np.where(reporting, "reporting", "baseline"), "is_normal": True})
    tables = kpis.run(frames, expected, freqs=("day", "month"))
    assert sorted(tables) == ["baseline_sec", "carbon_regions", "data_issues", "factory_day", "factory_month",
                              "machine_day", "machine_month"]
    assert tables["data_issues"].empty and list(tables["data_issues"].columns) == list(kpis.DATA_ISSUE_COLUMNS)
    assert tables["carbon_regions"][["factory_name", "region", "chosen_by"]].values.tolist() == [
        ["Demo Manufacturing Plant", "US-California", "metadata"]]

    # The baseline SEC covers the local days June 2 and 3: 48 h x 10 kWh / (48 h x 100 units) = 0.1 kWh/unit.
    base = tables["baseline_sec"].iloc[0]
    assert base["period"] == "2026-06-02/2026-06-04" and base["hours"] == 48.0
    assert base["energy_kwh"] == 480.0 and base["sec_kwh_per_unit"] == pytest.approx(0.1)

    days = tables["machine_day"]
    assert days["period"].tolist() == ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"]
    assert days["complete"].all() and (days["energy_kwh"] == 240.0).all()
    assert days["enpi_ratio"].tolist() == pytest.approx([1.0] * 4)  # SEC 0.1 every day
    # M&V hours are the reporting period's only: 24 h x (11 - 10) = 24 kWh avoided a day from June 4.
    assert days["avoided_kwh"].iloc[:2].isna().all() and days["cusum_kwh"].iloc[:2].isna().all()
    assert days["avoided_kwh"].iloc[2:].tolist() == pytest.approx([24.0, 24.0])
    assert days["cusum_kwh"].iloc[2:].tolist() == pytest.approx([24.0, 48.0])

    month = tables["factory_month"].iloc[0]
    assert month["period"] == "2026-06" and not month["complete"]  # clipped to June 2-5
    assert (month["period_start"], month["period_end"]) == (pd.Timestamp("2026-06-02"), pd.Timestamp("2026-06-06"))
    assert month["hours"] == 96.0 and month["cusum_kwh"] == pytest.approx(48.0)
