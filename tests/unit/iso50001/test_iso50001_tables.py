"""Adjustments applied or not, target progress, and the demo's ISO 50001 seeds."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from enms.demo.iso50001 import seed_frames
from enms.iso50001.adjustments import adjustments_table, daily_factors
from enms.iso50001.targets import target_progress


def _adjustments() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["ok", "pending", "no-date", "bad", "elsewhere"], "seu_id": ["s1", "s1", "s1", "s1", "s9"],
        "adjustment_date": [date(2026, 1, 15)] * 5, "adjustment_type": "other", "adjustment_reason": "r",
        "adjustment_factor": [0.8, 1.05, 1.1, 0.0, 0.9],
        "approved_by": ["Ann", None, "Ann", "Ann", "Ann"],
        "approved_at": [pd.Timestamp("2026-01-10", tz="UTC"), None, None, pd.Timestamp("2026-01-10", tz="UTC"),
                        pd.Timestamp("2026-01-10", tz="UTC")]})


def test_only_approved_adjustments_of_a_modelled_seu_apply():
    table = adjustments_table(_adjustments(), {"s1": "Press line"}).set_index("id")
    assert table["applied"].to_dict() == {"ok": True, "pending": False, "no-date": False, "bad": False,
                                          "elsewhere": False}
    assert table.loc["ok", "why"] == "applied from 2026-01-15: approved by Ann"
    assert table.loc["no-date", "why"] == "not applied: not approved (pending)"  # approved_at missing
    assert table.loc["bad", "why"].startswith("not applied: factor")
    assert table.loc["elsewhere", "why"] == "not applied: its SEU has no model in this run"
    assert table.loc["ok", "seu_name"] == "Press line"


def test_daily_factors_start_on_the_adjustment_date_inclusive():
    days = pd.Series(pd.date_range("2026-01-13", periods=4, freq="D"))
    applied = pd.DataFrame({"adjustment_date": [date(2026, 1, 15), date(2026, 1, 16)], "adjustment_factor": [0.8, 0.5]})
    assert daily_factors(days, applied).tolist() == pytest.approx([1.0, 1.0, 0.8, 0.4])


def _performance() -> pd.DataFrame:
    return pd.DataFrame({"seu_id": ["s1", "s1", "s2", "s1"],
                         "period_start": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1)],
                         "actual_energy_kwh": [90.0, 95.0, 200.0, 500.0],
                         "expected_energy_kwh": [100.0, 100.0, 190.0, 400.0]})


def _target(**values: object) -> dict[str, object]:
    return {"id": "t", "seu_id": None, "factory_id": None, "target_type": None, "target_year": 2026,
            "target_description": "d", "baseline_year": None, "baseline_energy_kwh": None,
            "target_reduction_percent": 10.0, "target_energy_kwh": None, "target_savings_kwh": None,
            "status": "active", "deadline": None} | values


def test_target_progress_of_an_seu_and_of_a_factory():
    targets = pd.DataFrame([_target(id="seu", seu_id="s1", target_type="seu", target_energy_kwh=1000.0),
                            _target(id="factory", factory_id="f1", target_type="factory",
                                    target_reduction_percent=5.0)])
    baselines = pd.DataFrame({"seu_id": ["s1", "s2"], "baseline_energy_kwh": [2400.0, 3600.0]})
    out = target_progress(targets, _performance(), baselines, {"s1": "Press", "s2": "Oven"},
                          {"s1": "f1", "s2": "f1"}, {"f1": "Works"}).set_index("target_id")
    seu = out.loc["seu"]
    # 2026 only: actual 90 + 95, expected 200: savings 15 kWh = 7.5 %, 75 % of the 10 % target
    assert (seu["scope"], seu["months"], seu["target_energy_kwh"]) == ("Press", 2, 1000.0)
    assert seu["ytd_savings_kwh"] == pytest.approx(15.0)
    assert seu["ytd_savings_pct"] == pytest.approx(7.5)
    assert seu["progress_pct"] == pytest.approx(75.0)
    factory = out.loc["factory"]
    # both SEUs: actual 385, expected 390; baseline 2400 + 3600 at 5 % less
    assert factory["scope"] == "Works"
    assert factory["target_energy_kwh"] == pytest.approx(6000 * 0.95)
    assert factory["ytd_savings_pct"] == pytest.approx(100 * 5 / 390)
    assert factory["progress_pct"] == pytest.approx(100 * (100 * 5 / 390) / 5)


def test_a_target_without_a_modelled_seu_says_so():
    out = target_progress(pd.DataFrame([_target(seu_id="s7", target_type="seu")]), _performance(),
                          pd.DataFrame({"seu_id": [], "baseline_energy_kwh": []}), {}, {}, {})
    assert out["note"].tolist() == ["no modelled SEU in its scope"]
    assert math.isnan(out["ytd_actual_kwh"].iloc[0])


def test_demo_seeds_follow_the_enms_phase_one():
    machines = {"Boiler-1": "b", "Compressor-1": "c", "HVAC-Main": "h", "Compressor-EU-1": "e"}
    frames = dict(seed_frames(machines, {"electricity": "el", "natural_gas": "gas"},
                              {"Demo Manufacturing Plant": "f1", "European Production Facility": "f2"},
                              adjustment_date=date(2026, 10, 15)))
    seus = frames["seus"]
    assert seus["name"].tolist() == ["Compressor-1", "Compressor-EU-1", "HVAC-Main"]  # no Boiler-1 SEU
    assert seus["id"].tolist() == ["aaaaaaaa-1111-1111-1111-111111111111", "aaaaaaaa-2222-2222-2222-222222222222",
                                   "aaaaaaaa-3333-3333-3333-333333333333"]
    assert seus["machine_ids"].tolist() == [["c"], ["e"], ["h"]] and (seus["energy_source_id"] == "el").all()
    targets = frames["energy_targets"]
    columns = ["target_type", "factory_id", "seu_id", "target_year", "target_reduction_percent"]
    assert targets[columns].values.tolist() == [
        ["factory", "f1", None, 2026, 5.0], ["seu", None, "aaaaaaaa-1111-1111-1111-111111111111", 2026, 10.0]]
    adjustment = frames["baseline_adjustments"].iloc[0]
    assert (adjustment["seu_id"], adjustment["adjustment_type"], adjustment["adjustment_factor"]) == (
        "aaaaaaaa-3333-3333-3333-333333333333", "operating_schedule_change", 1.05)
    assert adjustment["approved_by"] is None and adjustment["approved_at"] is None
    assert adjustment["adjustment_date"] == date(2026, 10, 15)


def test_demo_seeds_only_for_machines_present():
    frames = dict(seed_frames({"Conveyor-A": "a"}, {"electricity": "el"}, {"European Production Facility": "f2"},
                              adjustment_date=date(2026, 10, 15)))
    assert frames["seus"]["name"].tolist() == ["Conveyor-A"]
    assert frames["energy_targets"].empty and frames["baseline_adjustments"].empty
