"""SEU matching, the SEUs missing, the SEU's daily frame and model (equal to the baselines step's own daily
regression for a single machine), and the step end to end on a two-machine plant."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from iso_frames import SOURCES, baselines_rows, plant, seus

from enms import iso50001
from enms.baselines.run import _baseline_rows, candidates_for, prepare_series
from enms.iso50001.keys import row_id
from enms.iso50001.seus import active_series, fit_seu_model, missing_seus, seu_daily, seu_status
from enms.rows import TRAINED_BY

MACHINES = pd.DataFrame({"machine_id": ["m1", "m2", "m3", "m4"], "machine_name": ["M1", "M2", "M3", "M4"],
                         "timezone": "America/Los_Angeles", "factory_id": "f1"})
ROWS = baselines_rows(("m1", "e1", True), ("m2", "e1", True), ("m2", "g1", True), ("m3", "e1", True),
                      ("m4", "e1", True), ("m4", "g1", False))
SEUS = seus(("s-line", "Line", "e1", ["m1", "m2"], True),  # two machines, electricity
            ("s-off", "Old M3", "e1", ["m3"], False),  # inactive: covers nothing
            ("s-gas", "M4 gas", "g1", ["m4"], None),  # NULL is_active is active; but M4's gas baseline is not
            ("s-gone", "Gone", "e1", ["m9"], True))  # a machine not in this run


def test_matching_by_energy_source_and_members():
    status = seu_status(SEUS, SOURCES, active_series(ROWS, SOURCES), MACHINES).set_index("seu_id")
    assert list(status.index) == ["s-line", "s-gas", "s-gone"]  # the inactive SEU is not listed
    assert status.loc["s-line", "status"] == "modelled"
    assert status.loc["s-gas", "status"] == "not modelled"
    assert status.loc["s-gas", "reason"] == "no active natural_gas baseline: M4"
    assert status.loc["s-gone", "reason"] == "machines not in this run: m9"


def test_missing_seus_are_the_active_baselines_no_active_seu_covers():
    missing = missing_seus(SEUS, ROWS, SOURCES, MACHINES)
    # m1 and m2 electricity are in 'Line'; m3's SEU is inactive; the gas SEU does not cover m4's electricity
    assert list(zip(missing["machine_id"], missing["energy_type"], strict=True)) == [
        ("m2", "natural_gas"), ("m3", "electricity"), ("m4", "electricity")]
    assert missing["name"].tolist() == ["M2 natural_gas", "M3", "M4"]
    assert missing["id"].tolist() == [row_id("seus", "m2", "g1"), row_id("seus", "m3", "e1"),
                                      row_id("seus", "m4", "e1")]
    assert missing["machine_ids"].tolist() == [["m2"], ["m3"], ["m4"]]
    # trained from 2025-01-06 00:00 UTC: still 2025-01-05 in Los Angeles
    assert missing["baseline_year"].tolist() == [2025, 2025, 2025]


def test_missing_seus_baseline_year_is_local():
    rows = baselines_rows(("m3", "e1", True)).assign(training_start_date=pd.Timestamp("2025-01-01 05:00", tz="UTC"))
    assert missing_seus(SEUS.iloc[:0], rows, SOURCES, MACHINES)["baseline_year"].tolist() == [2024]


@pytest.fixture(scope="module")
def inputs():
    extract, quality = plant()
    return extract, quality, {s.machine_id: s for s in prepare_series(extract, quality)}


def test_a_single_machine_seu_is_the_baselines_steps_daily_regression(inputs):
    _, _, series = inputs
    s = series["m1"]
    candidate = next(c for c in candidates_for(s) if c.name == "regression_ols")
    rows = s.daily.loc[_baseline_rows(s, s.daily, "day_start")]
    own = candidate.make().fit(rows, rows["energy_kwh"])
    seu = fit_seu_model(seu_daily([s]))
    assert seu.drivers == own.drivers == ["production", "operating_hours", "hdd", "cdd"]
    assert seu.balance_points_ == own.balance_points_
    assert seu.intercept_ == own.intercept_ and seu.coef_ == own.coef_
    assert seu.n_obs_ == own.n_obs_ == 119  # 17 weeks of baseline days


def test_a_multi_machine_seu_sums_its_members_days(inputs):
    _, _, series = inputs
    both = seu_daily([series["m1"], series["m2"]]).set_index("date")
    one, two = (series[m].daily.set_index("date") for m in ("m1", "m2"))
    day = pd.Timestamp("2025-03-04")
    assert both.loc[day, "energy_kwh"] == pytest.approx(one.loc[day, "energy_kwh"] + two.loc[day, "energy_kwh"])
    assert both.loc[day, "production"] == one.loc[day, "production"] + two.loc[day, "production"]
    assert both.loc[day, "in_baseline"] and both.loc[day, "is_normal"]
    # a day one member does not have normal is not normal for the SEU
    broken = series["m2"].daily.assign(is_normal=lambda d: d["is_normal"] & (d["date"] != day))
    partial = seu_daily([series["m1"], type(series["m2"])(**{**series["m2"].__dict__, "daily": broken})])
    assert not partial.set_index("date").loc[day, "is_normal"]


def test_the_step_end_to_end(inputs):
    extract, quality, _ = inputs
    extract = extract | {
        "seus": seus(("s-line", "Press line", "e1", ["m1", "m2"], True)),
        "baseline_adjustments": pd.DataFrame({
            "id": ["a1", "a2"], "seu_id": "s-line", "adjustment_date": [pd.Timestamp("2025-06-10").date()] * 2,
            "adjustment_type": ["production_capacity_change", "other"], "adjustment_reason": "test",
            "old_baseline_year": None, "new_baseline_year": None, "adjustment_factor": [0.9, 1.5],
            "approved_by": ["energy manager", None], "approved_at": [pd.Timestamp("2025-06-01", tz="UTC"), None]}),
        "energy_targets": pd.DataFrame({
            "id": ["t1"], "seu_id": [None], "factory_id": ["f1"], "target_type": ["factory"], "target_year": [2025],
            "target_description": "5 %", "baseline_year": [None], "baseline_energy_kwh": [None],
            "target_reduction_percent": [5.0], "target_energy_kwh": [None], "target_savings_kwh": [None],
            "status": ["active"], "deadline": [None]}),
    }
    baselines = {"energy_baselines_rows": baselines_rows(("m1", "e1", True), ("m2", "e1", True))}
    out = iso50001.run(extract, baselines, {}, quality=quality)
    model = out["seu_models"].iloc[0]
    assert model["id"] == "s-line" and model["machine_names"] == ["Press-1", "Press-2"]
    assert (str(model["baseline_start_date"]), str(model["baseline_end_date"])) == ("2025-01-06", "2025-05-04")
    assert model["trained_at"] == pd.Timestamp("2025-05-05", tz="UTC") and model["trained_by"] == TRAINED_BY
    assert list(json.loads(model["regression_coefficients"])) == model["feature_columns"]
    assert model["feature_columns"][:2] == ["production", "operating_hours"]
    assert out["seu_status"]["status"].tolist() == ["modelled"]
    assert out["seus_missing"].empty
    perf = out["enpi_performance"]
    assert [str(d) for d in perf["period_start"]] == ["2025-06-01"]  # May and July are cut
    days = seu_daily([s for s in prepare_series(extract, quality)])
    june = days[(days["date"].dt.month == 6)]
    assert perf["actual_energy_kwh"].iloc[0] == pytest.approx(june["energy_kwh"].sum(), abs=1e-4)
    assert perf["compliance_notes"].iloc[0].startswith("30 of 30 days compared")
    assert perf["baseline_id"].iloc[0] == out["enpi_baselines"]["id"].iloc[0]
    assert pd.isna(perf["cumulative_savings_usd"].iloc[0])  # no cost products given
    adjustments = out["adjustments"].set_index("id")
    assert adjustments["applied"].tolist() == [True, False]
    assert adjustments.loc["a2", "why"] == "not applied: not approved (pending)"
    # 21 days (10th-30th) at 0.9: the effective factor of the month is between 0.9 and 1
    assert 0.9 < perf["adjustment_factor"].iloc[0] < 1.0
    target = out["targets"].iloc[0]
    assert target["scope"] == "Works" and target["months"] == 1
    assert target["target_energy_kwh"] == pytest.approx(out["enpi_baselines"]["baseline_energy_kwh"].iloc[0] * 0.95)
    assert target["ytd_actual_kwh"] == pytest.approx(perf["actual_energy_kwh"].iloc[0])
    assert np.isfinite(target["progress_pct"])
