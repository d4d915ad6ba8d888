"""The baselines step per series: one series that cannot be fitted, or whose candidate raises, gets its status row
and never changes the fit of another."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from enms import baselines as bl
from enms.rows import baseline_rows

START = pd.Timestamp("2025-01-06", tz="UTC")  # a Monday
BASELINE_END = pd.Timestamp("2025-05-05", tz="UTC")  # 17 weeks of baseline, then 4 weeks of reporting
END = pd.Timestamp("2025-06-02", tz="UTC")
SOURCES = pd.DataFrame({"name": ["electricity"], "energy_source_id": ["e1"]})


def _machine_hours(machine_id: str, start: pd.Timestamp, seed: int) -> dict[str, pd.DataFrame]:
    """Hourly inputs of one machine from ``start`` to END: 40 kWh in shifts (weekdays 06-18 UTC, 100 units made),
    8 kWh otherwise, 1.5 kWh per °C below 15 °C, noise; every hour normal."""
    rng = np.random.default_rng(seed)
    buckets = pd.date_range(start, END, freq="h", inclusive="left")
    running = (buckets.day_of_week < 5) & (buckets.hour >= 6) & (buckets.hour < 18)
    temp = 8 + 6 * np.sin(2 * np.pi * (buckets.hour - 9) / 24) + np.arange(len(buckets)) / 400
    kwh = np.where(running, 40.0, 8.0) + 1.5 * np.maximum(0, 15 - temp) + rng.normal(0, 1.0, len(buckets))
    n = len(buckets)
    one = {"bucket": buckets, "machine_id": machine_id}
    return {
        "energy_hourly": pd.DataFrame({**one, "energy_type": "electricity", "total_energy_kwh": kwh,
                                       "total_readings": 60}),
        "production_hourly": pd.DataFrame({**one, "total_production_count": np.where(running, 100, 0)}),
        "mode_hourly": pd.DataFrame({**one, "n_running": np.where(running, 60, 0), "n_idle": np.where(running, 0, 60),
                                     "n_maintenance": 0, "n_fault": 0, "n_offline": 0, "total_readings": 60}),
        "temperature_hourly": pd.DataFrame({**one, "avg_outdoor_temp_c": temp}),
        "normal_mask": pd.DataFrame({**one, "is_normal": np.ones(n, dtype=bool), "reason": ""}),
    }


def plant(short_fittable: bool = False) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(extract, quality) of a plant of two machines: 'fine' with 21 weeks of data and 'short' with 10 days at the
    end of the baseline period. Quality calls the short one not fittable unless ``short_fittable``."""
    parts = [_machine_hours("fine", START, 1), _machine_hours("short", BASELINE_END - pd.Timedelta(days=10), 2)]
    frames = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}
    machines = pd.DataFrame({"machine_id": ["fine", "short"], "machine_name": ["Press-1", "Press-2"],
                             "factory_id": "f1", "timezone": "UTC", "energy_types": [["electricity"]] * 2})
    window = pd.DataFrame({"start": [START], "end": [END], "baseline_start": [START], "baseline_end": [BASELINE_END]})
    sufficiency = pd.DataFrame({
        "machine_id": ["fine", "short"], "energy_type": "electricity", "sufficient": [True, short_fittable],
        "reasons": ["", "" if short_fittable else "10 days of usable history < 90 needed"],
        "hours_present_pct": [100.0, 8.2], "days_present_pct": [100.0, 8.2],
        "fittable": [True, short_fittable],
        "fit_reason": ["", "" if short_fittable else "10 days of usable history < 90 needed"]})
    extract = {"machines": machines, "window": window, "energy_hourly": frames["energy_hourly"],
               "production_hourly": frames["production_hourly"], "mode_hourly": frames["mode_hourly"],
               "efficiency_measures": pd.DataFrame(columns=["machine_id", "energy_type", "saving_fraction"]),
               "fault_truth": pd.DataFrame(columns=["machine_id", "energy_type", "start_time", "end_time"])}
    quality = {"temperature_hourly": frames["temperature_hourly"], "normal_mask": frames["normal_mask"],
               "sufficiency": sufficiency}
    return extract, quality


def _only(frame: pd.DataFrame, machine_id: str) -> pd.DataFrame:
    return frame[frame["machine_id"] == machine_id].reset_index(drop=True)


