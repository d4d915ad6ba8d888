"""Flagged hours → events, incidents and the current-maintenance filter; numbers worked out in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anomaly_series import T0, H, frame_of, make_inputs, plant, reference_of

from enms import anomalies as an


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
