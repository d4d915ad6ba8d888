"""The detectors on small synthetic series with planted faults; expected numbers worked out in the comments."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from anomaly_series import T0, H, frame_of, make_inputs, overlaps, plant, reference_of

from enms import anomalies as an


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


def test_old_method_flags_about_ten_percent_of_any_window():
    inputs = make_inputs(days=30)  # no anomaly at all
    frame = frame_of(inputs)
    old = an.OldIsolationForest()
    for window in (frame, frame[frame["bucket"] >= T0 + pd.Timedelta(days=20)]):
        share = old.score(window)["flag"].mean()
        assert 0.09 <= share <= 0.11
    events = old.detect(frame)
    assert len(events) > 20 and set(events["severity"]) == {"normal"}


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


def test_the_residual_scale_is_the_day_types_own():
    """Weekend residuals that spread three times as wide as the workdays' (an HVAC unit on a closed plant) are
    scaled by the weekend's own spread: a weekend hour at +12 % is ordinary there and a workday hour at +24 % is
    not."""
    inputs = make_inputs(days=56, noise=0.04)
    e = inputs["expected"]
    weekend = e["bucket"].dt.dayofweek >= 5
    e.loc[weekend, "actual_kwh"] = e.loc[weekend, "expected_kwh"] * (
        1 + 3 * (e.loc[weekend, "actual_kwh"] / e.loc[weekend, "expected_kwh"] - 1))
    frame = frame_of(inputs)
    scaler = an.ResidualScaler().fit(reference_of(frame, days=42))
    saturday, tuesday = T0 + pd.Timedelta(days=47, hours=10), T0 + pd.Timedelta(days=50, hours=10)
    probe = frame[frame["bucket"].isin([saturday, tuesday])].copy()
    probe["residual_kwh"] = probe["expected_kwh"] * np.where(probe["bucket"] == saturday, 0.12, 0.24)
    z = dict(zip(probe["bucket"], scaler.transform(probe), strict=True))
    assert z[saturday] == pytest.approx(1.0, abs=0.25)  # 12 % against a weekend sd of 12 %
    assert z[tuesday] == pytest.approx(6.0, abs=1.0)  # 24 % against a workday sd of 4 %
