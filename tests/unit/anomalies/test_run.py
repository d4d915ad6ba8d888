"""The step's detector run: every list and the combined one."""

from __future__ import annotations

import pandas as pd
from anomaly_series import T0, H, frame_of, make_inputs, overlaps, plant, reference_of

from enms import anomalies as an


def test_run_detectors_returns_every_list_and_a_combined_one_for_the_plant_manager():
    inputs = make_inputs(days=60)
    spike = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", spike, 5, 1.4)
    frame = frame_of(inputs)
    lists = an.run_detectors(frame, reference_of(frame))
    assert set(lists) == {*an.default_detectors(), "combined"}
    combined = lists["combined"]
    assert len(overlaps(combined, spike, spike + 5 * H)) == 1
    assert set(combined.columns) >= set(an.EVENT_COLUMNS) | {"detectors"}


def _series(frame: pd.DataFrame, machine: str) -> pd.DataFrame:
    return frame[frame["machine_id"] == machine].reset_index(drop=True)


def test_detection_by_series_finds_what_a_run_over_the_whole_plant_finds():
    inputs = make_inputs(days=60, machines=("m1", "m2"))
    plant(inputs, "m1", T0 + pd.Timedelta(days=50, hours=8), 5, 1.4)
    plant(inputs, "m2", T0 + pd.Timedelta(days=45, hours=9), 4, 1.5)
    frame = frame_of(inputs)
    whole = an.run_detectors(frame, reference_of(frame))
    events, status = an.detect_by_series(frame, reference_of(frame))
    assert set(events) == set(whole)
    for method in whole:
        pd.testing.assert_frame_equal(events[method], whole[method])
    assert [(s["machine_id"], s["status"], s["n_reference_hours"]) for s in status] == [("m1", "detected", 960),
                                                                                        ("m2", "detected", 960)]


def test_a_detector_raising_on_one_series_leaves_the_other_series_events_as_they_were(monkeypatch):
    inputs = make_inputs(days=60, machines=("m1", "m2"))
    spike = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", spike, 5, 1.4)
    frame = frame_of(inputs)
    alone = an.run_detectors(_series(frame, "m1"), reference_of(_series(frame, "m1")))
    fit = an.IsolationForestDetector.fit

    def fit_or_raise(self, reference):
        if (reference["machine_id"] == "m2").any():
            raise ValueError("Input X contains NaN")
        return fit(self, reference)

    monkeypatch.setattr(an.IsolationForestDetector, "fit", fit_or_raise)
    events, status = an.detect_by_series(frame, reference_of(frame))
    assert status[1] == {"machine_id": "m2", "energy_type": "electricity", "n_reference_hours": 960,
                         "status": "failed", "reason": "ValueError: Input X contains NaN"}
    assert status[0]["status"] == "detected"
    for method, found in alone.items():
        pd.testing.assert_frame_equal(events[method], found)
    assert len(overlaps(events["combined"], spike, spike + 5 * H)) == 1


def test_a_series_without_eligible_reference_hours_is_not_detected_and_the_others_go_on():
    inputs = make_inputs(days=60, machines=("m1", "m2"))
    e = inputs["expected"]
    e.loc[(e["machine_id"] == "m2") & (e["bucket"] < T0 + pd.Timedelta(days=40)), "is_normal"] = False
    frame = frame_of(inputs)
    events, status = an.detect_by_series(frame, reference_of(frame))
    assert status[1]["status"] == "not detected" and status[1]["n_reference_hours"] == 0
    assert status[1]["reason"].startswith("no eligible reference hour")
    assert set(events["combined"]["machine_id"]) <= {"m1"}
    alone = an.run_detectors(_series(frame, "m1"), reference_of(_series(frame, "m1")))
    pd.testing.assert_frame_equal(events["residual_zscore"], alone["residual_zscore"])


def test_status_lists_every_declared_series_with_why_it_was_not_detected():
    inputs = make_inputs(days=45, machines=("m1",))
    frame = frame_of(inputs)
    steam = frame.assign(energy_type="steam")
    _, rows = an.detect_by_series(pd.concat([frame, steam], ignore_index=True), reference_of(frame))
    machines = pd.DataFrame({"machine_id": ["m1", "m2"], "machine_name": ["Boiler-1", "Press-2"],
                             "energy_types": [["electricity", "steam"], ["electricity"]]})
    baseline_status = pd.DataFrame({"machine_id": ["m2"], "energy_type": ["electricity"], "status": ["not fitted"],
                                    "reason": ["no readings"]})
    status = an.series_status(rows, machines, baseline_status)
    assert list(status.columns) == an.STATUS_COLUMNS
    assert status[["machine_name", "energy_type", "status"]].values.tolist() == [
        ["Boiler-1", "electricity", "detected"], ["Boiler-1", "steam", "excluded"],
        ["Press-2", "electricity", "not detected"]]
    assert status.loc[2, "reason"] == "no expected energy: baseline not fitted (no readings)"
    assert status.loc[1, "reason"] == "steam raises no consumption alert"
