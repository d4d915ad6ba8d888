"""``model_performance_metrics`` rows (baselines, forecasts, detectors) and ``model_alerts`` rows for drift."""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.anomalies.evaluation import match_events
from enms.iso50001.keys import row_id
from enms.monitoring.drift import CRITICAL_MARGIN
from enms.monitoring.evaluate import BaselineCheck
from enms.rows import FORECAST_MODEL_VERSION, TRAINED_BY, fit_decimal

TABLE = "model_performance_metrics"
METRICS_COLUMNS = ["id", "model_id", "model_type", "machine_id", "model_version", "evaluation_date",
                   "evaluation_start", "evaluation_end", "sample_count", "metrics", "r_squared", "rmse", "mae", "mape",
                   "precision_score", "recall_score", "f1_score", "true_positives", "false_positives",
                   "true_negatives", "false_negatives", "drift_detected", "drift_score", "drift_threshold",
                   "data_completeness", "outlier_percentage", "evaluation_notes", "created_by", "metadata",
                   "model_fingerprint"]
"""model_performance_metrics' columns (created_at left to the database) plus model_fingerprint: for a baseline
model_id and model_version are None and the writer resolves them from the stored energy_baselines row."""
ALERT_COLUMNS = ["id", "alert_type", "severity", "model_id", "model_type", "machine_id", "model_version",
                 "alert_timestamp", "alert_message", "alert_details", "current_metric_value", "threshold_value",
                 "baseline_metric_value", "is_resolved", "auto_action_taken", "auto_action_type",
                 "auto_action_result", "metadata", "model_fingerprint"]
DETECTOR_VERSION = 1


def _d(column: str, value: object, table: str = TABLE) -> float | None:
    """``value`` as the DECIMAL column stores it, None where it does not fit (see enms.rows.fit_decimal)."""
    return fit_decimal(table, column, value)[0]


def _json(values: Mapping[str, object]) -> str:
    return json.dumps({k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in values.items()},
                      default=str)


def _row(**values: object) -> dict[str, object]:
    return {**dict.fromkeys(METRICS_COLUMNS), "created_by": TRAINED_BY, "drift_detected": False, "metadata": "{}",
            **values}


def baseline_metrics_row(check: BaselineCheck) -> dict[str, object]:
    """The metrics of one active baseline on its evaluation window (latest complete local month): CV(RMSE), NMBE,
    R², RMSE, MAE (kWh per row), MAPE (%) at its resolution, with its drift verdict. evaluation_date = the
    window's end, so a rerun on the same data gives the same row."""
    d, m = check.drift, check.metrics
    start, end = d["evaluation_start"], d["evaluation_end"]
    return _row(
        id=row_id(TABLE, check.fingerprint, start, end), model_type="baseline", machine_id=d["machine_id"],
        evaluation_date=end, evaluation_start=start, evaluation_end=end, sample_count=int(m["n"]),
        metrics=_json({"energy_type": d["energy_type"], "model": d["model"], "resolution": check.resolution,
                       **{k: m[k] for k in ("cv_rmse", "nmbe", "r2", "rmse", "mae", "mape", "y_mean")},
                       "validation_cv_rmse": d["validation_cv_rmse"], "recent_robust_cv": d["recent_cv_rmse"]}),
        r_squared=_d("r_squared", m["r2"]), rmse=_d("rmse", m["rmse"]), mae=_d("mae", m["mae"]),
        mape=_d("mape", m["mape"]), drift_detected=bool(d["drifting"]), drift_score=_d("drift_score", d["drift_score"]),
        drift_threshold=_d("drift_threshold", d["threshold"]),
        data_completeness=_d("data_completeness", m["n"] / check.expected_rows if check.expected_rows else None),
        evaluation_notes=d["reason"], metadata=_json({"machine_name": d["machine_name"]}),
        model_fingerprint=check.fingerprint)


def forecast_metrics_rows(metrics: pd.DataFrame, backtest: pd.DataFrame) -> list[dict[str, object]]:
    """Per series' chosen forecaster and horizon kind (day/week ahead): MASE, coverage of its interval, NRMSE
    (in ``metrics``), RMSE, MAE, R², MAPE on the last backtest; the window = its origins to its last bucket + 1 h."""
    rows = []
    chosen = backtest[backtest["chosen"]]
    spans = chosen.groupby(["machine_id", "energy_type"]).agg(start=("origin", "min"), end=("bucket", "max"))
    for r in metrics[metrics["chosen"]].itertuples():
        if (r.machine_id, r.energy_type) not in spans.index:
            continue
        span = spans.loc[(r.machine_id, r.energy_type)]
        start, end = span["start"], span["end"] + pd.Timedelta(hours=1)
        model_id = row_id("forecast_model", r.machine_id, r.energy_type, r.model_name)
        rows.append(_row(
            id=row_id(TABLE, model_id, r.kind, start, end), model_id=model_id,
            model_type=f"forecast_{r.model_name}"[:50], machine_id=r.machine_id, model_version=FORECAST_MODEL_VERSION,
            evaluation_date=end, evaluation_start=start, evaluation_end=end, sample_count=int(r.n),
            metrics=_json({"energy_type": r.energy_type, "kind": r.kind, "mase": r.mase, "coverage": r.coverage,
                           "nrmse": r.nrmse, "bias_pct": r.bias_pct, "origins": int(r.origins)}),
            r_squared=_d("r_squared", r.r2), rmse=_d("rmse", r.rmse), mae=_d("mae", r.mae), mape=_d("mape", r.mape),
            evaluation_notes=f"{r.kind} backtest over {int(r.origins)} origins: MASE {r.mase:.3f}, "
                             f"coverage {r.coverage:.1%}, NRMSE {r.nrmse:.3f}"))
    return rows


