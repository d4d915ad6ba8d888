"""Rolling-origin backtest, forecast metrics and model selection.

A forecast of 168 h from every local midnight (factory time zone) of the last ``backtest_days`` (28) +
``calibration_days`` (28) days, each using only data before its origin: day-ahead = its first 24 h, scored on the
last 28 origins whose 24 h lie in the data; week-ahead = the full 168 h, scored on the last 4 origins 7 days apart
whose 168 h lie in the data. The backtest starts ``calibration_days`` before its first scored origin so that every
scored forecast has a full interval record. Re-estimation cadence (``refit_days``, :data:`REFIT_DAYS`): seasonal
naive none (it has no parameter); STL + SES every 7 days and gradient boosting every 28 days (every 7 or 14 days
gave the same accuracy for up to twice the CPU); between refits their inputs still move daily (the decomposition,
the level and the lags are recomputed at every origin from the data before it); SARIMAX fitted once before the
first origin and updated daily with ``extend``. The forecasts from the end of the data continue the same walk: one
more origin at ``end`` (not a local midnight), where the models with a refit cadence are refitted on all the
data, and whose interval uses the backtest's residuals.

Metrics (:func:`forecast_metrics`), per series, model and kind (day-ahead / week-ahead): MASE = MAE / scale, the
scale being the in-sample MAE of the 168-h seasonal naive forecast on the training data before the first day-ahead
backtest origin (every hour from the start of the data where y(t) and y(t - 168 h) exist), frozen per series;
NRMSE = RMSE / mean actual; bias = mean(ŷ - y) in kWh and Σ(ŷ - y) / Σy in % (positive: over-forecast); coverage =
share of actuals inside [lower, upper]; MAPE over the hours with an actual > 0; out-of-sample R². The model of
each series is the one with the lowest day-ahead score (:func:`select_models`): the mean of its MASE over the best
MASE and its NRMSE over the best NRMSE of the series, so a model that is slightly worse on absolute errors but
much better on the large ones (the peaks, closure days) is not thrown away. Chosen on the backtest only, never on
the forecast from the end of the data (the selection is on the same backtest that is reported: a small optimistic
bias).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from enms.boosting import thread_cap
from enms.forecasts.base import DAY_AHEAD, WEEK_AHEAD, HourlyForecaster
from enms.forecasts.gbm import GradientBoostingForecaster
from enms.forecasts.grid import NS_PER_HOUR, at, ns, to_grid
from enms.forecasts.statistical import (
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    STLETSForecaster,
    seasonal_naive_scale,
)
from enms.frames import require_columns
from enms.localtime import HOUR, local_midnights, utc_instant, utc_series

WARMUP_DAYS = 14
"""Days of data before the first origin of a backtest (two weekly cycles for the lags and the decompositions)."""
FORECAST_COLUMNS = ["origin", "bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh", "model_name"]
"""The columns of a model's forecasts (:func:`rolling_origin`)."""

#: Default re-estimation cadence in days (None: fitted once at the first origin, updated afterwards).
REFIT_DAYS: dict[str, int | None] = {"snaive24": None, "snaive168": None, "stl_ets": 7, "sarimax": None, "gbm": 28}


def default_models(**interval_kwargs: object) -> dict[str, Callable[[], HourlyForecaster]]:
    """Factories of the five models by name (fresh, unfitted instances)."""
    kw = dict(interval_kwargs)
    return {
        "snaive24": lambda: SeasonalNaiveForecaster(24, **kw),
        "snaive168": lambda: SeasonalNaiveForecaster(168, **kw),
        "stl_ets": lambda: STLETSForecaster(**kw),
        "sarimax": lambda: SARIMAXForecaster(**kw),
        "gbm": lambda: GradientBoostingForecaster(**kw),
    }


