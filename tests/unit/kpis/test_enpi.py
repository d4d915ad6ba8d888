"""Regression and ratio EnPI, improvement and CUSUM of enms.kpis, in kWh; worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.kpis.plant import buckets, energy, make_machines, one, production

from enms import kpis


def test_regression_enpi_improvement_and_cusum_in_kwh() -> None:
    grid = buckets("2026-06-02 00:00", 3)
    actual = energy("m1", "electricity", grid, [10.0, 12.0, 8.0])
    # The model predicted the first two hours only (the third was outside normal operation).
    expected = pd.DataFrame({"bucket": grid[:2], "machine_id": "m1", "energy_type": "electricity",
                             "expected_kwh": [12.0, 13.0]})
    enpi = one(kpis.regression_enpi(actual, expected, make_machines(), "day"), machine_id="m1")
    # actual 22, expected 25: EnPI 0.88, avoided 3 kWh, improvement 3 / 25 = 12 %
    assert (enpi["actual_kwh"], enpi["expected_kwh"], enpi["buckets"]) == (22.0, 25.0, 2)
    assert enpi["enpi"] == pytest.approx(0.88)
    assert enpi["avoided_kwh"] == pytest.approx(3.0) and enpi["improvement_pct"] == pytest.approx(12.0)

    curve = kpis.cusum(actual, expected, make_machines())
    # running sum of (expected - actual): 2, then 2 + 1 = 3 kWh
    assert curve["avoided_kwh"].tolist() == [2.0, 1.0] and curve["cusum_kwh"].tolist() == [2.0, 3.0]
    assert curve["local_time"].tolist() == [pd.Timestamp("2026-06-02 00:00"), pd.Timestamp("2026-06-02 01:00")]


def test_cusum_per_day_and_ratio_enpi_against_a_baseline_sec() -> None:
    grid = buckets("2026-06-01 00:00", 48)
    actual = energy("m1", "electricity", grid, 10.0)
    expected = pd.DataFrame({"bucket": grid, "machine_id": "m1", "energy_type": "electricity",
                             "expected_kwh": np.r_[np.full(24, 11.0), np.full(24, 9.0)]})
    days = kpis.cusum(actual, expected, make_machines(), "day")
    # day 1: 24 x (11 - 10) = 24 kWh saved; day 2: 24 x (9 - 10) = -24; CUSUM 24 then 0
    assert days["avoided_kwh"].tolist() == [24.0, -24.0] and days["cusum_kwh"].tolist() == [24.0, 0.0]

    prod = production("m1", grid, 100.0)  # 10 kWh / 100 units = 0.1 kWh/unit in the reporting period
    base_grid = buckets("2025-06-01 00:00", 24)
    baseline = kpis.sec(energy("m1", "electricity", base_grid, 20.0), production("m1", base_grid, 100.0),
                        make_machines(), None, start="2025-06-01", end="2025-06-02")  # 0.2 kWh/unit
    ratio = one(kpis.ratio_enpi(kpis.sec(actual, prod, make_machines(), "month"), baseline), machine_id="m1")
    # EnPI 0.1 / 0.2 = 0.5; expected at baseline SEC 0.2 x 4800 units = 960 kWh vs 480: 480 kWh avoided, 50 %
    assert ratio["enpi_ratio"] == pytest.approx(0.5)
    assert ratio["ratio_expected_kwh"] == pytest.approx(960.0)
    assert ratio["ratio_avoided_kwh"] == pytest.approx(480.0) and ratio["ratio_improvement_pct"] == pytest.approx(50)
