"""Unit tests of enms.frames: the per-key lookup the fleet loops use."""

from __future__ import annotations

import pandas as pd

from enms.frames import Rows


def test_rows_give_each_key_what_a_boolean_mask_gives_and_an_empty_frame_for_a_missing_key() -> None:
    frame = pd.DataFrame({"machine_id": ["b", "a", "b", "a", "b"], "energy_type": ["e", "e", "g", "e", "e"],
                          "kwh": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=[10, 11, 12, 13, 14])
    by_machine = Rows(frame, "machine_id")
    pd.testing.assert_frame_equal(by_machine["b"], frame[frame["machine_id"] == "b"])
    by_series = Rows(frame, ["machine_id", "energy_type"])
    pd.testing.assert_frame_equal(by_series[("b", "e")], frame.loc[[10, 14]])
    missing = by_series[("c", "e")]
    assert missing.empty and list(missing.columns) == ["machine_id", "energy_type", "kwh"]
    assert Rows(frame.iloc[:0], "machine_id")["a"].empty