def one_machine(machine_id: str) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The plant's inputs of one machine alone."""
    extract, quality = plant()

    def keep(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        return {k: _only(v, machine_id) if "machine_id" in v.columns and k not in ("efficiency_measures",
                                                                                    "fault_truth") else v
                for k, v in frames.items()}

    return keep(extract), keep(quality)


@pytest.fixture(scope="module")
def fine_alone() -> bl.BaselinesResult:
    return bl.run(*one_machine("fine"), n_jobs=1)


def _assert_fine_unchanged(result: bl.BaselinesResult, alone: bl.BaselinesResult) -> None:
    """Every product of 'fine' holds the same values as when it is fitted alone (a failed candidate's empty
    figures make the fleet's integer columns float)."""
    for name in ("candidates", "expected_hourly", "savings", "cusum", "cv_folds", "naive_comparison"):
        assert_frame_equal(_only(result.products()[name], "fine"), _only(alone.products()[name], "fine"),
                           check_dtype=False)


def test_a_series_quality_calls_unfit_is_not_fitted_and_the_other_is_fitted_as_alone(fine_alone):
    result = bl.run(*plant(), n_jobs=1)
    status = result.fleet.status.set_index("machine_id")
    assert list(result.fleet.status.columns) == bl.STATUS_COLUMNS
    assert status.loc["fine", "status"] == "fitted" and status.loc["fine", "reason"] == ""
    assert status.loc["short", "status"] == "not fitted"
    assert status.loc["short", "reason"] == "10 days of usable history < 90 needed"
    assert status.loc["short", "n_usable_hours"] == 240  # the 10 days, all in the baseline period, all normal
    assert status.loc["fine", "n_usable_hours"] == 17 * 168
    assert set(result.fleet.candidates["machine_id"]) == {"fine"}
    _assert_fine_unchanged(result, fine_alone)
    assert [p["series_name"] for p in result.figure_panels()] == ["Press-1 (electricity)"]
    assert list(result.fleet.not_fitted()["machine_name"]) == ["Press-2"]


def test_a_series_that_raises_in_every_candidate_fails_with_its_name_and_the_error(fine_alone):
    result = bl.run(*plant(short_fittable=True), n_jobs=1)
    status = result.fleet.status.set_index("machine_id")
    assert status.loc["short", "status"] == "failed"
    reason = status.loc["short", "reason"]
    assert reason.startswith("Press-2 (electricity): ")
    assert "towt" in reason and "regression_ols" in reason
    assert "a 8-week hold-out leaves no training or no test rows" in reason
    short = _only(result.fleet.candidates, "short")
    assert len(short) == 5 and not short["selected"].any() and not short["is_active"].any()
    assert (short["error"] != "").all() and short["activation_reason"].str.startswith("failed: ").all()
    assert (result.fleet.expected_hourly["machine_id"] == "fine").all()
    _assert_fine_unchanged(result, fine_alone)
    published = baseline_rows(result.fleet.candidates, result.fleet.models, SOURCES)
    assert list(published["machine_id"]) == ["fine"]  # only a fitted series reaches energy_baselines


def test_a_candidate_that_raises_gets_its_error_row_and_the_others_are_selected_from(monkeypatch, fine_alone):
    def broken(self, X, y):
        raise RuntimeError("singular matrix")

    monkeypatch.setattr(bl.TOWTBaseline, "fit", broken)
    result = bl.run(*plant(), n_jobs=1)
    fine = _only(result.fleet.candidates, "fine").set_index("model")
    assert fine.loc["towt", "error"] == "RuntimeError: singular matrix"
    assert fine.loc["towt", "activation_reason"] == "failed: RuntimeError: singular matrix"
    assert not fine.loc["towt", "selected"] and np.isnan(fine.loc["towt", "cv_rmse_oos"])
    assert fine["selected"].sum() == 1
    # the other candidates' figures are those of the fit without the failure
    alone = _only(fine_alone.fleet.candidates, "fine").set_index("model")
    others = [m for m in alone.index if m != "towt"]
    assert_frame_equal(fine.loc[others, ["cv_rmse_oos", "cv_rmse_daily_oos", "nmbe_oos"]],
                       alone.loc[others, ["cv_rmse_oos", "cv_rmse_daily_oos", "nmbe_oos"]])
    status = result.fleet.status.set_index("machine_id").loc["fine"]
    assert status["status"] == "fitted"
    assert status["reason"] == "Press-1 (electricity): towt failed: RuntimeError: singular matrix"
    assert (fine.loc[fine["best_hourly"]].index == ["gradient_boosting"]).all()


def test_a_plant_with_no_fittable_series_gives_empty_products_with_their_columns():
    result = bl.run(*one_machine("short"), n_jobs=2)  # a status row comes back from a worker process too
    products = result.products()
    assert list(products["status"]["status"]) == ["not fitted"]
    assert products["candidates"].empty and "selected" in products["candidates"].columns
    assert products["expected_hourly"].empty and products["savings"].empty and products["naive_comparison"].empty
    assert result.figure_panels() == []
    assert baseline_rows(products["candidates"], result.fleet.models, SOURCES).empty


def test_imported_meters_get_closure_days_as_a_driver_and_weather_independent_models():
    """No mode history, production or temperature: the closure days are the only driver, TOWT is the time-of-week
    model and the change-point model is skipped with the reason, and CalTRACK sufficiency no longer asks for a
    temperature that is not there."""
    from enms.baselines.run import NO_TEMPERATURE, candidates_for, prepare_series

    extract, quality = one_machine("fine")
    extract["mode_hourly"] = extract["mode_hourly"].iloc[:0]
    extract["production_hourly"] = extract["production_hourly"].iloc[:0]
    quality["temperature_hourly"] = quality["temperature_hourly"].assign(avg_outdoor_temp_c=np.nan)
    quality["sufficiency"] = quality["sufficiency"].assign(
        sufficient=False, reasons="outdoor temperature gap 2880 h > 6 h")
    quality["closures"] = pd.DataFrame({"machine_id": ["fine", "fine"],
                                        "date": pd.to_datetime(["2025-02-12", "2025-03-19"]).astype("datetime64[us]"),
                                        "source": "inferred"})
    (series,) = [s for s in prepare_series(extract, quality) if s.machine_id == "fine"]
    assert series.hourly.loc[series.hourly["closure"] == 1, "date"].dt.strftime("%m-%d").unique().tolist() == [
        "02-12", "03-19"]
    assert series.daily["closure"].sum() == 2
    assert series.sufficiency.passed
    models = {c.name: c for c in candidates_for(series)}
    assert models["gradient_boosting"].make().drivers == ["closure"]
    assert models["regression_ols"].make().drivers == ["closure"]
    towt = models["towt"].make()  # the time-of-week model
    assert towt.temperature is None and towt.drivers == ["closure"]
    with pytest.raises(ValueError, match=NO_TEMPERATURE):
        models["change_point"].make()
