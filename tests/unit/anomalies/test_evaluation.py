"""Event-level scores against a hand-made truth."""

from __future__ import annotations

import pandas as pd
import pytest
from anomaly_series import T0, H

from enms import anomalies as an


def test_event_metrics_on_a_hand_made_truth_detection_pair():
    def t(h):
        return T0 + h * H

    truth = pd.DataFrame({
        "fault_id": [1, 2, 3, 4], "machine_id": ["m1", "m1", "m2", "m2"],
        "energy_type": ["electricity", "electricity", "electricity", "natural_gas"],
        "fault_type": ["air_leak", "air_leak", "overload", "fouling"],
        "start_time": [t(0), t(20), t(0), t(50)], "end_time": [t(10), t(30), t(5), t(60)],
        "power_change_pct": [25.0, 5.0, 40.0, 15.0]})
    det = pd.DataFrame({
        "machine_id": ["m1", "m1", "m1", "m2", "m2"],
        "energy_type": ["electricity", "electricity", "electricity", "electricity", "electricity"],
        "start": [t(2), t(8), t(40), t(1), t(52)], "end": [t(4), t(12), t(42), t(3), t(54)]})
    # Truth A=[0,10) m1 is overlapped by d1=[2,4) and d2=[8,12): detected, delay = 2 − 0 = 2 h.
    # Truth B=[20,30) m1: no detection overlaps → missed. Truth C=[0,5) m2: d4=[1,3) → detected, delay 1 h.
    # Truth D=[50,60) m2 natural_gas: d5 overlaps in time but is electricity → missed (energy types differ).
    # recall = 2/4 = 0.5; d1, d2, d4 overlap a truth event, d3 and d5 do not: precision = 3/5 = 0.6;
    # F1 = 2 · 0.6 · 0.5 / 1.1 = 0.545454…; delays [2, 1] → median 1.5 h; false alarms 2 over 4 machine-months
    # = 0.5 per machine-month.
    scores, matched = an.evaluate(det, truth, months=4.0)
    s = scores["all"]
    assert (s.n_truth, s.detected, s.n_detections, s.true_detections, s.false_alarms) == (4, 2, 5, 3, 2)
    assert s.recall == pytest.approx(0.5) and s.precision == pytest.approx(0.6)
    assert s.f1 == pytest.approx(6 / 11)
    assert s.median_delay_h == pytest.approx(1.5) and s.mean_delay_h == pytest.approx(1.5)
    assert s.false_alarms_per_machine_month == pytest.approx(0.5)
    assert list(matched["detected"]) == [True, False, True, False]
    # target = power effect ≥ 10 % and ≥ 2 h: A, C, D (B has 5 %) → recall 2/3
    assert scores["target"].n_truth == 3 and scores["target"].recall == pytest.approx(2 / 3)
    assert scores["air_leak"].recall == pytest.approx(0.5) and scores["overload"].recall == 1.0
    # A window [t(15), t(70)) keeps truth B and D and the detections overlapping it (d3, d5): recall 0, precision 0
    win, _ = an.evaluate(det, truth, start=t(15), end=t(70), months=1.0)
    assert (win["all"].n_truth, win["all"].n_detections, win["all"].detected) == (2, 2, 0)
    assert win["all"].false_alarms_per_machine_month == pytest.approx(2.0)


def test_a_window_may_start_at_a_different_instant_per_machine():
    # Each factory's reporting period starts at its own local midnight: a window bound may be {machine: instant}.
    def t(h):
        return T0 + h * H

    truth = pd.DataFrame({
        "machine_id": ["m1", "m1", "m2"], "energy_type": "electricity", "fault_type": "air_leak",
        "start_time": [t(0), t(20), t(0)], "end_time": [t(10), t(30), t(5)], "power_change_pct": 25.0})
    det = pd.DataFrame({"machine_id": ["m1", "m1", "m2"], "energy_type": "electricity",
                        "start": [t(2), t(22), t(1)], "end": [t(4), t(24), t(3)]})
    start = {"m1": t(15), "m2": t(0)}
    # m1 from t(15): truth [20, 30) and d2 [22, 24) count, [0, 10) and d1 [2, 4) do not; m2 from t(0): all of it
    scores, matched = an.evaluate(det, truth, start=start, end=t(48), months=1.0)
    assert (scores["all"].n_truth, scores["all"].detected, scores["all"].n_detections) == (2, 2, 2)
    assert sorted(matched["start_time"]) == [t(0), t(20)]
    frame = pd.DataFrame({"machine_id": ["m1"] * 48 + ["m2"] * 48,
                          "bucket": list(pd.date_range(T0, periods=48, freq="h")) * 2})
    # m1 has 48 − 15 = 33 hours in the window, m2 all 48: 81 machine-hours / 730.5 h per month
    assert an.machine_months(frame, start, t(48)) == pytest.approx(81 / 730.5)
