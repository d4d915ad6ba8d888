"""Unit tests of enms.baselines on small synthetic frames with known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from enms import baselines as bl

N_DAYS = 365


def daily_frame(seed: int = 1) -> pd.DataFrame:
    """A year of local days: seasonal daily mean temperature (about -5..25 °C) and production."""
    rng = np.random.default_rng(seed)
    doy = np.arange(N_DAYS)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=N_DAYS, freq="D"),
            "production": rng.uniform(100.0, 200.0, N_DAYS),
            "operating_hours": rng.uniform(8.0, 16.0, N_DAYS),
            "outdoor_temp_c": 10.0 - 12.0 * np.cos(2 * np.pi * doy / 365) + rng.normal(0.0, 3.0, N_DAYS),
        }
    )


def hourly_frame(weeks: int = 12, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Hourly drivers (local = UTC here) getting colder week by week; returns (X, y, true profile per hour of week).

    y = profile[hour of week] + 2 · max(0, 12.778 - T) + noise: 50 kWh in working hours (Mon-Fri 08-18), 20
    otherwise, and a heating slope of 2 kWh/°C below 55 °F (a TOWT knot).
    """
    rng = np.random.default_rng(seed)
    buckets = pd.date_range("2024-01-01", periods=168 * weeks, freq="h", tz="UTC")
    weekday, hour = buckets.day_of_week.to_numpy(), buckets.hour.to_numpy()
    how = weekday * 24 + hour
    profile = np.where((np.arange(168) // 24 < 5) & (np.arange(168) % 24 >= 8) & (np.arange(168) % 24 < 18), 50.0, 20.0)
    week = np.arange(len(buckets)) // 168
    temp = 16.0 - 1.5 * week + 5.0 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0.0, 1.0, len(buckets))
    y = profile[how] + 2.0 * np.maximum(0.0, 12.778 - temp) + rng.normal(0.0, 1.0, len(buckets))
    X = pd.DataFrame(
        {
            "bucket": buckets,
            "hour_of_week": how,
            "hour": hour,
            "weekday": weekday,
            "month": buckets.month.to_numpy(),
            "outdoor_temp_c": temp,
            "production": rng.uniform(0.0, 10.0, len(buckets)),
        }
    )
    return X, y, profile


# ------------------------------------------------------------------------------------------------ regression
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


# ------------------------------------------------------------------------------------------------ change point
def test_change_point_finds_planted_heating_balance_point() -> None:
    X = daily_frame()
    rng = np.random.default_rng(6)
    y = 100.0 + 5.0 * np.maximum(0.0, 16.5 - X["outdoor_temp_c"].to_numpy()) + rng.normal(0.0, 3.0, N_DAYS)
    model = bl.ChangePointBaseline().fit(X, y)
    assert model.form_ == "3p_heating"
    assert model.balance_points_["heating"] == pytest.approx(16.5, abs=1.0)
    assert model.balance_points_["cooling"] is None
    assert model.coef_["hdd"] == pytest.approx(5.0, abs=0.4) and model.intercept_ == pytest.approx(100.0, abs=2.0)
    assert model.n_params_ == 3
    forms = model.candidates_.set_index("form")
    assert not forms.loc["3p_cooling", "qualified"]  # negative cooling slope: refused


def test_change_point_5p_recovers_both_balance_points() -> None:
    X = daily_frame()
    rng = np.random.default_rng(7)
    t = X["outdoor_temp_c"].to_numpy()
    y = 100.0 + 5.0 * np.maximum(0.0, 14.0 - t) + 4.0 * np.maximum(0.0, t - 20.0) + rng.normal(0.0, 3.0, N_DAYS)
    model = bl.ChangePointBaseline().fit(X, y)
    assert model.form_ == "5p" and model.n_params_ == 5
    assert model.balance_points_["heating"] == pytest.approx(14.0, abs=1.0)
    assert model.balance_points_["cooling"] == pytest.approx(20.0, abs=1.0)
    assert model.coef_["hdd"] == pytest.approx(5.0, abs=0.5) and model.coef_["cdd"] == pytest.approx(4.0, abs=0.6)
    assert model.summary()["form"] == "5p"


def test_change_point_without_temperature_effect_falls_back_to_the_mean() -> None:
    X = daily_frame()
    y = 100.0 + np.random.default_rng(8).normal(0.0, 3.0, N_DAYS)
    model = bl.ChangePointBaseline().fit(X, y)
    assert model.form_ == "intercept" and model.coef_ == {}
    assert model.predict(X.iloc[:3]).to_numpy() == pytest.approx([model.intercept_] * 3)


# ------------------------------------------------------------------------------------------------ TOWT
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


# ------------------------------------------------------------------------------------------------ GBM / naive
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


def test_hour_of_week_mean() -> None:
    X = pd.DataFrame({"hour_of_week": [0, 0, 1, 1, 2]})
    model = bl.HourOfWeekMeanBaseline().fit(X, [1.0, 3.0, 10.0, 20.0, 7.0])
    pred = model.predict(pd.DataFrame({"hour_of_week": [0, 1, 2, 100]}, index=list("abcd")))
    assert pred.to_dict() == {"a": 2.0, "b": 15.0, "c": 7.0, "d": pytest.approx(41.0 / 5)}  # unseen: overall mean


# ------------------------------------------------------------------------------------------------ guards
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


def _fitted_models() -> list[tuple[bl._Baseline, pd.DataFrame]]:
    Xd = daily_frame()
    yd = 50.0 + 2.0 * Xd["production"] + 3.0 * np.maximum(0.0, 16.0 - Xd["outdoor_temp_c"])
    yd = yd.to_numpy() + np.random.default_rng(9).normal(0.0, 2.0, N_DAYS)
    Xh, yh, _ = hourly_frame(weeks=4)
    return [
        (bl.RegressionBaseline(drivers=["production", "hdd"]).fit(Xd, yd), Xd),
        (bl.ChangePointBaseline(drivers=["production"]).fit(Xd, yd), Xd),
        (bl.TOWTBaseline().fit(Xh, yh), Xh),
        (bl.GradientBoostingBaseline(drivers=["outdoor_temp_c"], max_iter=30).fit(Xh, yh), Xh),
        (bl.HourOfWeekMeanBaseline().fit(Xh, yh), Xh),
    ]


@pytest.fixture(scope="module")
def fitted() -> list[tuple[bl._Baseline, pd.DataFrame]]:
    return _fitted_models()


def test_predict_with_a_missing_column_names_it(fitted) -> None:
    for model, X in fitted:
        for column in model.feature_names_in_:
            with pytest.raises(ValueError, match=f"lacks driver column.*{column}"):
                model.predict(X.drop(columns=column))


def test_saved_and_reloaded_models_predict_identically(fitted, tmp_path) -> None:
    for model, X in fitted:
        paths = bl.save_model(model, tmp_path / type(model).__name__)
        assert paths["joblib"].exists() and paths["json"].exists()
        again = bl.load_model(paths["joblib"])
        assert type(again) is type(model)
        assert np.array_equal(model.predict(X).to_numpy(), again.predict(X).to_numpy(), equal_nan=True)
        card = json.loads(paths["json"].read_text())
        assert card["model_class"] == type(model).__name__
        assert card["feature_names"] == model.feature_names_in_
        assert card["coefficients"] == pytest.approx(model.coefficients())
        assert card["metadata"]["summary"]["n_obs"] == model.n_obs_
        assert bl.load_model(tmp_path / type(model).__name__).n_params_ == model.n_params_  # stem works too
    reg = fitted[0][0]
    card = bl.model_card(reg)
    assert card["intercept"] == pytest.approx(reg.intercept_) and set(card["coefficients"]) == {"production", "hdd"}


# ------------------------------------------------------------------------------------------------ validation
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


# ------------------------------------------------------------------------------------------------ savings
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
