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
