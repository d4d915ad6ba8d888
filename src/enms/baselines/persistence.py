"""Baseline artefacts: the model card (JSON) beside the fitted estimator (joblib), written and read back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from enms.baselines.base import Baseline, jsonable


def model_card(model: Baseline) -> dict[str, object]:
    """The JSON side of an artefact: class, type, parameters, feature names, coefficients, intercept and
    metadata (the model's summary and library versions). Deterministic for a given fit (no timestamp)."""
    import sklearn
    import statsmodels

    model.check_fitted()
    return jsonable(
        {
            "model_class": type(model).__name__,
            "model_type": model.model_type,
            "params": model.get_params(),
            "feature_names": list(model.feature_names_in_),
            "coefficients": model.coefficients(),
            "intercept": getattr(model, "intercept_", None),
            "metadata": {
                "summary": model.summary(),
                "versions": {
                    "numpy": np.__version__,
                    "pandas": pd.__version__,
                    "scikit-learn": sklearn.__version__,
                    "statsmodels": statsmodels.__version__,
                },
            },
        }
    )


def _artefact_paths(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".joblib", ".json") else path
    return Path(f"{stem}.joblib"), Path(f"{stem}.json")


def save_model(model: Baseline, path: str | Path) -> dict[str, Path]:
    """Write ``<path>.joblib`` (the fitted estimator) and ``<path>.json`` (:func:`model_card`).

    ``path`` may end in .joblib / .json or have no suffix. Returns {'joblib': ..., 'json': ...}.
    """
    jl, js = _artefact_paths(path)
    card = model_card(model)
    jl.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, jl)
    js.write_text(json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"joblib": jl, "json": js}


def load_model(path: str | Path) -> Baseline:
    """Load a model written by :func:`save_model` (path with or without suffix). joblib unpickles: load
    only artefacts this pipeline wrote. The JSON card, when present, must name the same class."""
    jl, js = _artefact_paths(path)
    model = joblib.load(jl)
    if not isinstance(model, Baseline):
        raise TypeError(f"{jl} does not hold an enms baseline (got {type(model).__name__})")
    if js.exists():
        card = json.loads(js.read_text(encoding="utf-8"))
        if card.get("model_class") != type(model).__name__:
            raise ValueError(f"{js} describes {card.get('model_class')}, {jl} holds {type(model).__name__}")
    return model


def save_models(candidates: pd.DataFrame, models: Mapping[tuple[str, str, str], Baseline],
                folder: str | Path, subfolder: str = "models") -> dict[tuple[str, str], str]:
    """:func:`save_model` for the selected candidate of every series (``candidates['selected']``), as
    ``<folder>/<subfolder>/<machine name>-<energy type>-<model>``. Returns (machine_id, energy_type) → the
    artefact's joblib path relative to ``folder``."""
    artefacts = {}
    for row in candidates[candidates["selected"]].itertuples():
        name = f"{row.machine_name}-{row.energy_type}-{row.model}"
        save_model(models[(row.machine_id, row.energy_type, row.model)], Path(folder) / subfolder / name)
        artefacts[(row.machine_id, row.energy_type)] = f"{subfolder}/{name}.joblib"
    return artefacts