def detector_metrics_rows(events: Mapping[str, pd.DataFrame], truth: pd.DataFrame, start: pd.Timestamp,
                          end: pd.Timestamp) -> list[dict[str, object]]:
    """Per detector method and machine/energy type with injected-fault truth: event-level TP (faults found), FN
    (faults missed), FP (detections overlapping no fault), precision, recall, F1 over the window [start, end)
    (enms.anomalies.evaluation.match_events)."""
    rows = []
    if truth.empty:
        return rows
    for method, detections in sorted(events.items()):
        for (machine_id, energy_type), faults in truth.groupby(["machine_id", "energy_type"]):
            mine = detections[(detections["machine_id"] == machine_id) & (detections["energy_type"] == energy_type)]
            found, flagged = match_events(mine, faults)
            tp, fn = int(found["detected"].sum()), int((~found["detected"]).sum())
            fp = int((~flagged["true_positive"]).sum()) if len(flagged) else 0
            precision = (len(flagged) - fp) / len(flagged) if len(flagged) else float("nan")
            recall = tp / (tp + fn)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else float("nan")
            model_id = row_id("detector", machine_id, energy_type, method)
            rows.append(_row(
                id=row_id(TABLE, model_id, start, end), model_id=model_id, model_type="anomaly",
                machine_id=machine_id, model_version=DETECTOR_VERSION, evaluation_date=end, evaluation_start=start,
                evaluation_end=end, sample_count=len(faults) + len(flagged),
                metrics=_json({"energy_type": energy_type, "method": method, "precision": precision,
                               "recall": recall, "f1": f1, "n_faults": len(faults), "n_detections": len(flagged)}),
                precision_score=_d("precision_score", precision), recall_score=_d("recall_score", recall),
                f1_score=_d("f1_score", f1), true_positives=tp, false_positives=fp, false_negatives=fn,
                evaluation_notes=f"{method}: {tp} of {tp + fn} injected faults found, {fp} false alarms"))
    return rows


def drift_alert_row(check: BaselineCheck, retrained: Mapping[str, object]) -> dict[str, object]:
    """The 'drift_detected' alert of a drifting baseline: critical when the score exceeds CRITICAL_MARGIN (the
    robust error quadrupled), else warning; its retraining (``retrained``: the energy_baselines row) as the
    automatic action's result."""
    d = check.drift
    severity = "critical" if d["drift_score"] > CRITICAL_MARGIN else "warning"
    meta = json.loads(retrained["metadata"])
    return {
        "id": row_id("model_alerts", check.fingerprint, "drift_detected"), "alert_type": "drift_detected",
        "severity": severity, "model_id": None, "model_type": "baseline", "machine_id": d["machine_id"],
        "model_version": None, "alert_timestamp": d["evaluation_end"],
        "alert_message": (f"{d['machine_name']} ({d['energy_type']}): baseline {d['model']} drifting: recent error "
                          f"{d['recent_cv_rmse']:.1%} vs validation CV(RMSE) {d['validation_cv_rmse']:.1%} "
                          f"({d['drift_score']:.2f}x, margin {d['threshold']:g}x); retrained, not activated"),
        "alert_details": _json({k: d[k] for k in ("model", "recent_cv_rmse", "validation_cv_rmse", "drift_score",
                                                  "threshold", "reason")}
                               | {"evaluation_start": str(d["evaluation_start"]),
                                  "evaluation_end": str(d["evaluation_end"])}),
        "current_metric_value": _d("current_metric_value", d["recent_cv_rmse"], "model_alerts"),
        "threshold_value": _d("threshold_value", d["threshold"] * d["validation_cv_rmse"], "model_alerts"),
        "baseline_metric_value": _d("baseline_metric_value", d["validation_cv_rmse"], "model_alerts"),
        "is_resolved": False, "auto_action_taken": True, "auto_action_type": "auto_retrain",
        "auto_action_result": _json({"retrained_fingerprint": retrained["fingerprint"], "is_active": False,
                                     "training_start": str(retrained["training_start_date"]),
                                     "training_end": str(retrained["training_end_date"]),
                                     "out_of_sample": meta.get("out_of_sample"), "in_sample": meta.get("in_sample")}),
        "metadata": _json({"energy_type": d["energy_type"], "machine_name": d["machine_name"]}),
        "model_fingerprint": check.fingerprint,
    }
