"""Eligibility of the detection frame: hours out of normal operation are never flagged."""

from __future__ import annotations

import pandas as pd
import pytest
from anomaly_series import T0, H, frame_of, make_inputs, overlaps, plant, reference_of

from enms import anomalies as an


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
