"""Unit tests of enms.baselines.base through every estimator: the leak guard and the missing-column check."""

from __future__ import annotations

import pandas as pd
import pytest
from baseline_frames import fitted_models, hourly_frame

from enms import baselines as bl


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
