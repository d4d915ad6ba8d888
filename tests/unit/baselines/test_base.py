"""Unit tests of enms.baselines.base through every estimator: the leak guard and the missing-column check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from baseline_frames import fitted_models, hourly_frame

from enms import baselines as bl
from enms import metrics as mx
from enms.baselines.base import implausible_rows


@pytest.mark.parametrize(
    ("make", "column"),
    [
        (lambda: bl.RegressionBaseline(drivers=["production", "load_factor"]), "load_factor"),
        (lambda: bl.RegressionBaseline(drivers=["avg_power_kw"]), "avg_power_kw"),
        (lambda: bl.ChangePointBaseline(drivers=["total_energy_kwh"]), "total_energy_kwh"),
        (lambda: bl.TOWTBaseline(drivers=["avg_power_kw"]), "avg_power_kw"),
        (lambda: bl.GradientBoostingBaseline(drivers=["load_factor"]), "load_factor"),
        (lambda: bl.RegressionBaseline(drivers=["units_est"], target_derived=["units_est"]), "units_est"),
    ],
)
def test_every_estimator_refuses_target_derived_drivers(make, column: str) -> None:
    X, y, _ = hourly_frame(weeks=1)
    X["load_factor"] = X["avg_power_kw"] = X["total_energy_kwh"] = X["units_est"] = y
    with pytest.raises(ValueError, match=f"'{column}'"):
        make().fit(X, y)


@pytest.fixture(scope="module")
def fitted() -> list[tuple[bl.Baseline, pd.DataFrame]]:
    return fitted_models()


def test_predict_with_a_missing_column_names_it(fitted) -> None:
    for model, X in fitted:
        for column in model.feature_names_in_:
            with pytest.raises(ValueError, match=f"lacks column.*{column}"):
                model.predict(X.drop(columns=column))


def _right_skewed(seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    """12 weeks of hourly drivers; y = a weekly profile (8 or 20 kWh) + gamma(0.5, 16) noise (mean 8, skewed)."""
    X, _, profile = hourly_frame(weeks=12, seed=3)
    rng = np.random.default_rng(seed)
    return X, 0.4 * profile[X["hour_of_week"].to_numpy()] + rng.gamma(0.5, 16.0, len(X))


@pytest.mark.parametrize(
    ("make", "old"),
    [
        (lambda **kw: bl.TOWTBaseline(**kw), 0.05),
        (lambda **kw: bl.GradientBoostingBaseline(drivers=["outdoor_temp_c"], **kw), 0.08),
    ],
)
def test_hourly_models_are_not_biased_low_by_outlier_trimming_on_right_skewed_noise(make, old: float) -> None:
    X, y = _right_skewed()
    trimmed = make(outlier_threshold=3.5).fit(X, y)
    # the residual screen drops high hours only, and the model under-predicts the hours it was given
    dropped = X["bucket"].isin(pd.to_datetime(trimmed.outliers_)).to_numpy()
    assert trimmed.n_outliers_ == dropped.sum() > 20
    assert np.mean(y[dropped] > trimmed.predict(X).to_numpy()[dropped]) > 0.9
    assert abs(trimmed.fit_stats_["nmbe"]) < 0.005 and trimmed.nmbe_all_ > old > 0.02
    assert trimmed.summary()["nmbe_all"] == pytest.approx(trimmed.nmbe_all_)

    model = make().fit(X, y)  # default: only implausible energy is dropped, none here
    assert model.n_outliers_ == 0 and model.n_obs_ == len(X)
    assert abs(model.fit_stats_["nmbe"]) < 0.005 and abs(model.nmbe_all_) < 0.005
    # over every hour it was given the untrimmed model is also the more accurate (trimming only flatters the fit)
    assert mx.rmse(y, model.predict(X)) < mx.rmse(y, trimmed.predict(X))


@pytest.mark.parametrize("make", [bl.TOWTBaseline, lambda: bl.GradientBoostingBaseline(drivers=["outdoor_temp_c"])])
def test_hourly_models_drop_only_the_hours_the_quality_screen_would_call_implausible(make) -> None:
    X, y = _right_skewed()
    y[100], y[900] = 10.0 * np.quantile(y, 0.995), -5.0  # a spike and negative energy
    model = make().fit(X, y)
    assert model.n_outliers_ == 2
    assert pd.to_datetime(model.outliers_).tolist() == X["bucket"].iloc[[100, 900]].tolist()
    assert "99.5th percentile" in model.summary()["outlier_method"]
    kept = np.ones(len(y), dtype=bool)
    kept[[100, 900]] = False
    assert abs(model.fit_stats_["nmbe"]) < 0.005 and model.fit_stats_["n"] == kept.sum()
    assert implausible_rows(y, np.ones(len(y), dtype=bool), None).sum() == 0
