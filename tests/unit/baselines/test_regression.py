"""Unit tests of the ISO 50006 regression baseline (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from baseline_frames import N_DAYS, daily_frame

from enms import baselines as bl


def test_regression_recovers_known_coefficients_despite_planted_faults() -> None:
    X = daily_frame()
    rng = np.random.default_rng(3)
    hdd = np.maximum(0.0, 18.0 - X["outdoor_temp_c"].to_numpy())
    y = 50.0 + 2.0 * X["production"].to_numpy() + 3.0 * hdd + rng.normal(0.0, 2.0, N_DAYS)
    faulty = [30, 100, 200, 250, 300]
    y[faulty] += 150.0  # faults hidden in the baseline (e.g. a machine left running)

    model = bl.RegressionBaseline(drivers=["production", "hdd"], balance_point=18.0).fit(X, y)
    assert model.intercept_ == pytest.approx(50.0, abs=2.5)
    assert model.coef_["production"] == pytest.approx(2.0, abs=0.03)
    assert model.coef_["hdd"] == pytest.approx(3.0, abs=0.1)
    planted = {d.isoformat() for d in X["date"].iloc[faulty]}
    assert planted <= set(model.outliers_) and model.n_outliers_ <= len(faulty) + 2  # outliers_: their dates
    assert model.training_start_ == "2024-01-01T00:00:00" and model.training_end_ == "2024-12-31T00:00:00"
    assert model.n_obs_ == N_DAYS - model.n_outliers_ and model.n_params_ == 3  # configured base: not a parameter
    assert model.pvalues_["production"] < 1e-10 and model.f_pvalue_ < 1e-10
    lo, hi = model.conf_int_["production"]
    assert lo < 2.0 < hi

    naive = bl.RegressionBaseline(drivers=["production", "hdd"], balance_point=18.0, outlier_threshold=None).fit(X, y)
    assert naive.n_outliers_ == 0 and abs(naive.intercept_ - 50.0) > abs(model.intercept_ - 50.0)

    searched = bl.RegressionBaseline(drivers=["production", "hdd"]).fit(X, y)
    assert searched.balance_points_["hdd"] == pytest.approx(18.0, abs=1.0)
    assert searched.n_params_ == 4  # intercept, two slopes, the searched balance point
    summary = searched.summary()
    assert summary["balance_points"]["hdd"] == searched.balance_points_["hdd"]
    assert set(summary["pvalues"]) == {"const", "production", "hdd"}
    json.dumps(summary)  # JSON-able


def test_regression_with_cooling_and_operating_hours() -> None:
    X = daily_frame(seed=4)
    rng = np.random.default_rng(5)
    t = X["outdoor_temp_c"].to_numpy()
    y = 20.0 + 4.0 * X["operating_hours"] + 2.5 * np.maximum(0, 15.0 - t) + 3.0 * np.maximum(0, t - 20.0)
    y = y.to_numpy() + rng.normal(0.0, 1.0, N_DAYS)
    model = bl.RegressionBaseline(drivers=["operating_hours", "hdd", "cdd"]).fit(X, y)
    assert model.balance_points_["hdd"] == pytest.approx(15.0, abs=1.0)
    assert model.balance_points_["cdd"] == pytest.approx(20.0, abs=1.0)
    assert model.coef_["operating_hours"] == pytest.approx(4.0, abs=0.15)


def test_regression_with_given_degree_days_and_a_constant_driver() -> None:
    X = daily_frame(seed=13)
    X["hdd"] = np.maximum(0.0, 15.5 - X["outdoor_temp_c"])  # precomputed at 15.5 °C
    y = 10.0 + 4.0 * X["hdd"].to_numpy() + np.random.default_rng(14).normal(0.0, 1.0, N_DAYS)
    model = bl.RegressionBaseline(drivers=["hdd"], balance_point=None).fit(X.drop(columns="outdoor_temp_c"), y)
    assert model.feature_names_in_ == ["hdd"] and model.balance_points_ == {}
    assert model.coef_["hdd"] == pytest.approx(4.0, abs=0.1)
    with pytest.raises(ValueError, match="constant over the training rows.*production"):
        bl.RegressionBaseline(drivers=["production", "hdd"]).fit(X.assign(production=0.0), y)
