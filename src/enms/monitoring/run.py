"""The monitoring part of the ``performance`` step: every active model's metrics, the baselines' drift, training
history, retraining and alerts, and the data-quality log, as frames shaped like the EnMS's tables."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from enms.baselines import prepare_series
from enms.monitoring.data_quality import data_quality_log
from enms.monitoring.evaluate import BaselineCheck, check_baseline, drift_frame
from enms.monitoring.metrics import (
    ALERT_COLUMNS,
    METRICS_COLUMNS,
    baseline_metrics_row,
    detector_metrics_rows,
    drift_alert_row,
    forecast_metrics_rows,
)
from enms.monitoring.training import HISTORY_COLUMNS, failed_row, history_row, hyperparameters, retrain
from enms.settings import TRAINING_TRIGGERS

_UTC = "datetime64[us, UTC]"
_TIMES = {"model_performance_metrics": ("evaluation_date", "evaluation_start", "evaluation_end"),
          "model_training_history": ("training_start", "training_end", "training_data_start", "training_data_end"),
          "model_alerts": ("alert_timestamp",)}


_INTEGERS = ("model_version", "sample_count", "true_positives", "false_positives", "true_negatives",
             "false_negatives", "training_duration_seconds", "training_samples")


def _frame(rows: list[dict[str, object]], columns: list[str], table: str) -> pd.DataFrame:
    """The rows as a frame typed for the writer: UTC timestamps, nullable integers."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in (c for c in _INTEGERS if c in columns):
        frame[column] = frame[column].astype("Int64")
    for column in _TIMES[table]:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype(_UTC)
    return frame


def run(extract: Mapping[str, pd.DataFrame], quality: Mapping[str, pd.DataFrame],
        baselines: Mapping[str, pd.DataFrame], anomalies: Mapping[str, pd.DataFrame],
        forecasts: Mapping[str, pd.DataFrame], *, trigger: str = "scheduled",
        now: pd.Timestamp | None = None) -> dict[str, pd.DataFrame]:
    """Frames ``model_performance_metrics``, ``model_training_history``, ``model_alerts``, ``data_quality_log``,
    ``drift`` (one verdict per series with an active baseline, see :mod:`enms.monitoring.drift`) and
    ``retrained_baselines`` (energy_baselines rows of the drifting series refitted, inactive).

    Arguments: the products each step saved (:func:`enms.io.products.load_frames`). ``trigger`` ('scheduled' or
    'manual') is what started this run, recorded with the baselines it trained; a drifting series' retraining is
    'drift_detected'. ``now`` (UTC, default the current time) stamps when the trainings are recorded; everything
    else is a function of the data, so a rerun on the same products gives the same ids.
    """
    if trigger not in TRAINING_TRIGGERS:
        raise ValueError(f"trigger must be one of {', '.join(TRAINING_TRIGGERS)}, got {trigger!r}")
    recorded_at = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    data_end = pd.Timestamp(extract["window"].iloc[0]["end"]).tz_convert("UTC")
    series = {(s.machine_id, s.energy_type): s for s in prepare_series(extract, quality)}
    candidates = baselines["candidates"]
    stored = baselines["energy_baselines_rows"]
    fingerprints = {(r.machine_id, json.loads(r.metadata)["energy_type"]): r.fingerprint for r in stored.itertuples()}

    checks: list[BaselineCheck] = []
    history: list[dict[str, object]] = []
    alerts: list[dict[str, object]] = []
    retrained: list[dict[str, object]] = []
    for status in baselines["status"].itertuples():
        s = series[(status.machine_id, status.energy_type)]
        if status.status == "failed":
            history.append(failed_row(s, status.reason, trigger=trigger, recorded_at=recorded_at))
            continue
        if status.status != "fitted":
            continue
        mine = candidates[(candidates["machine_id"] == s.machine_id) & (candidates["energy_type"] == s.energy_type)]
        selected = mine[mine["selected"].astype(bool)]
        if selected.empty:
            continue
        row = selected.iloc[0].to_dict()
        fingerprint = fingerprints[(s.machine_id, s.energy_type)]
        history.append(history_row(row, fingerprint, hyperparameters(s, row["model"]), trigger=trigger,
                                   recorded_at=recorded_at))
        if not bool(row["is_active"]):
            continue  # monitoring watches the models the EnMS uses
        check = check_baseline(s, row, fingerprint, data_end)
        checks.append(check)
        if check.verdict.drifting:
            redo = retrain(s, row | {"fingerprint": fingerprint}, extract["energy_sources"], data_end,
                           reason=check.verdict.reason, recorded_at=recorded_at)
            history.append(redo.history)
            retrained.append(redo.baseline)
            alerts.append(drift_alert_row(check, redo.baseline))

    window = extract["window"].iloc[0]
    events = {name.removeprefix("events_"): frame for name, frame in anomalies.items()
              if name.startswith("events_") and name != "events_combined"}
    truth = extract.get("fault_truth", pd.DataFrame())
    metrics = ([baseline_metrics_row(c) for c in checks]
               + forecast_metrics_rows(forecasts["metrics"], forecasts["backtest"])
               + detector_metrics_rows(events, truth, pd.Timestamp(window["start"]), pd.Timestamp(window["end"])))
    return {
        "model_performance_metrics": _frame(metrics, METRICS_COLUMNS, "model_performance_metrics"),
        "model_training_history": _frame(history, HISTORY_COLUMNS, "model_training_history"),
        "model_alerts": _frame(alerts, ALERT_COLUMNS, "model_alerts"),
        "data_quality_log": data_quality_log(dict(extract), dict(quality)),
        "drift": drift_frame(checks),
        "retrained_baselines": pd.DataFrame(retrained, columns=list(stored.columns)),
    }
