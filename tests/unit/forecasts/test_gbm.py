"""The gradient-boosting forecaster never sees the hours it forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from forecast_frames import synthetic_frame

from enms import forecasts as fx
from enms.forecasts.gbm import _local_lag, _utc_offsets
from enms.forecasts.grid import to_grid


def test_predict_refuses_an_origin_the_parameters_have_seen() -> None:
    frame = synthetic_frame(days=30)
    model = fx.GradientBoostingForecaster(max_iter=10, train_days=30).fit(frame)
    exog = frame[["bucket", *fx.EXOG_COLUMNS]]
    with pytest.raises(ValueError, match="before the end of the fitting data"):
        model.predict(frame["bucket"].iloc[-48], 24, exog)


def test_gbm_lags_never_reach_the_origin_across_dst() -> None:
    frame = synthetic_frame(days=63)
    grid = to_grid(frame)
    n = grid.n
    o = np.full(168, n - 200)
    h = np.arange(168)
    off = _utc_offsets(grid.exog["hour"], grid.t0)
    assert set(np.unique(off)) == {1, 2}  # CEST and CET both in the frame
    for k in (np.full(168, 168), np.full(168, 336), 24 * (h // 24 + 1)):
        q = _local_lag(o + h, k, off, o)
        assert np.all(q < o)
        ok = q >= 0
        # same local wall-clock hour as the target
        assert np.all(grid.exog["hour"][q[ok]] == grid.exog["hour"][(o + h)[ok]])
