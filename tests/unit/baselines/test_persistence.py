"""Unit tests of enms.baselines.persistence: model artefacts (joblib + JSON card), saved and read back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from baseline_frames import fitted_models

from enms import baselines as bl


def test_saved_and_reloaded_models_predict_identically(tmp_path) -> None:
    fitted = fitted_models()
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


def test_save_models_writes_the_selected_model_of_each_series(tmp_path) -> None:
    model, _ = fitted_models()[0]
    candidates = pd.DataFrame({"machine_id": ["m1", "m1"], "machine_name": ["Press", "Press"],
                               "energy_type": ["electricity", "electricity"], "model": ["regression_ols", "towt"],
                               "selected": [True, False]})
    artefacts = bl.save_models(candidates, {("m1", "electricity", "regression_ols"): model}, tmp_path)
    assert artefacts == {("m1", "electricity"): "models/Press-electricity-regression_ols.joblib"}
    assert (tmp_path / artefacts[("m1", "electricity")]).exists()
    assert (tmp_path / "models" / "Press-electricity-regression_ols.json").exists()
