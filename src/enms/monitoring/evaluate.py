"""The active baselines on recent data: the evaluation window, the model's predictions there, its metrics and
its drift verdict (:mod:`enms.monitoring.drift`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms import metrics as mx
from enms.baselines import Baseline, Series, candidates_for
from enms.localtime import local_date_start
from enms.monitoring.drift import DRIFT_COLUMNS, DRIFT_MARGIN, DriftVerdict, drift_verdict


def evaluation_window(series: Series, data_end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) UTC of the latest complete local month of the reporting period (the series' zone), else the
    reporting period's complete local days (baseline end to the last local midnight at or before ``data_end``)."""
    last_day = data_end.tz_convert(series.timezone).date()  # the local date whose midnight ends the data
    month_end = last_day.replace(day=1)
    month_start = (month_end - pd.Timedelta(days=1)).replace(day=1)
    start, end = (local_date_start(d, series.timezone) for d in (month_start, month_end))
    if start >= series.baseline_end:
        return start, end
    return series.baseline_end, local_date_start(last_day, series.timezone)


def _rows(series: Series, resolution: str, start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.DataFrame, str]:
    """The normal rows with energy of [start, end) at ``resolution`` and their time column."""
    frame, time_col = (series.hourly, "bucket") if resolution == "hourly" else (series.daily, "day_start")
    t = frame[time_col]
    keep = (t >= start) & (t < end) & frame["is_normal"] & frame["energy_kwh"].notna()
    return frame.loc[keep], time_col


def refit(series: Series, model_name: str, start: pd.Timestamp, end: pd.Timestamp) -> Baseline:
    """The candidate spec ``model_name`` of ``series`` (:func:`enms.baselines.candidates_for`) fitted on the
    normal rows of [start, end) UTC at its resolution, as the baselines step fits it on its baseline period."""
    candidate = next(c for c in candidates_for(series) if c.name == model_name)
    rows, _ = _rows(series, candidate.resolution, start, end)
    return candidate.make().fit(rows, rows["energy_kwh"])


@dataclass
class BaselineCheck:
    """One active baseline on its evaluation window: its drift row (:data:`DRIFT_COLUMNS`), metrics at its
    resolution (enms.metrics.regression_metrics plus mape, in %) and its stored fingerprint."""

    drift: dict[str, object]
    metrics: dict[str, float]
    fingerprint: str
    resolution: str
    expected_rows: int
    verdict: DriftVerdict


def check_baseline(series: Series, selected: Mapping[str, object], fingerprint: str, data_end: pd.Timestamp,
                   margin: float = DRIFT_MARGIN) -> BaselineCheck:
    """Refit the selected candidate (``selected``: its candidates row) on the baseline period, predict the
    evaluation window and judge it (see :mod:`enms.monitoring.drift`)."""
    start, end = evaluation_window(series, data_end)
    resolution = str(selected["resolution"])
    model = refit(series, str(selected["model"]), series.baseline_start, series.baseline_end)
    rows, time_col = _rows(series, resolution, start, end)
    actual = rows["energy_kwh"].to_numpy(float)
    expected = model.predict(rows).to_numpy(float) if len(rows) else np.zeros(0)
    validation = float(selected["cv_rmse_oos"])
    verdict = drift_verdict(actual, expected, rows["date"].to_numpy(), validation, margin)
    figures = mx.regression_metrics(actual, expected, int(selected.get("n_params", 0) or 0))
    nonzero = actual != 0
    figures["mape"] = float(np.mean(np.abs((actual[nonzero] - expected[nonzero]) / actual[nonzero])) * 100) \
        if nonzero.any() else float("nan")
    frame = series.hourly if resolution == "hourly" else series.daily
    t = frame[time_col]
    drift = {"machine_id": series.machine_id, "machine_name": series.machine_name,
             "energy_type": series.energy_type, "model": str(selected["model"]), "validation_cv_rmse": validation,
             "recent_cv_rmse": verdict.recent_cv_rmse, "drift_score": verdict.drift_score, "threshold": margin,
             "drifting": verdict.drifting, "evaluation_start": start, "evaluation_end": end,
             "reason": verdict.reason}
    return BaselineCheck(drift, figures, fingerprint, resolution, int(((t >= start) & (t < end)).sum()), verdict)


def drift_frame(checks: list[BaselineCheck]) -> pd.DataFrame:
    """The ``drift`` product (:data:`DRIFT_COLUMNS`)."""
    frame = pd.DataFrame([c.drift for c in checks], columns=DRIFT_COLUMNS)
    for column in ("evaluation_start", "evaluation_end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype({"drifting": bool})
