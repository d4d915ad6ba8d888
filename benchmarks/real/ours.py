"""Our side of the real-data benchmark, on each meter's imported warehouse: the extract and quality steps as the
pipeline runs them, every baseline candidate fitted on the 365-day baseline as the baselines step fits it
(:func:`enms.baselines.run.fit_series`: blocked CV, selection on the baseline's own out-of-sample daily
CV(RMSE)) and scored on the next 90 days, then the forecasters' 28-day rolling day-ahead backtest from the end of
the baseline (:func:`enms.forecasts.backtest.backtest_series`).

These meters have no operating-mode history, so quality marks every hour 'no mode data'. Until normal operation
is inferred from the data, an hour whose only reason is the missing mode history counts as normal here: the
models train on every complete hour without a spike, negative value or duplicate.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from enms.baselines.run import fit_series, prepare_series
from enms.forecasts.backtest import backtest_series, metrics_table, select_models
from enms.forecasts.inputs import PLAN_COLUMNS, forecast_inputs
from enms.io.extract import run as extract_run
from enms.quality.run import run as quality_run

NO_MODE = "no mode data"
BACKTEST_DAYS = 28


def _quality_products(extract: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], float]:
    """Quality's products for the baselines step, the mode-less hours counted normal; the share of hours that
    were normal before that fallback."""
    quality = quality_run(extract)
    mask = quality.normal_mask
    before = float(mask["is_normal"].mean())
    mask = mask.assign(is_normal=mask["is_normal"] | (mask["reason"] == NO_MODE))
    return {"temperature_hourly": quality.temperature_hourly, "normal_mask": mask,
            "sufficiency": quality.sufficiency}, before


def _actual(extract: dict[str, pd.DataFrame]) -> pd.Series:
    """kWh per UTC hour (complete hours only: an hour with fewer readings than the interval gives is NaN)."""
    e = extract["energy_hourly"]
    interval = int(extract["machines"]["data_interval_seconds"].iloc[0])
    complete = e["total_readings"] >= 3600 // interval
    return pd.Series(e["total_energy_kwh"].where(complete).to_numpy(float),
                     index=pd.DatetimeIndex(e["bucket"]).tz_convert("UTC").as_unit("ns"))


def baselines(extract: dict[str, pd.DataFrame], quality: dict[str, pd.DataFrame], start: pd.Timestamp,
              mid: pd.Timestamp, end: pd.Timestamp) -> dict[str, object]:
    """Every candidate fitted on [start, mid) and its predictions on [mid, end): hourly (UTC hour → kWh) and
    daily (local date → kWh), with the candidates table and the model the step selects."""
    (series,) = prepare_series(extract, quality)
    series.baseline_start, series.baseline_end = start, mid
    started = time.perf_counter()
    result = fit_series(series)
    seconds = time.perf_counter() - started
    hourly_test = series.hourly[(series.hourly["bucket"] >= mid) & (series.hourly["bucket"] < end)]
    daily_test = series.daily[(series.daily["day_start"] >= mid) & (series.daily["day_end"] <= end)]
    predictions = {}
    for row in result.candidates.itertuples():
        model = result.models.get(row.model)
        if model is None:
            continue
        if row.resolution == "hourly":
            p = model.predict(hourly_test)
            predictions[row.model] = {"hourly": pd.Series(p.to_numpy(float), index=pd.DatetimeIndex(
                hourly_test["bucket"]).tz_convert("UTC").as_unit("ns")), "daily": None}
        else:
            p = model.predict(daily_test)
            predictions[row.model] = {"hourly": None, "daily": pd.Series(
                p.to_numpy(float), index=pd.DatetimeIndex(daily_test["date"]).strftime("%Y-%m-%d"))}
    selected = result.candidates.loc[result.candidates["selected"], "model"]
    return {"predictions": predictions, "candidates": result.candidates, "seconds": seconds,
            "selected": selected.iloc[0] if len(selected) else None, "status": result.status,
            "timezone": series.timezone}


def forecasts(extract: dict[str, pd.DataFrame], quality: dict[str, pd.DataFrame], mid: pd.Timestamp,
              timezone: str) -> dict[str, object]:
    """The 28-day rolling day-ahead backtest of our five forecasters with origins at the local midnights of the
    28 days from ``mid``; the mode history being empty, the plan is 'running' every hour (constant: no model
    learns from it)."""
    end = (mid.tz_convert(timezone).tz_localize(None) + pd.Timedelta(days=BACKTEST_DAYS)).tz_localize(
        timezone).tz_convert("UTC")
    temperature = quality["temperature_hourly"]
    schedule = temperature[["bucket", "machine_id"]].assign(**{c: 0.0 for c in PLAN_COLUMNS}).assign(
        plan_running=1.0)
    inputs = forecast_inputs(extract["energy_hourly"], extract["machines"], schedule, temperature, end=end)
    started = time.perf_counter()
    bt = backtest_series(inputs, timezone, end=end, backtest_days=BACKTEST_DAYS, week_origins=0, final=False)
    seconds = time.perf_counter() - started
    fc = bt["forecasts"].assign(machine_id=inputs["machine_id"].iloc[0], energy_type=inputs["energy_type"].iloc[0])
    key = (inputs["machine_id"].iloc[0], inputs["energy_type"].iloc[0])
    chosen = select_models(metrics_table(fc, {key: bt["scale"]}))["model_name"]
    day = fc[fc["in_day"]].rename(columns={"predicted_kwh": "predicted", "lower_kwh": "lower", "upper_kwh": "upper"})
    return {"forecasts": day, "scale": bt["scale"], "seconds": seconds,
            "chosen": chosen.iloc[0] if len(chosen) else None,
            "failures": {k: v["failures"] for k, v in bt["info"].items() if v["failures"]}}


def run_meter(warehouse: Path, out: Path, window: dict[str, str]) -> dict[str, object]:
    """Extract, quality, baselines and forecasts of one meter's warehouse over its benchmark window."""
    start, mid, end = (pd.Timestamp(window[k]) for k in ("start", "mid", "end"))
    extract = extract_run(f"duckdb:{warehouse}", out / "extract", start.isoformat(), end.isoformat())
    quality, normal_before = _quality_products(extract)
    base = baselines(extract, quality, start, mid, end)
    fc = forecasts(extract, quality, mid, base["timezone"])
    return {"actual": _actual(extract), "baselines": base, "forecasts": fc, "normal_before": normal_before}
