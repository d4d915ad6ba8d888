"""Unit tests of enms.anomalies on small synthetic frames; expected numbers are worked out in the comments."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from enms import anomalies as an

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")  # a Monday
H = pd.Timedelta(hours=1)
LA = "America/Los_Angeles"


# ------------------------------------------------------------------------------------------------------ frames
def make_inputs(days: int = 60, machines: tuple[str, ...] = ("m1",), seed: int = 0, noise: float = 0.02,
                level: float = 50.0) -> dict[str, pd.DataFrame]:
    """Hourly series: running 06–18 UTC (level kWh, producing), idle otherwise (level/5 kWh, no production).

    Expected = the noiseless profile; actual = expected × (1 + noise · N(0, 1)).
    """
    rng = np.random.default_rng(seed)
    n = days * 24
    buckets = pd.date_range(T0, periods=n, freq="h")
    energy, modes, prod = [], [], []
    for m in machines:
        running = (buckets.hour >= 6) & (buckets.hour < 18)
        expected = np.where(running, level, level / 5)
        actual = expected * (1 + noise * rng.standard_normal(n))
        energy.append(pd.DataFrame({"bucket": buckets, "machine_id": m, "energy_type": "electricity",
                                    "actual_kwh": actual, "expected_kwh": expected, "is_normal": True}))
        modes.append(pd.DataFrame({"bucket": buckets, "machine_id": m, "n_running": np.where(running, 60, 0),
                                   "n_idle": np.where(running, 0, 60), "n_maintenance": 0, "n_fault": 0,
                                   "n_offline": 0, "total_readings": 60}))
        prod.append(pd.DataFrame({"bucket": buckets, "machine_id": m,
                                  "total_production_count": np.where(running, 100, 0)}))
    return {"expected": pd.concat(energy, ignore_index=True), "modes": pd.concat(modes, ignore_index=True),
            "production": pd.concat(prod, ignore_index=True)}


def frame_of(inputs: dict[str, pd.DataFrame], **kw) -> pd.DataFrame:
    return an.detection_frame(inputs["expected"], inputs["modes"], production_hourly=inputs["production"], **kw)


def plant(inputs: dict[str, pd.DataFrame], machine: str, start: pd.Timestamp, hours: int,
          factor: float | np.ndarray) -> None:
    e = inputs["expected"]
    sel = (e["machine_id"] == machine) & (e["bucket"] >= start) & (e["bucket"] < start + hours * H)
    e.loc[sel, "actual_kwh"] = e.loc[sel, "actual_kwh"].to_numpy() * factor


def reference_of(frame: pd.DataFrame, days: int = 40) -> pd.DataFrame:
    return frame[frame["bucket"] < T0 + pd.Timedelta(days=days)]


def overlaps(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return events[(events["start"] < end) & (events["end"] > start)]


# ------------------------------------------------------------------------------------------ planted anomalies
def test_planted_spike_is_found_by_the_residual_zscore():
    inputs = make_inputs()
    spike = T0 + pd.Timedelta(days=50, hours=8)  # a running hour
    plant(inputs, "m1", spike, 4, 1.5)  # +50 % for 4 h: z ≈ 0.5 / 0.02 = 25
    frame = frame_of(inputs)
    events = an.ResidualZScore().fit(reference_of(frame)).detect(frame)
    hit = overlaps(events, spike, spike + 4 * H)
    assert len(hit) == 1
    assert hit["start"].iloc[0] == spike and hit["end"].iloc[0] == spike + 4 * H
    assert hit["anomaly_type"].iloc[0] == "excess_consumption"
    assert hit["severity"].iloc[0] == "critical"
    assert hit["deviation_percent"].iloc[0] == pytest.approx(50, abs=5)
    assert hit["wasted_kwh"].iloc[0] == pytest.approx(4 * 25, rel=0.15)  # 4 h × 25 kWh above 50 kWh
    assert len(events) == 1  # nothing else in 60 days of plain noise


def test_planted_slow_drift_is_found_by_the_cusum_and_not_by_the_spike_detector():
    inputs = make_inputs(noise=0.03)
    start = T0 + pd.Timedelta(days=45)
    hours = 12 * 24
    plant(inputs, "m1", start, hours, 1 + 0.06 * np.arange(1, hours + 1) / hours)  # ramps to +6 % = 2σ
    frame = frame_of(inputs)
    ref = reference_of(frame)
    drift = an.ResidualCusum().fit(ref).detect(frame)
    hit = overlaps(drift, start, start + hours * H)
    assert len(hit) >= 1 and set(hit["anomaly_type"]) == {"drift"}
    assert hit["start"].min() > start  # the alarm comes after the onset, inside the ramp
    assert len(drift) == len(hit)  # no alarm outside the drift
    spikes = an.ResidualZScore().fit(ref).detect(frame)
    assert overlaps(spikes, start, start + hours * H).empty  # hourly |z| never reaches 4 with evidence


def test_left_running_rule_and_base_load_creep():
    inputs = make_inputs(days=70)
    night = T0 + pd.Timedelta(days=50, hours=18)  # idle hours 18–06 UTC
    plant(inputs, "m1", night, 12, 5.0)  # running-level power (50 kWh) while idle, nothing produced
    creep_start = T0 + pd.Timedelta(days=56)
    plant(inputs, "m1", creep_start, 14 * 24, 1.2)  # +20 % all day for two weeks: idle minimum up too
    frame = frame_of(inputs, machines=pd.DataFrame({"machine_id": ["m1"], "timezone": ["UTC"]}))
    ref = reference_of(frame)
    left = an.LeftRunningRule().fit(ref).detect(frame)
    assert len(left) == 1 and left["start"].iloc[0] == night and left["end"].iloc[0] == night + 12 * H
    assert left["anomaly_type"].iloc[0] == "left_running"
    creep = an.BaseLoadCreep().fit(ref).detect(frame)
    assert len(creep) >= 1 and set(creep["anomaly_type"]) == {"base_load_creep"}
    assert overlaps(creep, creep_start, creep_start + 14 * 24 * H).shape[0] == len(creep)


# ----------------------------------------------------------------------------------------------------- state
@pytest.mark.parametrize("mode", ["n_maintenance", "n_fault", "n_offline"])
def test_nothing_is_flagged_in_maintenance_fault_or_offline_hours(mode):
    inputs = make_inputs()
    start = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", start, 6, 3.0)  # a huge excess…
    m = inputs["modes"]
    sel = (m["bucket"] >= start) & (m["bucket"] < start + 6 * H)
    m.loc[sel, ["n_running", "n_idle"]] = 0
    m.loc[sel, mode] = 60  # …while the mode history says the machine was in maintenance / fault / offline
    frame = frame_of(inputs)
    assert not frame.loc[frame["bucket"].between(start, start + 5 * H), "eligible"].any()
    ref = reference_of(frame)
    for detector in an.default_detectors().values():
        events = detector.fit(ref).detect(frame)
        assert overlaps(events, start, start + 6 * H).empty, detector.method


def test_quality_mask_excludes_hours_too():
    inputs = make_inputs()
    start = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", start, 6, 3.0)
    mask = inputs["modes"][["bucket", "machine_id"]].assign(is_normal=True, reason="")
    mask.loc[mask["bucket"].between(start, start + 5 * H), ["is_normal", "reason"]] = [False, "maintenance"]
    frame = frame_of(inputs, normal_mask=mask)
    events = an.ResidualZScore().fit(reference_of(frame)).detect(frame)
    assert overlaps(events, start, start + 6 * H).empty


def test_a_machine_currently_in_maintenance_gets_no_new_alert():
    inputs = make_inputs(days=50, machines=("m1", "m2"))
    end = T0 + pd.Timedelta(days=50)
    past = T0 + pd.Timedelta(days=44, hours=8)
    for m in ("m1", "m2"):
        plant(inputs, m, past, 4, 1.5)  # a closed past event on both machines
        plant(inputs, m, end - 10 * H, 6, 1.5)  # an excess running up to the last normal hours…
    modes = inputs["modes"]
    last = (modes["machine_id"] == "m1") & (modes["bucket"] >= end - 4 * H)
    modes.loc[last, ["n_running", "n_idle"]] = 0
    modes.loc[last, "n_maintenance"] = 60  # …after which m1 went into maintenance, where it is now
    frame = frame_of(inputs)
    events = an.ResidualZScore().fit(reference_of(frame)).detect(frame)
    assert len(events) == 4
    status = pd.DataFrame({"machine_id": ["m1", "m2"], "current_mode": ["maintenance", "running"]})
    kept, suppressed = an.suppress_current_maintenance(events, frame, status)
    # m1's open event (it ends when the maintenance began, the last eligible hour) is suppressed; its closed
    # past event and both of m2's events stay.
    assert len(suppressed) == 1 and suppressed["machine_id"].iloc[0] == "m1"
    assert suppressed["end"].iloc[0] == end - 4 * H
    assert len(kept) == 3 and (kept.loc[kept["machine_id"] == "m1", "start"] == past).all()


# ---------------------------------------------------------------------------------------------------- events
def scored_frame(flags: list[int], z: float = 5.0, score: float = 1.25) -> pd.DataFrame:
    n = 12
    b = pd.date_range(T0, periods=n, freq="h")
    flag = np.isin(np.arange(n), flags)
    return pd.DataFrame({"bucket": b, "machine_id": "m1", "energy_type": "electricity", "eligible": True,
                         "actual_kwh": np.where(flag, 12.0, 10.0), "expected_kwh": 10.0,
                         "z": np.where(flag, z, 0.0), "score": np.where(flag, score, 0.1), "flag": flag})


def test_consecutive_hours_merge_into_one_event_with_a_small_gap():
    # flagged hours 0, 1, 2, 4 (one unflagged hour between: merged) and 8, 9 (three unflagged hours 5–7: apart)
    events = an.build_events(scored_frame([0, 1, 2, 4, 8, 9], score=2.0), "residual_zscore", "excess_consumption")
    assert list(events["start"]) == [T0, T0 + 8 * H]
    assert list(events["end"]) == [T0 + 5 * H, T0 + 10 * H]  # half-open: the last flagged hour's end
    assert list(events["n_flagged"]) == [4, 2]
    first = events.iloc[0]
    # hours 0–4: actual 12+12+12+10+12 = 58, expected 50 → +16 %; wasted Σ max(0, a − e) = 4 × 2 = 8 kWh;
    # mean z over the event = (4 × 5 + 0) / 5 = 4
    assert first["metric_value"] == pytest.approx(58) and first["expected_value"] == pytest.approx(50)
    assert first["deviation_percent"] == pytest.approx(16.0)
    assert first["wasted_kwh"] == pytest.approx(8.0)
    assert first["z"] == pytest.approx(4.0) and first["peak_z"] == pytest.approx(5.0)
    assert first["severity"] == "critical"
    # gap_hours=0: hour 4 is its own run of one hour, dropped by min_hours=2
    strict = an.build_events(scored_frame([0, 1, 2, 4]), "residual_zscore", "excess_consumption", gap_hours=0)
    assert len(strict) == 1 and strict["end"].iloc[0] == T0 + 3 * H


def test_evidence_rule_drops_weak_short_events():
    # two hours at 1.25 × the threshold: evidence 2.5 < 3 → dropped; at 1.5 ×: 3.0 → kept
    weak = an.build_events(scored_frame([3, 4], score=1.25), "m", "t", min_evidence=3.0)
    strong = an.build_events(scored_frame([3, 4], score=1.5), "m", "t", min_evidence=3.0)
    assert weak.empty and len(strong) == 1


def test_severity_and_confidence_rules():
    assert list(an.severity_from_z([0.5, 1.5, 2.9, 3.0, 10.0, np.nan])) == [
        "normal", "warning", "warning", "critical", "critical", "normal"]
    # persistence (1 − e^(−n/3)) × margin (1 − 1 / (2 · ratio)):
    # n=2, ratio=1 → 0.48658 × 0.5 = 0.24329; n=6, ratio=2 → 0.86466 × 0.75 = 0.64850
    conf = an.confidence_score([2, 6, 1000, 1], [1.0, 2.0, 1e9, 0.2])
    assert conf[0] == pytest.approx(0.24329, abs=1e-5)
    assert conf[1] == pytest.approx(0.64850, abs=1e-5)
    assert 0.99 < conf[2] <= 1.0
    assert conf[3] == pytest.approx((1 - np.exp(-1 / 3)) * 0.5)  # a ratio below 1 counts as 1
    assert ((conf >= 0) & (conf <= 1)).all()


def test_combined_incidents_keep_the_earliest_contributor_type_and_use_noisy_or():
    frame = scored_frame([2, 3, 4, 5, 6])
    a = an.build_events(scored_frame([4, 5, 6], score=2.0), "residual_zscore", "excess_consumption")
    b = an.build_events(scored_frame([2, 3, 4], score=2.0), "residual_cusum", "drift")
    inc = an.combine_events({"z": a, "c": b}, frame)
    assert len(inc) == 1
    row = inc.iloc[0]
    assert row["start"] == T0 + 2 * H and row["end"] == T0 + 7 * H
    assert row["anomaly_type"] == "drift" and row["detection_method"] == "residual_cusum"  # earliest starts
    assert row["detectors"] == "residual_cusum+residual_zscore"
    ca, cb = a["confidence"].iloc[0], b["confidence"].iloc[0]
    assert row["confidence"] == pytest.approx(1 - (1 - ca) * (1 - cb))


# ------------------------------------------------------------------------------------------------ evaluation
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


def test_old_method_flags_about_ten_percent_of_any_window():
    inputs = make_inputs(days=30)  # no anomaly at all
    frame = frame_of(inputs)
    old = an.OldIsolationForest()
    for window in (frame, frame[frame["bucket"] >= T0 + pd.Timedelta(days=20)]):
        share = old.score(window)["flag"].mean()
        assert 0.09 <= share <= 0.11
    events = old.detect(frame)
    assert len(events) > 20 and set(events["severity"]) == {"normal"}


# ------------------------------------------------------------------------------------------------ write-back
def test_anomaly_rows_respect_the_decimal_limits():
    events = pd.DataFrame({
        "machine_id": ["m1", "m1"], "energy_type": ["electricity", "natural_gas"],
        "start": [T0, T0 + 5 * H], "end": [T0 + 3 * H, T0 + 9 * H],
        "anomaly_type": ["excess_consumption", "drift"], "severity": ["critical", "warning"],
        "metric_name": "energy_kwh", "metric_value": [30.0, 100.0], "expected_value": [1e-6, 90.0],
        "deviation_percent": [2_999_999_900.0, 11.111], "z": [1_234_567.0, 2.345], "peak_z": [2e6, 3.0],
        "confidence": [1.7, 0.123456], "detection_method": ["residual_zscore", "residual_cusum"],
        "wasted_kwh": [30.0, 10.0], "wasted_cost": [3.0, 0.43], "currency": ["USD", "USD"]})
    rows = an.anomaly_rows(events)
    assert rows["deviation_percent"].iloc[0] is None and rows["deviation_std_dev"].iloc[0] is None
    assert rows["deviation_percent"].iloc[1] == 11.11 and rows["deviation_std_dev"].iloc[1] == 2.35
    assert rows["confidence_score"].tolist() == [1.0, 0.1235]
    assert (rows["is_resolved"] == False).all()  # noqa: E712
    assert list(rows["detected_at"]) == [T0, T0 + 5 * H]
    meta = json.loads(rows["metadata"].iloc[0])
    assert any("deviation_percent" in r for r in meta["null_reasons"])
    assert any("deviation_std_dev" in r for r in meta["null_reasons"])
    assert meta["energy_type"] == "electricity" and meta["end"] == (T0 + 3 * H).isoformat()
    assert meta["wasted_kwh"] == 30.0 and meta["currency"] == "USD" and meta["event_key"] == rows["id"].iloc[0]
    assert "null_reasons" not in json.loads(rows["metadata"].iloc[1])


def test_event_key_is_stable_across_overlapping_windows_and_growth():
    inputs = make_inputs(days=70)
    spike = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", spike, 4, 1.5)
    frame = frame_of(inputs)
    detector = an.ResidualZScore().fit(reference_of(frame))
    w1 = frame[frame["bucket"] < T0 + pd.Timedelta(days=55)]
    w2 = frame[frame["bucket"] >= T0 + pd.Timedelta(days=45)]  # overlapping window, later start
    r1, r2 = an.anomaly_rows(detector.detect(w1)), an.anomaly_rows(detector.detect(w2))
    assert len(r1) == len(r2) == 1 and r1["id"].iloc[0] == r2["id"].iloc[0]
    # the key ignores the end: the same event seen growing keeps its key
    key = an.event_key("m1", "electricity", "excess_consumption", "residual_zscore", spike)
    assert key == r1["id"].iloc[0]
    assert an.event_key("m1", "electricity", "excess_consumption", "residual_zscore", spike + H) != key


def test_plan_write_back_is_idempotent_updates_growing_events_and_never_touches_resolved_rows():
    def event(start_h, end_h, machine="m1"):
        return {"machine_id": machine, "energy_type": "electricity", "start": T0 + start_h * H,
                "end": T0 + end_h * H, "anomaly_type": "excess_consumption", "severity": "warning",
                "metric_name": "energy_kwh", "metric_value": 10.0, "expected_value": 8.0,
                "deviation_percent": 25.0, "z": 2.0, "peak_z": 4.0, "confidence": 0.5,
                "detection_method": "residual_zscore", "wasted_kwh": 2.0}

    first = an.anomaly_rows(pd.DataFrame([event(0, 4), event(10, 12, "m2")]))
    stored = first.assign(is_resolved=[False, True])
    # rerun of the same window: nothing new
    ins, upd, skip = an.plan_write_back(first, stored)
    assert ins.empty and upd.empty and len(skip) == 2
    # a later run: m1's event grew (same start → same key: update its end), m2's resolved one grew too (skip),
    # and a truncated view of m1's event from a window starting inside it matches by overlap (update, same id)
    later = an.anomaly_rows(pd.DataFrame([event(0, 9), event(10, 15, "m2")]))
    ins, upd, skip = an.plan_write_back(later, stored)
    assert ins.empty and len(upd) == 1 and len(skip) == 1
    assert upd["id"].iloc[0] == first["id"].iloc[0]
    assert json.loads(upd["metadata"].iloc[0])["end"] == (T0 + 9 * H).isoformat()
    truncated = an.anomaly_rows(pd.DataFrame([event(2, 11)]))
    ins, upd, _ = an.plan_write_back(truncated, stored)
    assert ins.empty and upd["id"].iloc[0] == first["id"].iloc[0]
    assert upd["detected_at"].iloc[0] == T0 and json.loads(upd["metadata"].iloc[0])["start"] == T0.isoformat()
    # a new event later on is inserted
    ins, upd, _ = an.plan_write_back(an.anomaly_rows(pd.DataFrame([event(30, 33)])), stored)
    assert len(ins) == 1 and upd.empty


# ----------------------------------------------------------------------------------------------------- costs
def test_wasted_energy_is_costed_at_the_local_tariff():
    machines = pd.DataFrame({"machine_id": ["m1"], "machine_name": ["Boiler-1"], "factory_id": ["f1"],
                             "factory_name": ["Plant"], "timezone": [LA]})
    tariffs = pd.DataFrame({"tariff_id": ["p", "o"], "factory_id": ["f1", "f1"], "name": ["Peak", "Off-Peak"],
                            "rate_per_kwh": [0.25, 0.10], "currency": ["USD", "USD"], "start_hour": [9, 21],
                            "end_hour": [21, 9], "applicable_days": [[1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]],
                            "demand_charge_per_kw": [0.0, 0.0], "valid_from": [None, None],
                            "valid_to": [None, None], "is_active": [True, True]})
    sources = pd.DataFrame({"name": ["natural_gas", "steam"], "cost_per_unit": [0.45, 0.03]})
    # Monday 2026-01-05 16:00 and 17:00 UTC = 08:00 and 09:00 PST: off-peak then peak
    b = pd.DatetimeIndex([T0 + 16 * H, T0 + 17 * H] * 3)
    frame = pd.DataFrame({"bucket": b, "machine_id": "m1",
                          "energy_type": ["electricity"] * 2 + ["natural_gas"] * 2 + ["steam"] * 2,
                          "actual_kwh": [12.0, 12.0, 31.1, 31.1, 9.0, 9.0],
                          "expected_kwh": [10.0, 10.0, 20.55, 20.55, 5.0, 5.0], "eligible": True})
    frame["residual_kwh"] = frame["actual_kwh"] - frame["expected_kwh"]
    frame = frame.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)
    events = pd.DataFrame({"machine_id": "m1", "energy_type": ["electricity", "natural_gas", "steam"],
                           "start": T0 + 16 * H, "end": T0 + 18 * H})
    out = an.add_costs(events, frame, machines, None, tariffs, sources)
    # electricity: 2 kWh × 0.10 + 2 kWh × 0.25 = 0.70; gas: 2 × 10.55 kWh = 2 m³ × 0.45 = 0.90; steam: 0
    assert out["wasted_cost"].tolist() == pytest.approx([0.70, 0.90, 0.0])
    assert set(out["currency"]) == {"USD"}


def test_detectors_pickle_and_isolation_forest_threshold_comes_from_the_reference():
    inputs = make_inputs(days=45)
    frame = frame_of(inputs)
    ref = reference_of(frame)
    iforest = an.IsolationForestDetector(min_z=-np.inf).fit(ref)
    clone = pickle.loads(pickle.dumps(iforest))
    ratio = clone.score(ref)["score"]
    # the threshold is the 0.2 % quantile of the reference scores: ~0.2 % of reference hours reach it
    assert ratio.ge(1.0).mean() == pytest.approx(0.002, abs=0.002)
    for det in an.default_detectors().values():
        pickle.loads(pickle.dumps(det.fit(ref)))


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
