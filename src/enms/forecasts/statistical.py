"""Statistical forecasters: seasonal naive (and the MASE scale it defines), STL + exponential smoothing, SARIMAX.

* :class:`SeasonalNaiveForecaster` (season 24 h and 168 h): ŷ(T + h) = y(T + h - m·(⌊(h-1)/m⌋ + 1)), on the UTC
  hour grid (a DST change shifts it by an hour for a week), going back whole seasons over missing hours.
* :class:`STLETSForecaster`: STL decomposition (statsmodels, period 168 h) of the last 6 weeks before the origin,
  redone at every origin; the seasonally adjusted series is forecast by simple exponential smoothing (statsmodels,
  smoothing level estimated at each refit), the last weekly cycle of the seasonal part is repeated.
* :class:`SARIMAXForecaster`: regression on the schedule, degree-hours (base 18 °C, plain and times the running
  share) and Fourier terms of the local hour (daily seasonality), with AR(1) errors (statsmodels SARIMAX, order
  (1, 0, 0) and a constant: ARMA(1, 1) cost 50 % more CPU and was no more accurate). Fitted on the last 6 weeks
  before its fit origin, then **updated** at each origin with ``results.extend`` (the new hours are filtered with
  the fitted parameters; no re-estimation). When the plan does not vary over the fit window's open hours (no mode
  history: running, offline on closure days), the schedule says nothing about the week, so a weekly term takes its
  place: the mean energy per local hour of week over the fit window (centred), one regressor; without it Sundays
  were forecast like Mondays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from statsmodels.tsa.holtwinters import SimpleExpSmoothing
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX

from enms.forecasts.base import HourlyForecaster
from enms.forecasts.grid import NS_PER_HOUR, Grid, at
from enms.forecasts.inputs import fill_weekly


def _seasonal_naive(y: np.ndarray, horizon: int, season: int, max_back: int = 4) -> np.ndarray:
    """ŷ(n + h) = y(n + h - m·(h // m + 1)) (0-based h), going back whole seasons over missing values."""
    n = len(y)
    h = np.arange(horizon)
    out = np.full(horizon, np.nan)
    for k in range(max_back):
        miss = np.isnan(out)
        if not miss.any():
            break
        src = n + h[miss] - season * (h[miss] // season + 1 + k)
        out[miss] = at(y, src)
    return out


class SeasonalNaiveForecaster(HourlyForecaster):
    """Seasonal naive: the same hour one season (24 h or 168 h) before, repeated over the horizon."""

    has_parameters = False

    def __init__(self, season: int = 168, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.season = season

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"snaive{self.season}"

    def _predict(self, past: Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        return _seasonal_naive(past.y, horizon, self.season)

    def _extra_summary(self) -> dict[str, object]:
        return {"season_hours": self.season}


def seasonal_naive_scale(y: object, season: int = 168) -> float:
    """In-sample MAE of the seasonal naive forecast: mean |y(t) - y(t - season)| over the t where both exist."""
    y = np.asarray(y, dtype=float)
    if len(y) <= season:
        return math.nan
    d = np.abs(y[season:] - y[:-season])
    d = d[np.isfinite(d)]
    return float(d.mean()) if len(d) else math.nan


def mase(actual: object, predicted: object, scale: float) -> float:
    """MASE = MAE(actual, predicted) / scale (pairs with a NaN ignored)."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    if not ok.any() or not np.isfinite(scale) or scale <= 0:
        return math.nan
    return float(np.mean(np.abs(a[ok] - p[ok])) / scale)


def _fill_gaps(y: np.ndarray, season: int) -> np.ndarray:
    y = y.copy()
    if np.isnan(y).any():
        y = fill_weekly(y, max_weeks=2) if season == 168 else y
        s = pd.Series(y).interpolate(limit_direction="both")
        y = s.to_numpy()
    return y


class STLETSForecaster(HourlyForecaster):
    """STL (period 168 h) of the last ``window_weeks`` weeks before each origin + simple exponential smoothing of
    the seasonally adjusted series; the forecast is the smoothed level plus the last weekly seasonal cycle.
    The smoothing level is estimated (statsmodels ``SimpleExpSmoothing``) at each fit."""

    name = "stl_ets"

    def __init__(self, *, period: int = 168, window_weeks: int = 6, seasonal: int = 7, jump: int = 25,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.period = period
        self.window_weeks = window_weeks
        self.seasonal = seasonal
        self.jump = jump

    def _decompose(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        y = y[-self.window_weeks * self.period:]
        if np.isfinite(y).sum() < 2 * self.period:
            return None
        y = _fill_gaps(y, self.period)
        res = STL(y, period=self.period, seasonal=self.seasonal, robust=False, seasonal_jump=self.jump,
                  trend_jump=self.jump, low_pass_jump=self.jump).fit()
        return np.asarray(res.seasonal), y - np.asarray(res.seasonal)

    def _fit(self, grid: Grid) -> int:
        parts = self._decompose(grid.y)
        self.alpha_ = 0.2
        if parts is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = SimpleExpSmoothing(parts[1], initialization_method="known",
                                         initial_level=float(parts[1][0])).fit()
            alpha = float(res.params.get("smoothing_level", 0.2))
            self.alpha_ = alpha if np.isfinite(alpha) else 0.2
        return int(min(grid.n, self.window_weeks * self.period))

    def _predict(self, past: Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        parts = self._decompose(past.y)
        if parts is None:
            return _seasonal_naive(past.y, horizon, self.period)
        seasonal, adjusted = parts
        a = self.alpha_
        level, _ = lfilter([a], [1.0, -(1.0 - a)], adjusted[1:], zi=[(1.0 - a) * adjusted[0]])
        last = float(level[-1]) if len(level) else float(adjusted[0])
        m = self.period
        n = len(seasonal)
        h = np.arange(horizon)
        return last + seasonal[n - m + (h % m)]

    def _extra_summary(self) -> dict[str, object]:
        return {"period_hours": self.period, "window_weeks": self.window_weeks, "smoothing_level": self.alpha_}


def _hour_of_week(exog: Mapping[str, np.ndarray]) -> np.ndarray:
    """Local hour of week 0..167 (0 = Monday 00:00) from the exogenous local ``hour`` and ``weekday``."""
    return (np.asarray(exog["weekday"], dtype=np.int64) % 7) * 24 + np.asarray(exog["hour"], dtype=np.int64) % 24


def weekly_profile(y: np.ndarray, exog: Mapping[str, np.ndarray]) -> np.ndarray:
    """Mean of y per local hour of week minus the overall mean (168 values, kWh; 0 for an hour of week unseen)."""
    how = _hour_of_week(exog)
    ok = np.isfinite(y)
    if not ok.any():
        return np.zeros(168)
    total = np.bincount(how[ok], weights=y[ok], minlength=168)
    count = np.bincount(how[ok], minlength=168)
    mean = float(y[ok].mean())
    return np.where(count > 0, total / np.maximum(count, 1) - mean, 0.0)


def _sarimax_design(exog: Mapping[str, np.ndarray], fourier: int, base_c: float = 18.0,
                    profile: np.ndarray | None = None) -> pd.DataFrame:
    run = exog["plan_running"]
    t = exog["outdoor_temp_c"]
    hdd, cdd = np.maximum(0.0, base_c - t), np.maximum(0.0, t - base_c)
    cols = {
        "plan_running": run,
        "plan_maintenance": exog["plan_maintenance"],
        "plan_offline": exog["plan_offline"],
        "hdd": hdd,
        "cdd": cdd,
        "running_hdd": run * hdd,
        "running_cdd": run * cdd,
    }
    hour = exog["hour"]
    for k in range(1, fourier + 1):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * hour / 24)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * hour / 24)
    if profile is not None:
        cols["week_profile"] = profile[_hour_of_week(exog)]
    return pd.DataFrame(cols)


class SARIMAXForecaster(HourlyForecaster):
    """Regression with ARMA errors (statsmodels SARIMAX) on the schedule, degree-hours and Fourier terms of the
    local hour, plus the weekly profile of the fit window when the plan does not vary over its open hours (no
    mode history: the plan is running except on closure days) (``weekly_``).
    Fitted on the last ``fit_days`` before the fit, then updated with ``results.extend``."""

    name = "sarimax"
    model_type = "ARIMA"
    needs_exog = True

    def __init__(self, *, order: tuple[int, int, int] = (1, 0, 0), fit_days: int = 42, fourier: int = 2,
                 maxiter: int = 50, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.order = order
        self.fit_days = fit_days
        self.fourier = fourier
        self.maxiter = maxiter

    def _design(self, exog: Mapping[str, np.ndarray]) -> np.ndarray:
        X = _sarimax_design(exog, self.fourier, profile=self.profile_)
        return X[self.columns_].to_numpy(dtype=float)

    @staticmethod
    def _exog_ok(exog: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for c, v in exog.items():
            s = pd.Series(v)
            out[c] = s.ffill().bfill().fillna(0.0).to_numpy()
        return out

    def _fit(self, grid: Grid) -> int:
        k = min(grid.n, self.fit_days * 24)
        y = grid.y[-k:]
        exog = self._exog_ok({c: v[-k:] for c, v in grid.exog.items()})
        # Closure days (whole days planned offline) say nothing about the weekday: a plan that varies only
        # through them still leaves Sundays forecast like Mondays without the weekly term.
        open_hours = exog["plan_offline"] < 0.5 if "plan_offline" in exog else np.ones(k, dtype=bool)
        plan = [c for c in ("plan_running", "plan_maintenance") if c in exog]
        self.weekly_ = not open_hours.any() or not any(np.nanstd(exog[c][open_hours]) > 1e-9 for c in plan)
        self.profile_ = weekly_profile(y, exog) if self.weekly_ else None
        X = _sarimax_design(exog, self.fourier, profile=self.profile_)
        self.columns_ = [c for c in X.columns if np.nanstd(X[c].to_numpy()) > 1e-9]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(y, exog=X[self.columns_].to_numpy(dtype=float), order=self.order, trend="c")
            self.result_ = model.fit(disp=False, maxiter=self.maxiter)
        exog_names = dict(zip(model.exog_names, self.columns_, strict=True))
        self.params_ = {exog_names.get(n, n): float(v)
                        for n, v in zip(model.param_names, np.asarray(self.result_.params), strict=True)}
        self.aic_ = float(self.result_.aic)
        self.state_end_ = grid.end_ns
        return int(np.isfinite(y).sum())

    def _extend_to(self, grid: Grid, end_ns: int) -> None:
        if end_ns <= self.state_end_:
            return
        a = (self.state_end_ - grid.t0) // NS_PER_HOUR
        b = (end_ns - grid.t0) // NS_PER_HOUR
        idx = np.arange(a, b)
        y = at(grid.y, idx)
        exog = self._exog_ok({c: at(v, idx) for c, v in grid.exog.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = self.result_.extend(y, exog=self._design(exog))
        self.state_end_ = end_ns

    def _update(self, grid: Grid) -> None:
        self._extend_to(grid, grid.end_ns)

    def _predict(self, past: Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        if origin_ns < self.state_end_:
            raise ValueError("sarimax: the filtered state is already past the origin; refit before forecasting "
                             "from an earlier origin")
        self._extend_to(past, origin_ns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.result_.get_forecast(horizon, exog=self._design(self._exog_ok(future)))
        return np.asarray(fc.predicted_mean, dtype=float)

    def _extra_summary(self) -> dict[str, object]:
        return {"order": list(self.order), "exog": list(self.columns_), "fit_days": self.fit_days,
                "weekly_profile": self.weekly_,
                "params": self.params_, "aic": self.aic_ if np.isfinite(self.aic_) else None}
