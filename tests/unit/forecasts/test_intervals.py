"""Empirical intervals from out-of-sample residuals: quantiles, pooling, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import forecasts as fx
from enms.forecasts.grid import ns


def test_residual_intervals_quantiles_and_pooling() -> None:
    rng = np.random.default_rng(1)
    rec = fx.ResidualIntervals(calibration_days=28, min_residuals=30, horizon_edges=(0, 24))
    t0 = pd.Timestamp("2026-03-02", tz="UTC")
    n = 24 * 20
    y = np.zeros(n)
    for d in range(19):
        origin = t0 + pd.Timedelta(days=d)
        buckets = ns(origin) + np.arange(24, dtype=np.int64) * 3_600_000_000_000
        rec.add(origin, buckets, np.arange(24), rng.normal(0, 1, 24), np.zeros(24, dtype=np.int64))
    rec.score(ns(t0), y)
    origin = t0 + pd.Timedelta(days=19)
    lower, upper = rec.bounds(origin, np.arange(24), np.ones(24, dtype=np.int64), np.full(24, 10.0))
    # state 1 has no residual: pooled over the states; residual y - ŷ ~ N(0, 1): 456 residuals, split-conformal
    # ranks 22 and 435 (levels 0.048 and 0.954): bounds near 10 ± 1.68
    assert len(set(lower)) == 1 and len(set(upper)) == 1
    assert abs(lower[0] - (10 - 1.68)) < 0.3
    assert abs(upper[0] - (10 + 1.68)) < 0.3
    # nothing recorded after the origin is used: an origin at t0 has no residual
    lo, hi = rec.bounds(t0, np.arange(3), np.zeros(3, dtype=np.int64), np.ones(3))
    assert np.isnan(lo).all() and np.isnan(hi).all()
