"""EnPI baseline and monthly performance of an SEU on a frame whose regression is exact (iso_frames.exact_daily)."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pandas as pd
import pytest
from iso_frames import exact_daily

from enms.iso50001.adjustments import daily_factors
from enms.iso50001.enpi import MonthlyInputs, baseline_row, iso_status, performance_rows
from enms.iso50001.keys import row_id
from enms.iso50001.seus import fit_seu_model


def test_row_id_is_the_shared_uuid5():
    expected = uuid.uuid5(uuid.UUID("3d0c5a52-9a3e-4d55-8f61-2f4b1c7e6a90"), "enpi_performance|s1|2026-01-01|monthly")
    assert row_id("enpi_performance", "s1", pd.Timestamp("2026-01-01").date(), "monthly") == str(expected)
    assert row_id("seus", "m1", "e1") != row_id("seus", "m1", "g1")


@pytest.mark.parametrize(("d", "u", "status"), [
    (-2.0, 1.0, "excellent"),  # a saving beyond the uncertainty
    (-1.0, 1.0, "on_track"),  # -u itself is not significant
    (1.0, 1.0, "on_track"),
    (1.01, 1.0, "requires_attention"),
    (5.0, 1.0, "requires_attention"),  # 5 % is still not critical
    (5.01, 1.0, "critical"),
    (6.0, 7.0, "on_track"),  # inside a wide uncertainty: not significant, even above 5 %
    (0.5, math.nan, "requires_attention"),  # no uncertainty: counts as 0
])
def test_iso_status_rule_boundaries(d, u, status):
    assert iso_status(d, u) == status


@pytest.fixture(scope="module")
def fitted():
    daily = exact_daily()
    return daily, fit_seu_model(daily)


def test_the_exact_frame_fits_its_known_coefficients(fitted):
    _, model = fitted
    assert model.drivers == ["production"]  # hours never vary, no temperature
    assert model.intercept_ == pytest.approx(100.0, abs=1e-9)
    assert model.coef_["production"] == pytest.approx(2.0, abs=1e-10)


def _inputs(daily: pd.DataFrame, applied: pd.DataFrame, costs: dict[str, float]) -> MonthlyInputs:
    return MonthlyInputs("s1", "Press line", "b1", 2024, pd.Timestamp("2026-02-28"),
                         daily_factors(daily["date"], applied), costs, "USD")


def _adjustment(date: str, factor: float) -> pd.DataFrame:
    return pd.DataFrame({"adjustment_date": [pd.Timestamp(date).date()], "adjustment_factor": [factor]})


def test_an_approved_adjustment_recovers_the_adjusted_expected_energy_exactly(fitted):
    daily, model = fitted
    rows = performance_rows(daily, model, _inputs(daily, _adjustment("2026-01-15", 0.8), {}))
    january = rows.set_index("period_start").loc[pd.Timestamp("2026-01-01").date()]
    # unadjusted expectation 100 + 2 · 50 = 200 kWh/day; 14 days at 200, 17 days (15th-31st) at 0.8 · 200 = 160
    assert january["expected_energy_kwh"] == pytest.approx(14 * 200 + 17 * 160, abs=1e-4)
    assert january["actual_energy_kwh"] == pytest.approx(31 * 200)
    assert january["deviation_kwh"] == pytest.approx(6200 - 5520, abs=1e-4)
    assert january["deviation_percent"] == pytest.approx(round(100 * 680 / 5520, 2))
    assert january["adjustment_factor"] == pytest.approx(5520 / 6200)
    assert january["iso_status"] == "critical"
    december = rows.set_index("period_start").loc[pd.Timestamp("2025-12-01").date()]
    assert december["expected_energy_kwh"] == pytest.approx(31 * 200, abs=1e-4)  # before the adjustment's date


def test_two_adjustments_multiply_from_their_dates(fitted):
    daily, model = fitted
    applied = pd.concat([_adjustment("2026-01-15", 0.8), _adjustment("2026-02-01", 1.25)])
    rows = performance_rows(daily, model, _inputs(daily, applied, {})).set_index("period_start")
    assert rows.loc[pd.Timestamp("2026-02-01").date(), "expected_energy_kwh"] == pytest.approx(28 * 200, abs=1e-4)


def test_months_sec_and_year_to_date_savings_across_a_year_boundary(fitted):
    daily, model = fitted
    rows = performance_rows(daily, model, _inputs(daily, _adjustment("2026-01-15", 0.8),
                                                  {"2025-12": 0.2, "2026-01": 0.1}))
    # the baseline ends on 2025-11-30 and the data on 2026-02-28: three complete months
    assert [str(d) for d in rows["period_start"]] == ["2025-12-01", "2026-01-01", "2026-02-01"]
    assert [str(d) for d in rows["period_end"]] == ["2025-12-31", "2026-01-31", "2026-02-28"]
    assert rows["actual_production_units"].tolist() == [31 * 50, 31 * 50, 28 * 50]
    assert rows["actual_sec"].tolist() == pytest.approx([190 / 50, 200 / 50, 195 / 50])
    # the adjustment stays in force: February expects 0.8 · 200 = 160 kWh/day
    assert rows["expected_sec"].tolist() == pytest.approx([200 / 50, 5520 / 1550, 160 / 50])
    # savings (expected - actual): December 6200 - 5890 = 310, January 5520 - 6200 = -680, February
    # 28 · 160 - 28 · 195 = -980; the sum restarts in January
    assert rows["cumulative_savings_kwh"].tolist() == pytest.approx([310.0, -680.0, -1660.0], abs=1e-4)
    # money: 310 · 0.2 in December, -680 · 0.1 in January, February has no cost (NULL)
    assert rows["cumulative_savings_usd"].iloc[:2].tolist() == pytest.approx([62.0, -68.0])
    assert pd.isna(rows["cumulative_savings_usd"].iloc[2])
    assert rows["currency"].iloc[:2].tolist() == ["USD", "USD"] and pd.isna(rows["currency"].iloc[2])
    assert rows["iso_status"].tolist() == ["excellent", "critical", "critical"]
    assert rows["compliance_notes"].iloc[0].startswith("31 of 31 days compared")
    assert (rows["uncertainty_pct"] > 0).all() and (rows["uncertainty_pct"] < 1).all()


def test_days_not_normal_are_left_out_and_counted_in_the_notes(fitted):
    daily, model = fitted
    daily = daily.copy()
    daily.loc[daily["date"] == pd.Timestamp("2025-12-25"), "is_normal"] = False
    rows = performance_rows(daily, model, _inputs(daily, _adjustment("2030-01-01", 1.0), {}))
    december = rows.iloc[0]
    assert december["actual_energy_kwh"] == pytest.approx(30 * 190)
    assert december["compliance_notes"].startswith("30 of 31 days compared")


def test_a_month_cut_by_the_data_end_has_no_row(fitted):
    daily, model = fitted
    inputs = MonthlyInputs("s1", "Press line", "b1", 2024, pd.Timestamp("2026-02-27"),
                           np.ones(len(daily)), {}, None)
    assert [str(d) for d in performance_rows(daily, model, inputs)["period_start"]] == ["2025-12-01", "2026-01-01"]


def test_baseline_row_energy_production_and_sec(fitted):
    daily, _ = fitted
    row = baseline_row("s1", daily)
    # 364 normal days: Σ production = 2 · (91 · 50 + 91 · 60) = 20020, Σ energy = 364 · 100 + 2 · 20020 (noise sums
    # to 0); plus the day not normal (300 kWh, 100 units): every baseline day counts
    assert row["baseline_energy_kwh"] == pytest.approx(76440 + 300)
    assert row["baseline_production_units"] == 20120
    assert row["baseline_sec"] == pytest.approx(round(76740 / 20120, 6))
    assert row["baseline_operating_hours"] == pytest.approx(365 * 24)
    assert (str(row["baseline_start_date"]), str(row["baseline_end_date"])) == ("2024-12-01", "2025-11-30")
    assert row["baseline_year"] == 2024
    assert row["id"] == row_id("enpi_baselines", "s1", 2024)
    assert row["baseline_avg_temp_c"] is None and row["baseline_degree_days"] is None


def test_baseline_degree_days_at_18_c_from_daily_means():
    daily = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3, freq="D"), "energy_kwh": 10.0,
                          "production": [0.0, 0.0, 0.0], "operating_hours": 8.0, "outdoor_temp_c": [10.0, 18.0, 25.0],
                          "in_baseline": True})
    row = baseline_row("s1", daily)
    assert row["baseline_degree_days"] == pytest.approx(8.0 + 0.0 + 7.0)  # HDD 8, CDD 7
    assert row["baseline_avg_temp_c"] == pytest.approx(round(53 / 3, 2))
    assert row["baseline_sec"] is None  # no production: no SEC
