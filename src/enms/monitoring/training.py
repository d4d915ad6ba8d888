"""Training runs as the EnMS's ``model_training_history`` records them, and the retraining of a drifting baseline."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping

import pandas as pd

from enms.baselines import Series
from enms.baselines.run import candidates_for, evaluate_candidate
from enms.iso50001.keys import row_id
from enms.localtime import local_date_start
from enms.rows import TRAINED_BY, baseline_rows, fit_decimal

TABLE = "model_training_history"
HISTORY_COLUMNS = ["id", "model_id", "model_type", "machine_id", "model_version", "training_start", "training_end",
                   "training_duration_seconds", "training_status", "training_data_start", "training_data_end",
                   "training_samples", "hyperparameters", "feature_names", "training_metrics", "validation_metrics",
                   "initial_r_squared", "initial_rmse", "initial_mae", "error_message", "error_traceback",
                   "trigger_type", "triggered_by", "metadata", "model_fingerprint"]
"""model_training_history's columns (created_at left to the database) plus model_fingerprint, from which the
writer resolves model_id and model_version (the stored energy_baselines row); None where training failed."""
RETRAIN_DAYS = 365
_RETRAINED = ("retrained on the most recent {days} days after drift was detected; not active: activating it is a "
              "person's re-baselining decision (ISO 50015 / IPMVP non-routine adjustment), not an automatic one")


def _figures(row: Mapping[str, object], suffix: str) -> dict[str, object]:
    return {k.removesuffix(suffix): (None if pd.isna(v) else float(v)) for k, v in row.items()
            if k.endswith(suffix) and isinstance(v, int | float)}


def _decimal(column: str, value: object) -> float | None:
    return fit_decimal(TABLE, column, value)[0]


def history_row(candidate: Mapping[str, object], fingerprint: str, hyperparameters: Mapping[str, object], *,
                trigger: str, recorded_at: pd.Timestamp, duration_s: float | None = None,
                metadata: Mapping[str, object] | None = None) -> dict[str, object]:
    """The history row of one completed training (``candidate``: its candidates row with figures; times UTC).
    id = row_id(table, fingerprint): the same model recorded twice is one row."""
    return {
        "id": row_id(TABLE, fingerprint), "model_id": None, "model_type": "baseline",
        "machine_id": candidate["machine_id"], "model_version": None,
        "training_start": recorded_at,
        "training_end": recorded_at + pd.Timedelta(seconds=duration_s or 0),
        "training_duration_seconds": None if duration_s is None else round(duration_s),
        "training_status": "completed",
        "training_data_start": pd.Timestamp(candidate["training_start"]),
        "training_data_end": pd.Timestamp(candidate["training_end"]),
        "training_samples": int(candidate["training_samples"]),
        "hyperparameters": json.dumps(dict(hyperparameters), default=str),
        "feature_names": [str(f) for f in candidate["feature_names"]],
        "training_metrics": json.dumps(_figures(candidate, "_in")),
        "validation_metrics": json.dumps({"out_of_sample": _figures(candidate, "_oos"),
                                          "holdout": _figures(candidate, "_holdout")}),
        "initial_r_squared": _decimal("initial_r_squared", candidate.get("r2_oos")),
        "initial_rmse": _decimal("initial_rmse", candidate.get("rmse_oos")),
        "initial_mae": _decimal("initial_mae", candidate.get("mae_oos")),
        "error_message": None, "error_traceback": None, "trigger_type": trigger, "triggered_by": TRAINED_BY,
        "metadata": json.dumps({"energy_type": candidate["energy_type"], "machine_name": candidate["machine_name"],
                                "model": candidate["model"], "resolution": candidate["resolution"],
                                **(metadata or {})}, default=str),
        "model_fingerprint": fingerprint,
    }


def failed_row(series: Series, reason: str, *, trigger: str, recorded_at: pd.Timestamp) -> dict[str, object]:
    """The history row of a series the baselines step tried and could not fit (status 'failed')."""
    return {
        **dict.fromkeys(HISTORY_COLUMNS), "id": row_id(TABLE, series.machine_id, series.energy_type, "failed",
                                                       series.baseline_start, series.baseline_end, reason),
        "model_type": "baseline", "machine_id": series.machine_id, "training_start": recorded_at,
        "training_status": "failed", "training_data_start": series.baseline_start,
        "training_data_end": series.baseline_end, "hyperparameters": "{}", "feature_names": [],
        "training_metrics": "{}", "validation_metrics": "{}", "error_message": reason, "trigger_type": trigger,
        "triggered_by": TRAINED_BY,
        "metadata": json.dumps({"energy_type": series.energy_type, "machine_name": series.machine_name}),
    }


def hyperparameters(series: Series, model_name: str) -> dict[str, object]:
    """The candidate spec's parameters (scikit-learn ``get_params``), with its name and resolution."""
    candidate = next(c for c in candidates_for(series) if c.name == model_name)
    return {"model": model_name, "resolution": candidate.resolution,
            **{k: v for k, v in candidate.make().get_params().items() if not callable(v)}}


@dataclasses.dataclass
class Retraining:
    """A drifting series refitted: its history row and its energy_baselines row (inactive)."""

    history: dict[str, object]
    baseline: dict[str, object]


def retrain(series: Series, selected: Mapping[str, object], energy_sources: pd.DataFrame, data_end: pd.Timestamp,
            *, reason: str, recorded_at: pd.Timestamp, days: int = RETRAIN_DAYS) -> Retraining:
    """Refit the selected candidate spec on the normal rows of the ``days`` local days ending at the data's last
    complete local day (``data_end`` UTC), validated as the baselines step validates (blocked CV, hold-out), as an
    inactive energy_baselines row (:func:`enms.rows.baseline_rows`) and a 'drift_detected' history row."""
    last_day = data_end.tz_convert(series.timezone).date()
    end = local_date_start(last_day, series.timezone)
    start = local_date_start(last_day - pd.Timedelta(days=days), series.timezone)
    window = dataclasses.replace(series, baseline_start=start, baseline_end=end)
    candidate = next(c for c in candidates_for(series) if c.name == selected["model"])
    started = time.perf_counter()
    record, model, _, _ = evaluate_candidate(window, candidate)
    duration = time.perf_counter() - started
    why = _RETRAINED.format(days=days)
    record |= {"selected": True, "is_active": False, "activation_reason": why}
    rows = baseline_rows(pd.DataFrame([record]), {(series.machine_id, series.energy_type, candidate.name): model},
                         energy_sources)
    baseline = rows.iloc[0].to_dict()
    meta = json.loads(baseline["metadata"]) | {"retraining": {"trigger": "drift_detected", "reason": reason,
                                                              "note": why}}
    baseline["metadata"] = json.dumps(meta, default=str)
    history = history_row(record, baseline["fingerprint"], hyperparameters(series, candidate.name),
                          trigger="drift_detected", recorded_at=recorded_at, duration_s=duration,
                          metadata={"reason": reason, "retrained_from": selected.get("fingerprint")})
    return Retraining(history, baseline)
