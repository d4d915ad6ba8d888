"""The hourly forecaster interface every model implements, and the model catalogue's constants.

Common interface (scikit-learn / statsmodels spirit): ``fit(history)``, ``update(history)``,
``predict(origin, horizon, exog_future)`` returning the point forecast (kWh per hour) and the interval of
:class:`~enms.forecasts.intervals.ResidualIntervals`; ``summary()``; fitted state ends in ``_``; objects pickle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.forecasts.grid import NS_PER_HOUR, Grid, at, merge_grids, ns, to_grid
from enms.forecasts.inputs import EXOG_COLUMNS
from enms.forecasts.intervals import HORIZON_EDGES, ResidualIntervals
from enms.localtime import utc_instant
from enms.settings import CONFIDENCE

DAY_AHEAD = 24
"""Lead hours of a day-ahead forecast."""
WEEK_AHEAD = 168
"""Lead hours of a week-ahead forecast."""
MODEL_NAMES = ("snaive24", "snaive168", "stl_ets", "sarimax", "gbm")
#: energy_forecasts.model_type per model name (the enum has ARIMA, Prophet, LSTM, Other).


class HourlyForecaster:
    """Base of the hourly forecasters (see the module docstring for the contract).

    * ``fit(history)``: estimates the parameters on ``history`` (bucket, energy_kwh and :data:`EXOG_COLUMNS`,
      UTC hours, all before the first origin it will forecast from) and keeps it as the data to forecast from.
      The track record of out-of-sample residuals is kept across refits (it is the forecaster's history of
      errors, not a parameter).
    * ``update(history)``: newer data (the whole history up to the next origin, or only the newer rows) without
      re-estimating; earlier forecasts whose hours are now observed are scored into the track record.
    * ``predict(origin, horizon, exog_future)``: point forecast of the hours [origin, origin + horizon h) from
      the data before ``origin`` only, with the interval of :class:`ResidualIntervals`. ``exog_future`` holds
      bucket and :data:`EXOG_COLUMNS` for those hours (the plan, the temperature forecast, the local calendar).
      Returns origin, bucket, step (lead hours 1..horizon), predicted_kwh, lower_kwh, upper_kwh.
    """

    name = "base"
    model_type = "Other"
    needs_exog = False
    #: False for a model without estimated parameters (seasonal naive): it may forecast from any origin.
    has_parameters = True

    def __init__(self, *, level: float = CONFIDENCE, calibration_days: int = 28, by_state: bool = True,
                 min_residuals: int = 30, relative: bool = False) -> None:
        self.level = level
        self.relative = relative
        self.calibration_days = calibration_days
        self.by_state = by_state
        self.min_residuals = min_residuals

    # ---------------------------------------------------------------- public
    def fit(self, history: pd.DataFrame) -> HourlyForecaster:
        return self._fit_grid(to_grid(history))

    def update(self, history: pd.DataFrame) -> HourlyForecaster:
        self._check_fitted()
        return self._update_grid(merge_grids(self.grid_, to_grid(history)))

    def predict(
        self, origin: object, horizon: int = DAY_AHEAD, exog_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        self._check_fitted()
        origin = utc_instant(origin, "origin")
        o = ns(origin)
        if o % NS_PER_HOUR:
            raise ValueError("origin must be a whole UTC hour")
        buckets = o + np.arange(max(horizon, 0), dtype=np.int64) * NS_PER_HOUR
        return self._predict_arrays(origin, horizon, self._future(exog_future, buckets))

    # ---------------------------------------------------------------- grid level (used by the walk)
    def _fit_grid(self, grid: Grid) -> HourlyForecaster:
        if grid.n == 0 or not np.isfinite(grid.y).any():
            raise ValueError(f"{self.name}: no energy in the history to fit on")
        self._check_exog(grid)
        if not hasattr(self, "record_"):
            self.record_ = ResidualIntervals(level=self.level, calibration_days=self.calibration_days,
                                             by_state=self.by_state, min_residuals=self.min_residuals,
                                             relative=self.relative)
        self.record_.score(grid.t0, grid.y)
        self.grid_ = grid
        self.fit_end_ = pd.Timestamp(grid.end_ns, tz="UTC")
        self.training_samples_ = self._fit(grid)
        return self

    def _update_grid(self, grid: Grid) -> HourlyForecaster:
        self._check_fitted()
        self.record_.score(grid.t0, grid.y)
        self.grid_ = grid
        self._update(grid)
        return self

    def _predict_arrays(self, origin: pd.Timestamp, horizon: int, future: dict[str, np.ndarray]) -> pd.DataFrame:
        o = ns(origin)
        if self.has_parameters and o < ns(self.fit_end_):
            raise ValueError(f"{self.name}: origin {origin} lies before the end of the fitting data "
                             f"({self.fit_end_}): the parameters have seen the hours to forecast")
        if horizon < 1:
            raise ValueError("horizon must be at least 1 hour")
        past = self.grid_.upto(o)  # only data before the origin, whatever the history holds
        buckets = o + np.arange(horizon, dtype=np.int64) * NS_PER_HOUR
        steps = np.arange(horizon)
        point = np.asarray(self._predict(past, o, horizon, future), dtype=float)
        point = np.where(np.isfinite(point), np.maximum(point, 0.0), np.nan)
        state = (np.nan_to_num(future.get("plan_running", np.zeros(horizon))) >= 0.5).astype(np.int64)
        lower, upper = self.record_.bounds(origin, steps, state, point)
        self.record_.add(origin, buckets, steps, point, state)
        return pd.DataFrame(
            {
                "origin": origin,
                "bucket": pd.to_datetime(buckets, utc=True),
                "step": steps + 1,
                "predicted_kwh": point,
                "lower_kwh": lower,
                "upper_kwh": upper,
            }
        )

    def summary(self) -> dict[str, object]:
        self._check_fitted()
        return {
            "model_name": self.name,
            "model_type": self.model_type,
            "fit_end": self.fit_end_.isoformat(),
            "training_samples": int(self.training_samples_),
            "level": self.level,
            "interval_method": (
                f"empirical quantiles (split-conformal ranks) of out-of-sample residuals of forecasts made in the "
                f"{self.calibration_days} days before the origin, by lead bucket {list(HORIZON_EDGES)} h"
                + (" and planned state (running share >= 0.5)" if self.by_state else "")
            ),
            "residuals_in_record": self.record_.n_residuals,
            **self._extra_summary(),
        }

    # ---------------------------------------------------------------- hooks
    def _fit(self, grid: Grid) -> int:
        return int(np.isfinite(grid.y).sum())

    def _update(self, grid: Grid) -> None:
        return None

    def _predict(self, past: Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _extra_summary(self) -> dict[str, object]:
        return {}

    # ---------------------------------------------------------------- internals
    def _check_fitted(self) -> None:
        if not hasattr(self, "grid_"):
            raise RuntimeError(f"{self.name} is not fitted: call fit(history) first")

    def _check_exog(self, grid: Grid) -> None:
        if self.needs_exog:
            missing = [c for c in EXOG_COLUMNS if c not in grid.exog]
            if missing:
                raise ValueError(f"{self.name} needs the exogenous column(s) {', '.join(missing)} in the history")

    def _future(self, exog_future: pd.DataFrame | None, buckets: np.ndarray) -> dict[str, np.ndarray]:
        if exog_future is None:
            if self.needs_exog:
                raise ValueError(f"{self.name} needs exog_future (bucket and {', '.join(EXOG_COLUMNS)})")
            return {}
        g = to_grid(exog_future, target=False)
        if g.n == 0:
            if self.needs_exog:
                raise ValueError(f"{self.name}: exog_future is empty")
            return {}
        idx = (buckets - g.t0) // NS_PER_HOUR
        return self._check_future({c: at(v, idx) for c, v in g.exog.items()})

    def _check_future(self, future: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.needs_exog:
            for c in EXOG_COLUMNS:
                if c not in future or np.isnan(future[c]).any():
                    raise ValueError(f"{self.name}: exog_future lacks {c} for some hour of the horizon")
        return future
