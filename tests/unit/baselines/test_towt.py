"""Unit tests of the TOWT baseline (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from baseline_frames import hourly_frame

from enms import baselines as bl


def test_towt_recovers_profile_and_temperature_slope_and_beats_the_naive_model() -> None:
    X, y, profile = hourly_frame()
    model = bl.TOWTBaseline().fit(X, y)
    working = np.flatnonzero(profile == 50.0)
    assert model.summary()["occupied_hours_of_week"] == working.tolist()  # CalTRACK occupancy from the data

    grid = pd.DataFrame({"hour_of_week": np.arange(168), "outdoor_temp_c": 16.0})  # above the 12.8 °C hinge
    assert model.predict(grid).to_numpy() == pytest.approx(profile, abs=1.0)
    cold, colder = model.predict(grid.assign(outdoor_temp_c=5.0)), model.predict(grid.assign(outdoor_temp_c=0.0))
    assert ((colder - cold) / 5.0).to_numpy() == pytest.approx(np.full(168, 2.0), abs=0.2)  # 2 kWh per °C

    X_train, X_test, y_train, y_test = bl.holdout_split(X, y, weeks=2)  # the two coldest weeks held out
    towt = bl.evaluate(bl.TOWTBaseline(), X_train, y_train, X_test, y_test)
    naive = bl.evaluate(bl.HourOfWeekMeanBaseline(), X_train, y_train, X_test, y_test)
    assert towt["out_of_sample"]["cv_rmse"] < 0.5 * naive["out_of_sample"]["cv_rmse"]
    assert towt["out_of_sample"]["n"] == 2 * 168 and towt["in_sample"]["n"] == 10 * 168
    assert towt["gates"]["enpi_lite"].passed is None  # no OLS driver p-values: not applicable
    gap = X_test.iloc[:2].assign(outdoor_temp_c=[np.nan, 3.0])
    assert np.isnan(model.predict(gap).iloc[0]) and np.isfinite(model.predict(gap).iloc[1])  # never imputed


def test_towt_with_mode_history_occupancy_and_extra_driver() -> None:
    X, y, profile = hourly_frame()
    X["occupied"] = profile[X["hour_of_week"]] == 50.0
    y = y + 1.5 * X["production"].to_numpy()
    model = bl.TOWTBaseline(occupancy="column", drivers=["production"]).fit(X, y)
    assert "occupied" in model.feature_names_in_
    coefs = model.coefficients()
    assert coefs["occupied:production"] == pytest.approx(1.5, abs=0.05)
    assert coefs["unoccupied:production"] == pytest.approx(1.5, abs=0.05)


def test_without_temperature_towt_is_the_time_of_week_model() -> None:
    """A meter without weather: the hour-of-week profile and the occupancy, no temperature column needed."""
    X, _, profile = hourly_frame()
    rng = np.random.default_rng(3)
    y = profile[X["hour_of_week"]] + rng.normal(0.0, 1.0, len(X))  # weather-independent load
    model = bl.TOWTBaseline(temperature=None).fit(X.drop(columns="outdoor_temp_c"), y)
    assert "outdoor_temp_c" not in model.feature_names_in_
    assert model.summary()["occupied_hours_of_week"] == np.flatnonzero(profile == 50.0).tolist()
    grid = pd.DataFrame({"hour_of_week": np.arange(168)})
    assert model.predict(grid).to_numpy() == pytest.approx(profile, abs=1.5)  # 12 hours each, noise sd 1
    assert not any("temp_segment" in name for name in model.coefficients())
