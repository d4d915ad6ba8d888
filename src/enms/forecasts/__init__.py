"""Hourly energy forecasts per machine and energy type: day-ahead and week-ahead with calibrated intervals, chosen
per series by a rolling-origin backtest, and tomorrow's peak 15-minute demand per factory.

Pure core: pandas frames in, frames (or fitted estimators) out; nothing here reads the warehouse, a notebook or
Ploomber. Rooms: ``inputs`` (plan, temperature, the series grid), ``grid`` (the hourly arrays the models share),
``intervals`` (conformal bounds from out-of-sample residuals), ``base`` (the forecaster interface),
``statistical`` (seasonal naive, STL + ETS, SARIMAX), ``gbm`` (gradient boosting), ``backtest`` (rolling origin,
metrics, selection), ``peak`` (factory peak demand), ``run`` (the step: :func:`run` and :class:`ForecastRun`).
The write-back rows of ``energy_forecasts`` and the vintage table are built in ``enms.rows``.
"""

from enms.forecasts.backtest import (
    REFIT_DAYS,
    WARMUP_DAYS,
    backtest_series,
    default_models,
    forecast_metrics,
    history_shortfall,
    rolling_origin,
    select_models,
)
from enms.forecasts.base import DAY_AHEAD, MODEL_NAMES, WEEK_AHEAD, HourlyForecaster
from enms.forecasts.gbm import GBM_FEATURES, GradientBoostingForecaster
from enms.forecasts.inputs import (
    EXOG_COLUMNS,
    PLAN_COLUMNS,
    forecast_inputs,
    planned_schedule,
    temperature_outlook,
    typical_schedule,
)
from enms.forecasts.intervals import HORIZON_EDGES, ResidualIntervals, conformal_bounds
from enms.forecasts.peak import peak_demand_forecast
from enms.forecasts.run import STATUS_COLUMNS, ForecastRun, run
from enms.forecasts.statistical import (
    SARIMAXForecaster,
    SeasonalNaiveForecaster,
    STLETSForecaster,
    mase,
    seasonal_naive_scale,
)

__all__ = [
    "DAY_AHEAD",
    "EXOG_COLUMNS",
    "GBM_FEATURES",
    "HORIZON_EDGES",
    "MODEL_NAMES",
    "PLAN_COLUMNS",
    "REFIT_DAYS",
    "STATUS_COLUMNS",
    "WARMUP_DAYS",
    "WEEK_AHEAD",
    "ForecastRun",
    "GradientBoostingForecaster",
    "HourlyForecaster",
    "ResidualIntervals",
    "SARIMAXForecaster",
    "STLETSForecaster",
    "SeasonalNaiveForecaster",
    "backtest_series",
    "conformal_bounds",
    "default_models",
    "forecast_inputs",
    "forecast_metrics",
    "history_shortfall",
    "mase",
    "peak_demand_forecast",
    "planned_schedule",
    "rolling_origin",
    "run",
    "seasonal_naive_scale",
    "select_models",
    "temperature_outlook",
    "typical_schedule",
]
