"""Rows for the EnMS tables the analytics write back (pure builders; the warehouse writes them).

Every DECIMAL column is checked against its limit (seed-schema.md): a value that does not fit is stored as
NULL and the reason goes into ``metadata.decimal_notes``, so a write never crashes on an overflow.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

import pandas as pd

from enms import __version__
from enms.baselines import _Baseline

# Largest magnitude each DECIMAL(precision, scale) column holds.
DECIMAL_LIMITS = {
    "r_squared": 9.9999,  # DECIMAL(5,4)
    "intercept": 999_999_999.999999,  # DECIMAL(15,6)
    "rmse": 999_999.999999,  # DECIMAL(12,6)
    "mae": 999_999.999999,
}
TRAINED_BY = f"enms-analytics {__version__}"


def fit_decimal(name: str, value: float | None, notes: dict[str, str]) -> float | None:
    """``value`` if it fits column ``name``'s DECIMAL, else None with the reason added to ``notes``."""
    if value is None or not math.isfinite(value):
        if value is not None:
            notes[name] = f"{value} is not finite: stored as NULL"
        return None
    if abs(value) > DECIMAL_LIMITS[name]:
        notes[name] = f"{value:.6g} exceeds the column's ±{DECIMAL_LIMITS[name]}: stored as NULL"
        return None
    return float(value)


def fingerprint(payload: Mapping[str, object]) -> str:
    """A stable hash of what defines a stored model: unchanged inputs give the same fingerprint."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _gates(row: pd.Series) -> dict[str, dict[str, object]]:
    names = [c.removesuffix("_passed") for c in row.index if c.endswith("_passed")]
    return {name: {"passed": None if pd.isna(row[f"{name}_passed"]) else bool(row[f"{name}_passed"]),
                   "reason": row[f"{name}_reason"], "figures": json.loads(row[f"{name}_figures"])}
            for name in names}


def _figures(row: pd.Series, suffix: str) -> dict[str, float]:
    return {c.removesuffix(suffix): _json_number(row[c]) for c in row.index if c.endswith(suffix)}


def _json_number(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def baseline_rows(candidates: pd.DataFrame, models: Mapping[tuple[str, str, str], _Baseline],
                  energy_sources: pd.DataFrame, artefacts: Mapping[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """One ``energy_baselines`` row per machine and energy source: its selected model (active only when
    every gate passed).

    The r_squared / rmse / mae columns hold the **out-of-sample** (blocked cross-validation) figures at the
    model's resolution; metadata holds in-sample, out-of-sample, hold-out and daily figures, every gate with
    its figures and reason, the other candidates, and the fingerprint that makes re-publishing idempotent.
    """
    source_ids = dict(zip(energy_sources["name"], energy_sources["energy_source_id"], strict=True))
    rows = []
    for _, row in candidates[candidates["selected"]].iterrows():
        key = (row["machine_id"], row["energy_type"])
        model = models[(*key, row["model"])]
        notes: dict[str, str] = {}
        others = candidates[(candidates["machine_id"] == key[0]) & (candidates["energy_type"] == key[1])]
        identity = {
            "machine_id": key[0], "energy_type": key[1], "model": row["model"],
            "coefficients": model.coefficients(), "intercept": getattr(model, "intercept_", None),
            "feature_names": list(model.feature_names_in_), "training_start": model.training_start_,
            "training_end": model.training_end_, "training_samples": model.n_obs_,
        }
        metadata = {
            "energy_type": key[1], "machine_name": row["machine_name"], "resolution": row["resolution"],
            "fingerprint": fingerprint(identity), "columns_basis": "out-of-sample (leave-one-month-out CV)",
            "in_sample": _figures(row, "_in"), "out_of_sample": _figures(row, "_oos"),
            "holdout": _figures(row, "_holdout"), "gates": _gates(row),
            "activation_reason": row["activation_reason"], "selection_score": "cv_rmse_daily_oos",
            "candidates": others[["model", "cv_rmse_oos", "cv_rmse_daily_oos", "is_active", "activation_reason"]]
            .assign(cv_rmse_oos=lambda f: f["cv_rmse_oos"].map(_json_number),
                    cv_rmse_daily_oos=lambda f: f["cv_rmse_daily_oos"].map(_json_number)).to_dict("records"),
            "artefact": (artefacts or {}).get(key),
        }
        rows.append({
            "machine_id": key[0],
            "energy_source_id": source_ids.get(key[1]),
            "model_name": f"{row['model']}:{key[1]}"[:100],
            "model_type": model.model_type[:50],
            "training_start_date": pd.Timestamp(model.training_start_),
            "training_end_date": pd.Timestamp(model.training_end_),
            "training_samples": int(model.n_obs_),
            "coefficients": json.dumps({k: _json_number(v) for k, v in model.coefficients().items()}),
            "intercept": fit_decimal("intercept", getattr(model, "intercept_", None), notes),
            "feature_names": list(model.feature_names_in_),
            "r_squared": fit_decimal("r_squared", row["r2_oos"], notes),
            "rmse": fit_decimal("rmse", row["rmse_oos"], notes),
            "mae": fit_decimal("mae", row["mae_oos"], notes),
            "is_active": bool(row["is_active"]),
            "trained_by": TRAINED_BY,
            "metadata": json.dumps(metadata | {"decimal_notes": notes}, default=str),
            "fingerprint": metadata["fingerprint"],
        })
    return pd.DataFrame(rows)
