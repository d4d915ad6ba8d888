"""Training-history rows: one per fitted model, identified by its fingerprint, with its trigger."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from enms.iso50001.keys import row_id
from enms.monitoring import run
from enms.monitoring.training import history_row

CANDIDATE = {
    "machine_id": "00000000-0000-0000-0000-000000000001", "machine_name": "Compressor-X", "energy_type": "electricity",
    "model": "towt", "resolution": "hourly", "training_start": "2025-10-01T00:00:00+00:00",
    "training_end": "2026-10-01T00:00:00+00:00", "training_samples": 8000, "feature_names": ["hour_of_week"],
    "cv_rmse_in": 0.04, "r2_in": 0.95, "cv_rmse_oos": 0.05, "r2_oos": 0.93456, "rmse_oos": 2.5, "mae_oos": 1.75,
    "cv_rmse_holdout": 0.06,
}
AT = pd.Timestamp("2026-11-02 06:00", tz="UTC")


def test_history_row_of_a_completed_training() -> None:
    row = history_row(CANDIDATE, "fp-1", {"model": "towt"}, trigger="manual", recorded_at=AT, duration_s=12.4)
    assert row["id"] == row_id("model_training_history", "fp-1")
    assert (row["trigger_type"], row["training_status"]) == ("manual", "completed")
    assert row["training_duration_seconds"] == 12
    assert row["training_end"] - row["training_start"] == pd.Timedelta(seconds=12.4)
    assert row["training_data_start"] == pd.Timestamp("2025-10-01", tz="UTC")
    assert (row["initial_r_squared"], row["initial_rmse"], row["initial_mae"]) == (0.9346, 2.5, 1.75)
    assert json.loads(row["training_metrics"]) == {"cv_rmse": 0.04, "r2": 0.95}
    assert json.loads(row["validation_metrics"]) == {"out_of_sample": {"cv_rmse": 0.05, "r2": 0.93456, "rmse": 2.5,
                                                                       "mae": 1.75},
                                                     "holdout": {"cv_rmse": 0.06}}
    # the same model recorded by a later run is the same row: a rerun adds nothing
    later = history_row(CANDIDATE, "fp-1", {"model": "towt"}, trigger="scheduled",
                        recorded_at=AT + pd.Timedelta(days=1))
    assert later["id"] == row["id"]


def test_an_unknown_trigger_is_refused() -> None:
    with pytest.raises(ValueError, match="trigger must be one of scheduled, manual"):
        run({}, {}, {}, {}, {}, trigger="drift_detected")
