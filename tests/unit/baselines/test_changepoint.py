"""Unit tests of the change-point baselines (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from baseline_frames import N_DAYS, daily_frame

from enms import baselines as bl


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
