"""The forecast step end to end on a tiny plant, and the series it hands to the plots."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from forecast_frames import TZ, final_forecasts, small_models, synthetic_frame

from enms import forecasts as fx
from enms.rows import forecast_rows


def test_run_end_to_end_on_a_tiny_plant() -> None:
    frame = synthetic_frame(days=49)
    machines = pd.DataFrame({"machine_id": ["m1"], "machine_name": ["Press"], "factory_id": ["f1"], "timezone": [TZ],
                             "data_interval_seconds": [60]})
    energy = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "energy_type": "electricity",
                           "total_energy_kwh": frame["energy_kwh"], "total_readings": 60})
    energy.loc[10, "total_readings"] = 20  # a partial hour: not a target
    run_share = frame["plan_running"].to_numpy()
    mode = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "n_running": (60 * run_share).astype(int),
                         "n_idle": (60 * (1 - run_share)).astype(int), "n_maintenance": 0, "n_fault": 0,
                         "n_offline": 0, "total_readings": 60})
    temp = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "avg_outdoor_temp_c": frame["outdoor_temp_c"]})
    run = fx.run(energy, machines, mode, temp, models=small_models(), backtest_days=7, calibration_days=7,
                 week_origins=1, n_jobs=1)
    assert set(run.metrics["model_name"]) == set(fx.MODEL_NAMES)
    assert len(run.selection) == 1 and run.metrics["chosen"].sum() == 2
    f = run.forecasts
    assert f["origin"].nunique() == 1 and f["origin"].iloc[0] == frame["bucket"].iloc[-1] + pd.Timedelta(hours=1)
    assert len(f) == 5 * 168 and f["predicted_kwh"].notna().all()
    assert (f["lower_kwh"] <= f["predicted_kwh"]).all() and (f["predicted_kwh"] <= f["upper_kwh"]).all()
    assert run.backtest["actual_kwh"].notna().all()
    rows = forecast_rows(f, run.metrics, model_version="t")
    assert len(rows) == 168
    assert math.isfinite(run.summary["median_day_ahead_mase"])


def test_forecast_run_series_and_factory_total_for_plots() -> None:
    f, metrics = final_forecasts()
    end = f["origin"].iloc[0]
    hist = pd.date_range(end - pd.Timedelta(hours=48), end + pd.Timedelta(hours=5), freq="h", inclusive="left")
    energy = pd.concat([pd.DataFrame({"bucket": hist, "machine_id": mid, "energy_type": "electricity",
                                      "total_energy_kwh": kwh}) for mid, kwh in (("boiler", 1.0), ("press", 2.0))])
    machines = pd.DataFrame({"machine_id": ["boiler", "press"], "factory_id": ["f1", "f1"]})
    run = fx.ForecastRun(backtest=pd.DataFrame(), metrics=metrics, selection=pd.DataFrame(), forecasts=f,
                         summary={"end": end.isoformat()})
    history, forecast = run.series("boiler", "electricity", energy)
    assert len(history) == 48 and history["bucket"].max() < end  # nothing at or after the origin
    assert len(forecast) == 168 and set(forecast["model_name"]) == {"sarimax"}
    history, forecast = run.factory_total("f1", machines, energy)
    assert (history["total_energy_kwh"] == 3.0).all() and len(history) == 48
    assert len(forecast) == 168
    assert forecast["predicted_kwh"].iloc[5] == pytest.approx(2 * 12.34567)
