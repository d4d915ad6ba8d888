"""Unit tests of the gradient-boosting baseline (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import numpy as np
from baseline_frames import hourly_frame

from enms import baselines as bl


def test_gradient_boosting_is_deterministic_and_predicts_nan_for_nan_drivers() -> None:
    X, y, _ = hourly_frame(weeks=4)
    make = lambda: bl.GradientBoostingBaseline(drivers=["outdoor_temp_c", "production"], max_iter=40)  # noqa: E731
    a, b = make().fit(X, y), make().fit(X, y)
    assert np.array_equal(a.predict(X).to_numpy(), b.predict(X).to_numpy())
    assert a.feature_names_in_ == ["outdoor_temp_c", "production", "hour", "weekday", "month"]
    assert a.fit_stats_["cv_rmse"] < 0.1
    gap = X.iloc[:3].assign(outdoor_temp_c=[np.nan, 5.0, 5.0])
    pred = a.predict(gap)
    assert np.isnan(pred.iloc[0]) and np.isfinite(pred.iloc[1:]).all()
