"""The forecast step end to end on a tiny plant, and the series it hands to the plots."""

from __future__ import annotations

import importlib
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from forecast_frames import TZ, final_forecasts, small_models, synthetic_frame

from enms import forecasts as fx
from enms import plots
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


def _plant(days_of_short: int | None) -> dict[str, pd.DataFrame]:
    """Inputs of fx.run for a factory of 'm1' (49 days) and 'm2' (its last ``days_of_short`` days; None: no
    readings at all), both electricity, with 15-minute energy for the peak demand."""
    frame = synthetic_frame(days=49)
    parts = {"energy": [], "mode": [], "temp": [], "quarters": []}
    for mid, part in (("m1", frame), ("m2", frame.tail(24 * (days_of_short or 0)))):
        run_share = part["plan_running"].to_numpy()
        one = {"bucket": part["bucket"], "machine_id": mid}
        parts["energy"].append(pd.DataFrame({**one, "energy_type": "electricity",
                                             "total_energy_kwh": part["energy_kwh"], "total_readings": 60}))
        parts["mode"].append(pd.DataFrame({**one, "n_running": (60 * run_share).astype(int),
                                           "n_idle": (60 * (1 - run_share)).astype(int), "n_maintenance": 0,
                                           "n_fault": 0, "n_offline": 0, "total_readings": 60}))
        parts["temp"].append(pd.DataFrame({**one, "avg_outdoor_temp_c": part["outdoor_temp_c"]}))
        quarters = pd.DatetimeIndex(part["bucket"].repeat(4)) + pd.to_timedelta(np.tile([0, 15, 30, 45], len(part)),
                                                                                "min")
        parts["quarters"].append(pd.DataFrame({"bucket": quarters, "machine_id": mid, "energy_type": "electricity",
                                               "total_energy_kwh": part["energy_kwh"].repeat(4).to_numpy() / 4}))
    machines = pd.DataFrame({"machine_id": ["m1", "m2"], "machine_name": ["Press", "Lathe"], "factory_id": "f1",
                             "timezone": TZ, "data_interval_seconds": 60,
                             "energy_types": [["electricity"], ["electricity"]]})
    return {"machines": machines, **{k: pd.concat(v, ignore_index=True) for k, v in parts.items()}}


def _run(inputs: dict[str, pd.DataFrame], only: str | None = None) -> fx.ForecastRun:
    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if only is None else frame[frame["machine_id"] == only]

    return fx.run(pick(inputs["energy"]), pick(inputs["machines"]), pick(inputs["mode"]), pick(inputs["temp"]),
                  energy_15min=pick(inputs["quarters"]), models=small_models(), backtest_days=7, calibration_days=7,
                  week_origins=1, n_jobs=1)


def _same_as_alone(run: fx.ForecastRun, alone: fx.ForecastRun) -> None:
    for name in ("backtest", "metrics", "selection", "forecasts", "peak_demand"):
        pd.testing.assert_frame_equal(getattr(run, name), getattr(alone, name))


@pytest.fixture(scope="module")
def m1_alone() -> fx.ForecastRun:
    return _run(_plant(10), only="m1")


def test_a_series_shorter_than_the_backtest_needs_is_not_forecast_and_the_other_is_as_alone(m1_alone) -> None:
    run = _run(_plant(10))
    status = run.status.set_index("machine_id")
    assert list(run.status.columns) == fx.STATUS_COLUMNS
    assert status.loc["m1", "status"] == "forecast" and status.loc["m1", "history_days"] == 49.0
    assert status.loc["m2", "status"] == "not forecast"
    # 14 days of warm-up, 7 calibration and 7 scored origins, and the last one's 24 h
    assert status.loc["m2", "reason"] == ("10.0 days of history < 29 needed (14 days of warm-up, 7 of calibration "
                                          "and 7 of backtest)")
    _same_as_alone(run, m1_alone)
    assert set(run.forecasts["machine_id"]) == {"m1"} and len(run.peak_demand) > 0


def test_a_machine_without_readings_is_not_forecast_nor_drawn() -> None:
    inputs = _plant(None)
    run = _run(inputs)
    assert run.status[["machine_name", "status", "reason", "history_days"]].values.tolist() == [
        ["Press", "forecast", "", 49.0], ["Lathe", "not forecast", "no readings", 0.0]]
    factories = pd.DataFrame({"factory_id": ["f1"], "factory_name": ["Plant"], "timezone": [TZ]})
    figures = plots.forecast_figures(run, inputs["machines"], factories, inputs["energy"])
    assert [f.axes[0].get_title() for f in figures] == ["Press (electricity)", "Plant: electricity of all machines"]
    capped = plots.forecast_figures(run, inputs["machines"], factories, inputs["energy"], limit=1)
    assert [f.axes[0].get_title() for f in capped] == ["Press (electricity)", "Plant: electricity of all machines"]
    figures += capped
    for figure in figures:
        plt.close(figure)


def test_a_series_whose_backtest_raises_fails_with_its_name_and_the_others_go_on(monkeypatch, m1_alone) -> None:
    step = importlib.import_module("enms.forecasts.run")  # the module (fx.run is the step's function)

    def backtest_or_raise(frame, timezone, models=None, **kwargs):
        if frame["machine_id"].iloc[0] == "m2":
            raise ValueError("Input contains NaN")
        return fx.backtest_series(frame, timezone, models, **kwargs)

    monkeypatch.setattr(step, "backtest_series", backtest_or_raise)
    run = _run(_plant(40))
    status = run.status.set_index("machine_id")
    assert status.loc["m2", "status"] == "failed"
    assert status.loc["m2", "reason"] == "Lathe (electricity): ValueError: Input contains NaN"
    assert status.loc["m1", "status"] == "forecast"
    _same_as_alone(run, m1_alone)


def test_a_series_where_every_model_fails_is_failed_with_the_models_errors() -> None:
    inputs = _plant(40)
    energy = inputs["energy"]
    energy.loc[energy["machine_id"] == "m2", "total_energy_kwh"] = np.nan  # nothing to fit on, nothing to score
    run = _run(inputs)
    status = run.status.set_index("machine_id")
    assert status.loc["m2", "status"] == "failed"
    assert status.loc["m2", "reason"] == (
        "Lathe (electricity): no model gave a scored day-ahead forecast (5 of 5 models failed; snaive24 at "
        "2026-09-27T22:00:00+00:00: fit/update failed: ValueError: snaive24: no energy in the history to fit on)")
    assert set(run.selection["machine_id"]) == {"m1"}


def test_a_plant_with_nothing_to_forecast_gives_empty_products_and_the_reasons() -> None:
    run = _run(_plant(10), only="m2")
    assert run.status["status"].tolist() == ["not forecast"]
    assert run.forecasts.empty and run.selection.empty and run.metrics.empty and run.peak_demand.empty
    assert math.isnan(run.summary["median_day_ahead_mase"]) and not run.summary["meets_targets"]