def rolling_origin(
    frame: pd.DataFrame,
    model: HourlyForecaster,
    origins: Sequence[object],
    *,
    end: object | None = None,
    horizon: int = WEEK_AHEAD,
    refit_days: int | None = None,
    final_horizon: int | None = None,
    n_threads: int | None = 1,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Forecasts of one series from each origin (ascending), each from the data before it only.

    ``frame``: the series grid (bucket, energy_kwh, :data:`EXOG_COLUMNS`), possibly extended past ``end`` with
    future exogenous rows (their energy is ignored). The model is fitted at the first origin on the data before
    it, re-fitted every ``refit_days`` days (None: never) and at an origin at or after ``end`` (the forecast that
    is published gets the freshest parameters), otherwise updated. A forecast from an origin before
    ``end`` stops at ``end`` (nothing to score beyond it); an origin at or after ``end`` (the forecast from the
    end of the data) runs ``final_horizon`` (default ``horizon``) hours on the future exogenous rows.

    Returns the forecasts (origin, bucket, step, predicted_kwh, lower_kwh, upper_kwh, model_name) and an info
    dict (training_samples, fits, failures, summary of the last fit). ``n_threads`` caps the BLAS / OpenMP
    threads during the walk (1: small statsmodels problems run ten times slower with threads fighting over
    two cores; None leaves the libraries' defaults).
    """
    require_columns(frame, ("bucket", "energy_kwh"), "frame")
    f = frame.sort_values("bucket", kind="stable").reset_index(drop=True)
    b = utc_series(f["bucket"], "frame.bucket", unit="ns")
    end = utc_instant(end, "end") if end is not None else b.max() + HOUR
    f = f.assign(bucket=b, energy_kwh=np.where(b < end, f["energy_kwh"].to_numpy(dtype=float), np.nan))
    with thread_cap(n_threads):
        return _walk(f, model, origins, end, horizon, refit_days, final_horizon)


def _walk(f: pd.DataFrame, model: HourlyForecaster, origins: Sequence[object],
          end: pd.Timestamp, horizon: int, refit_days: int | None,
          final_horizon: int | None) -> tuple[pd.DataFrame, dict[str, object]]:
    full = to_grid(f)
    out, failures, fits = [], [], 0
    fitted_at: pd.Timestamp | None = None
    ok = True
    for origin in sorted(utc_instant(o, "origin") for o in origins):
        hz = (final_horizon or horizon) if origin >= end else min(horizon, int((end - origin) / HOUR))
        if hz < 1:
            continue
        history = full.upto(ns(origin))
        try:
            due = fitted_at is None or (
                refit_days is not None
                and ((origin - fitted_at) >= pd.Timedelta(days=refit_days) - HOUR or origin >= end)
            )
            if due:
                model._fit_grid(history)
                fitted_at, fits, ok = origin, fits + 1, True
            elif ok:
                model._update_grid(history)
        except Exception as exc:  # noqa: BLE001 - a failing model is reported, never fatal for the others
            failures.append(f"{origin.isoformat()}: fit/update failed: {type(exc).__name__}: {exc}")
            ok = False
            fitted_at = fitted_at or origin
        if not ok:
            continue
        idx = (ns(origin) - full.t0) // NS_PER_HOUR + np.arange(hz)
        try:
            future = model._check_future({c: at(v, idx) for c, v in full.exog.items()})
            pred = model._predict_arrays(origin, hz, future)
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{origin.isoformat()}: predict failed: {type(exc).__name__}: {exc}")
            continue
        out.append(pred)
    result = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=FORECAST_COLUMNS[:-1])
    result["model_name"] = model.name
    info: dict[str, object] = {"fits": fits, "failures": failures}
    if hasattr(model, "grid_") and ok:
        info["training_samples"] = int(model.training_samples_)
        try:
            info["summary"] = model.summary()
        except Exception as exc:  # noqa: BLE001
            info["summary"] = {"error": f"{type(exc).__name__}: {exc}"}
    return result, info


def _series_origins(start: pd.Timestamp, end: pd.Timestamp, timezone: str, backtest_days: int,
                    calibration_days: int, week_origins: int) -> dict[str, list[pd.Timestamp]]:
    mids = local_midnights(start + pd.Timedelta(days=WARMUP_DAYS), end, timezone)
    daily = [o for o in mids if o + DAY_AHEAD * HOUR <= end]
    weekly_ok = [o for o in mids if o + WEEK_AHEAD * HOUR <= end]
    day = daily[-backtest_days:] if backtest_days > 0 else []
    before = daily[: len(daily) - len(day)]
    calib = before[-calibration_days:] if calibration_days > 0 else []
    week = [weekly_ok[-1 - 7 * k] for k in range(week_origins) if 7 * k < len(weekly_ok)][::-1]
    return {"calibration": list(calib), "day": list(day), "week": week}


def history_shortfall(start: object, end: object, timezone: str, *, backtest_days: int = 28,
                      calibration_days: int = 28) -> str:
    """'' when a series whose data run from ``start`` to ``end`` (UTC) has every origin the backtest needs
    (``calibration_days`` calibration and ``backtest_days`` scored day-ahead origins after the
    :data:`WARMUP_DAYS` warm-up, local midnights of ``timezone``); else 'N days of history < M needed (…)'."""
    start, end = utc_instant(start, "start"), utc_instant(end, "end")
    origins = _series_origins(start, end, timezone, backtest_days, calibration_days, 0)
    if len(origins["day"]) >= backtest_days and len(origins["calibration"]) >= calibration_days:
        return ""
    # one more day than the origins span: the last day-ahead forecast needs its 24 h, and the first local
    # midnight after the warm-up may lie up to a day after it
    needed = WARMUP_DAYS + calibration_days + backtest_days + 1
    return (f"{(end - start) / pd.Timedelta(days=1):.1f} days of history < {needed} needed ({WARMUP_DAYS} days of "
            f"warm-up, {calibration_days} of calibration and {backtest_days} of backtest)")


def backtest_series(
    frame: pd.DataFrame,
    timezone: str,
    models: Mapping[str, Callable[[], HourlyForecaster]] | None = None,
    *,
    end: object | None = None,
    future: pd.DataFrame | None = None,
    backtest_days: int = 28,
    calibration_days: int = 28,
    week_origins: int = 4,
    refit_days: Mapping[str, int | None] | None = None,
    final: bool = True,
) -> dict[str, object]:
    """Rolling-origin backtest of every model on one series, then (``final``) the forecast from ``end``.

    ``frame``: the series grid up to ``end`` (:func:`forecast_inputs` rows of one series); ``future``: the
    exogenous rows from ``end`` on (needed for the final forecast of the models with exogenous inputs).
    Origins: local midnights (``timezone``); ``calibration_days`` origins that only feed the interval record,
    then the ``backtest_days`` scored day-ahead origins (the last ones whose 24 h lie before ``end``); the
    ``week_origins`` scored week-ahead origins are the last local midnights 7 days apart whose 168 h lie before
    ``end``. Returns {"forecasts": frame (with actual_kwh and the flags in_day / in_week / is_final),
    "scale": the frozen MASE scale, "info": per model, "origins": the origin lists}.
    """
    models = dict(models or default_models())
    cadence = {**REFIT_DAYS, **(refit_days or {})}
    b = utc_series(frame["bucket"], "frame.bucket", unit="ns")
    end = utc_instant(end, "end") if end is not None else b.max() + HOUR
    origins = _series_origins(b.min(), end, timezone, backtest_days, calibration_days, week_origins)
    run_origins = sorted(set(origins["calibration"]) | set(origins["day"]) | set(origins["week"]))
    if final:
        run_origins.append(end)
    grid = frame.assign(bucket=b)
    if future is not None and len(future):
        fut = future.assign(bucket=utc_series(future["bucket"], "future.bucket", unit="ns"), energy_kwh=np.nan)
        fut = fut[fut["bucket"] >= end]
        grid = pd.concat([grid[grid["bucket"] < end], fut[[c for c in grid.columns if c in fut.columns]]],
                         ignore_index=True)
    parts, info = [], {}
    for name, factory in models.items():
        model = factory()
        pred, meta = rolling_origin(grid, model, run_origins, end=end, horizon=WEEK_AHEAD,
                                    refit_days=cadence.get(name), final_horizon=WEEK_AHEAD)
        pred["model_name"] = name
        meta["seconds"] = None
        parts.append(pred)
        info[name] = meta
    fc = pd.concat(parts, ignore_index=True)
    actual = frame.assign(bucket=b).set_index("bucket")["energy_kwh"]
    actual = actual[actual.index < end]
    fc["actual_kwh"] = actual.reindex(fc["bucket"]).to_numpy()
    day, week = set(origins["day"]), set(origins["week"])
    fc["in_day"] = fc["origin"].isin(day) & (fc["step"] <= DAY_AHEAD)
    fc["in_week"] = fc["origin"].isin(week) & (fc["step"] <= WEEK_AHEAD)
    fc["is_final"] = fc["origin"] >= end
    first = min(origins["day"]) if origins["day"] else end
    scale = seasonal_naive_scale(actual[actual.index < first].reindex(
        pd.date_range(b.min(), first, freq="h", inclusive="left")).to_numpy(), WEEK_AHEAD)
    return {"forecasts": fc, "scale": scale, "info": info, "origins": origins,
            "scale_window": (b.min(), first)}


def forecast_metrics(actual: object, predicted: object, lower: object = None, upper: object = None, *,
                     scale: float = math.nan) -> dict[str, float]:
    """Accuracy of forecasts against actuals (pairs with a NaN dropped).

    n, mae, mase (MAE / ``scale``), rmse, nrmse (RMSE / mean actual), bias_kwh (mean of ŷ - y), bias_pct
    (Σ(ŷ - y) / Σy · 100), coverage (share of actuals inside [lower, upper], over the pairs with bounds),
    mape (mean |ŷ - y| / y · 100 over actuals > 0), r2 (1 - SSE / SST, out of sample).
    """
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    out = {"n": int(ok.sum())}
    if not ok.any():
        return {**out, **dict.fromkeys(("mae", "mase", "rmse", "nrmse", "bias_kwh", "bias_pct", "coverage", "mape",
                                        "r2"), math.nan)}
    e = p[ok] - a[ok]
    mean = float(a[ok].mean())
    out["mae"] = float(np.abs(e).mean())
    out["mase"] = out["mae"] / scale if np.isfinite(scale) and scale > 0 else math.nan
    out["rmse"] = float(np.sqrt(np.mean(e**2)))
    out["nrmse"] = out["rmse"] / mean if mean else math.nan
    out["bias_kwh"] = float(e.mean())
    out["bias_pct"] = float(e.sum() / a[ok].sum() * 100) if a[ok].sum() else math.nan
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=float)[ok], np.asarray(upper, dtype=float)[ok]
        has = np.isfinite(lo) & np.isfinite(hi)
        aa = a[ok][has]
        out["coverage"] = float(np.mean((aa >= lo[has]) & (aa <= hi[has]))) if has.any() else math.nan
    else:
        out["coverage"] = math.nan
    pos = a[ok] > 0
    out["mape"] = float(np.mean(np.abs(e[pos]) / a[ok][pos]) * 100) if pos.any() else math.nan
    sst = float(np.sum((a[ok] - mean) ** 2))
    out["r2"] = 1.0 - float(np.sum(e**2)) / sst if sst > 0 else math.nan
    return out


METRICS_COLUMNS = ["machine_id", "energy_type", "model_name", "kind", "origins", "n", "mae", "mase", "rmse", "nrmse",
                   "bias_kwh", "bias_pct", "coverage", "mape", "r2", "scale_kwh"]
"""The columns of :func:`metrics_table`."""


def metrics_table(fc: pd.DataFrame, scales: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    """:func:`forecast_metrics` per series, model and kind (day_ahead: rows flagged in_day; week_ahead: in_week)
    of backtest forecasts, with the series' MASE ``scales`` (kWh)."""
    rows = []
    for kind, flag in (("day_ahead", "in_day"), ("week_ahead", "in_week")):
        sub = fc[fc[flag]]
        for (mid, etype, name), g in sub.groupby(["machine_id", "energy_type", "model_name"], sort=True):
            m = forecast_metrics(g["actual_kwh"], g["predicted_kwh"], g["lower_kwh"], g["upper_kwh"],
                                 scale=scales[(mid, etype)])
            rows.append({"machine_id": mid, "energy_type": etype, "model_name": name, "kind": kind,
                         "origins": int(g["origin"].nunique()), **m, "scale_kwh": scales[(mid, etype)]})
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)


def selection_score(mase: pd.Series, nrmse: pd.Series) -> pd.Series:
    """Score of the models of one series (lower is better): mean of MASE / best MASE and NRMSE / best NRMSE
    (1 for a model best on both); a model without an NRMSE is scored on its MASE ratio alone."""
    mase_ratio = mase / mase.min()
    best = nrmse.min()
    nrmse_ratio = nrmse / best if np.isfinite(best) and best > 0 else pd.Series(np.nan, index=nrmse.index)
    return pd.concat([mase_ratio, nrmse_ratio], axis=1).mean(axis=1)


def select_models(metrics: pd.DataFrame, *, min_share: float = 0.95) -> pd.DataFrame:
    """Per series the model with the lowest day-ahead :func:`selection_score` (MASE and NRMSE against the best of
    the series) among those that forecast at least ``min_share`` of the scored hours of the best-covered model;
    ties go to the lower MASE, then the name. Columns: machine_id, energy_type, model_name, score."""
    day = metrics[(metrics["kind"] == "day_ahead") & metrics["mase"].notna()]
    rows = []
    for (mid, etype), g in day.groupby(["machine_id", "energy_type"], sort=True):
        g = g[g["n"] >= min_share * g["n"].max()]
        g = g.assign(score=selection_score(g["mase"], g["nrmse"]))
        best = g.sort_values(["score", "mase", "model_name"], kind="stable").iloc[0]
        rows.append({"machine_id": mid, "energy_type": etype, "model_name": best["model_name"],
                     "score": float(best["score"])})
    return pd.DataFrame(rows, columns=["machine_id", "energy_type", "model_name", "score"])


