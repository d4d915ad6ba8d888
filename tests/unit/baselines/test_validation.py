"""Unit tests of enms.baselines.validation: hold-out, blocked CV, gates and evaluate on synthetic frames."""

from __future__ import annotations

import numpy as np
import pytest
from baseline_frames import N_DAYS, daily_frame, hourly_frame

from enms import baselines as bl


def test_holdout_blocked_cv_and_evaluate() -> None:
    X = daily_frame()
    rng = np.random.default_rng(10)
    y = 50.0 + 2.0 * X["production"].to_numpy() + rng.normal(0.0, 2.0, N_DAYS)
    X_train, X_test, y_train, y_test = bl.holdout_split(X, y, weeks=8)
    assert len(X_test) == 56 and X_test["date"].min() > X_train["date"].max()

    result = bl.evaluate(bl.RegressionBaseline(drivers=["production"]), X_train, y_train, X_test, y_test)
    assert set(result) == {"in_sample", "out_of_sample", "gates", "model"}
    assert result["in_sample"]["n_params"] == 2 and result["out_of_sample"]["n_params"] == 0
    assert result["out_of_sample"]["cv_rmse"] < 0.02
    assert all(g.passed for g in result["gates"].values()), {k: g.reason for k, g in result["gates"].items()}
    assert result["gates"]["enpi_lite"].figures["reporting_in_range"] is True

    cv = bl.blocked_cv(lambda: bl.RegressionBaseline(drivers=["production"]), X, y, by="month")
    assert len(cv.folds) == 12 and cv.folds["n"].sum() == N_DAYS
    assert cv.predictions.notna().all() and cv.metrics["n"] == N_DAYS
    weekly = bl.blocked_cv(bl.RegressionBaseline(drivers=["production"]), X, y, by="week")
    assert len(weekly.folds) == 53
    assert weekly.metrics["cv_rmse"] == pytest.approx(cv.metrics["cv_rmse"], rel=0.1)


def test_gates_reject_a_poor_model() -> None:
    X, y, _ = hourly_frame()
    X_train, X_test, y_train, y_test = bl.holdout_split(X, y, weeks=2)
    naive = bl.evaluate(bl.HourOfWeekMeanBaseline(), X_train, y_train, X_test, y_test)
    gates = naive["gates"]
    assert gates["nmec"].passed is False and "NMBE" in gates["nmec"].reason
    assert gates["nmec"].figures["m"] == 8760
