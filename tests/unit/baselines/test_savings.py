"""Unit tests of M&V savings (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from baseline_frames import N_DAYS, daily_frame

from enms import baselines as bl


def test_savings_with_a_measure_and_without() -> None:
    X = daily_frame()
    rng = np.random.default_rng(11)

    def energy(frame: pd.DataFrame) -> np.ndarray:
        return 50.0 + 2.0 * frame["production"].to_numpy() + 3.0 * np.maximum(0.0, 18.0 - frame["outdoor_temp_c"])

    model = bl.RegressionBaseline(drivers=["production", "hdd"], balance_point=18.0).fit(
        X, energy(X) + rng.normal(0.0, 3.0, N_DAYS)
    )
    reporting = daily_frame(seed=12).iloc[:90].set_index(pd.date_range("2025-01-01", periods=90, freq="D"))
    expected = model.predict(reporting)

    actual = 0.9 * energy(reporting) + rng.normal(0.0, 3.0, 90)  # a 10 % efficiency measure
    result = bl.savings(pd.Series(actual, index=reporting.index), expected, baseline=model)
    assert result.m == 90 and result.avoided_pct == pytest.approx(10.0, abs=1.0)
    assert result.lower_pct < 10.0 < result.upper_pct
    assert result.avoided_kwh == pytest.approx(result.expected_kwh - result.actual_kwh)
    assert result.cusum.iloc[-1] == pytest.approx(result.avoided_kwh) and result.cusum.index.equals(reporting.index)
    assert result.half_width_kwh == pytest.approx(result.fsu * result.avoided_kwh)
    assert result.n == model.n_obs_ and result.n_params == 3

    unchanged = bl.savings(energy(reporting) + rng.normal(0.0, 3.0, 90), expected.to_numpy(), baseline=model)
    assert unchanged.contains_zero and abs(unchanged.avoided_pct) < 1.0
    assert json.dumps(unchanged.to_dict())

    with pytest.raises(ValueError, match="cv_rmse and n"):
        bl.savings(actual, expected)
