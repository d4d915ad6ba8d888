"""The forecast step: inputs, the backtest of every model on every series, selection, the forecasts of 24 h and
168 h from the end of the data and tomorrow's peak demand per factory; :func:`run` is what the notebook calls."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from enms.boosting import thread_cap
from enms.calendars import factory_holidays
from enms.forecasts.backtest import (
    FORECAST_COLUMNS,
    backtest_series,
    forecast_metrics,
    history_shortfall,
    metrics_table,
    select_models,
)
from enms.forecasts.base import WEEK_AHEAD, HourlyForecaster
from enms.forecasts.inputs import (
    forecast_inputs,
    inferred_schedule,
    planned_schedule,
    temperature_outlook,
    typical_schedule,
)
from enms.forecasts.peak import peak_demand_forecast
from enms.frames import machine_timezones, numeric
from enms.localtime import HOUR, local_calendar, utc_instant, utc_series
from enms.parallel import run_each
from enms.rows import horizon_label
from enms.settings import N_JOBS

MASE_TARGET = 0.85
"""Target of the median day-ahead MASE of the chosen models."""
COVERAGE_TARGET = (0.85, 0.95)
"""Target range of the day-ahead coverage of the 90 % intervals."""
STATUS_COLUMNS = ["machine_id", "machine_name", "energy_type", "status", "reason", "history_days"]
"""The forecast step's ``status`` product: one row per machine and declared energy type; status 'forecast' (a
model chosen), 'not forecast' (no readings, or a history shorter than the backtest needs: nothing tried) or
'failed' (its backtest raised, or no model gave a scored day-ahead forecast); history_days: from its first
energy hour to the end of the data."""


@dataclass
class ForecastRun:
    """Everything the forecast step produces (plain pandas frames, a JSON-able summary).

    * backtest: every backtest forecast: machine_id, energy_type, origin, bucket, step (lead hours),
      predicted_kwh, lower_kwh, upper_kwh, model_name, actual_kwh, in_day (scored day-ahead), in_week (scored
      week-ahead), chosen. Rows of neither kind are the calibration origins' forecasts.
    * metrics: per machine_id, energy_type, model_name and kind ('day_ahead' / 'week_ahead'): origins, n,
      mae, mase, rmse, nrmse, bias_kwh, bias_pct, coverage, mape, r2, scale_kwh, chosen.
    * selection: machine_id, energy_type, model_name, score (the model with the lowest mean of MASE ÷ best MASE
      and NRMSE ÷ best NRMSE, day-ahead).
    * forecasts: the forecasts from the end of the data, every model: machine_id, energy_type, origin, bucket,
      step, predicted_kwh, lower_kwh, upper_kwh, model_name, chosen, horizon (short / medium / long by lead),
      training_samples. Day-ahead = steps 1-24, week-ahead = steps 1-168 (the same run).
    * summary: median day-ahead MASE (chosen models; all series and electricity only), pooled coverage and MASE,
      targets, failures, timings; models: per series and model, fits, failures and the last fit's summary();
      peak_demand: :func:`peak_demand_forecast` (when ``energy_15min`` was given), over the machines with a
      chosen electricity forecast.
    * status: one row per machine and declared energy type (:data:`STATUS_COLUMNS`); the other frames hold the
      series forecast only.
    """

    backtest: pd.DataFrame
    metrics: pd.DataFrame
    selection: pd.DataFrame
    forecasts: pd.DataFrame
    summary: dict[str, object]
    models: dict[str, dict[str, object]] = field(default_factory=dict)
    peak_demand: pd.DataFrame | None = None
    status: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STATUS_COLUMNS))

    def series(self, machine_id: str, energy_type: str,
               energy_hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """For a plot: the series' actual hourly energy before the forecast origin (bucket, total_energy_kwh)
        and the chosen model's forecast from the end of the data (bucket, step, predicted_kwh, lower_kwh,
        upper_kwh, model_name)."""
        end = utc_instant(self.summary["end"], "summary.end")
        e = energy_hourly[(energy_hourly["machine_id"].astype(str) == str(machine_id))
                          & (energy_hourly["energy_type"].astype(str) == energy_type)]
        b = utc_series(e["bucket"], "energy_hourly.bucket", unit="ns")
        history = pd.DataFrame({"bucket": b, "total_energy_kwh": numeric(e, "total_energy_kwh")})
        history = history[history["bucket"] < end].sort_values("bucket").reset_index(drop=True)
        f = self.forecasts
        f = f[(f["machine_id"] == str(machine_id)) & (f["energy_type"] == energy_type) & f["chosen"]]
        columns = ["bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh", "model_name"]
        return history, f.sort_values("bucket")[columns].reset_index(drop=True)

    def factory_total(self, factory_id: str, machines: pd.DataFrame, energy_hourly: pd.DataFrame,
                      energy_type: str = "electricity") -> tuple[pd.DataFrame, pd.DataFrame]:
        """As :meth:`series` for the sum over a factory's machines of one energy type (hours where every machine
        has a value). The bounds are the sums of the machines' bounds: wider than a 90 % interval of the sum,
        since the machines' errors partly cancel."""
        ids = machines.loc[machines["factory_id"].astype(str) == str(factory_id), "machine_id"].astype(str)
        parts = [self.series(mid, energy_type, energy_hourly) for mid in ids
                 if ((self.forecasts["machine_id"] == mid) & (self.forecasts["energy_type"] == energy_type)).any()]
        if not parts:
            return (pd.DataFrame(columns=["bucket", "total_energy_kwh"]),
                    pd.DataFrame(columns=["bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh"]))
        n = len(parts)
        h = pd.concat([p[0] for p in parts]).groupby("bucket")["total_energy_kwh"].agg(["sum", "count"])
        history = h.loc[h["count"] == n, ["sum"]].rename(columns={"sum": "total_energy_kwh"}).reset_index()
        f = pd.concat([p[1] for p in parts]).groupby(["bucket", "step"])
        sums = f[["predicted_kwh", "lower_kwh", "upper_kwh"]].sum(min_count=1)
        forecast = sums[f.size() == n].reset_index()
        return history, forecast


# ------------------------------------------------------------------------------------------------ the step
def _future_inputs(schedule: pd.DataFrame, temperature: pd.DataFrame, machines: pd.DataFrame, end: pd.Timestamp,
                   *, schedule_weeks: int, temperature_days: int,
                   holidays: Mapping[str, Iterable[date]] | None) -> pd.DataFrame:
    """The known-in-advance inputs of the 168 hours from ``end``: the typical plan and the temperature outlook."""
    horizon_end = end + WEEK_AHEAD * HOUR
    plan = typical_schedule(schedule, machines, end, horizon_end, weeks=schedule_weeks, holidays=holidays)
    outlook = temperature_outlook(temperature, machines, end, horizon_end, days=temperature_days)
    return plan.merge(outlook, on=["machine_id", "bucket"], how="left")


def _series_jobs(inputs: pd.DataFrame, future: pd.DataFrame, zones: Mapping[str, str], end: pd.Timestamp, *,
                 backtest_days: int, calibration_days: int) -> tuple[list[tuple], dict[tuple[str, str], str]]:
    """One (key, history grid, future inputs with the local calendar, zone) per series with the history the
    backtest needs, and the reason of each series left out (:func:`history_shortfall`)."""
    jobs, short = [], {}
    for (mid, etype), frame in inputs.groupby(["machine_id", "energy_type"], sort=True):
        start = utc_series(frame["bucket"], "inputs.bucket", unit="ns").min()
        reason = history_shortfall(start, end, zones[mid], backtest_days=backtest_days,
                                   calibration_days=calibration_days)
        if reason:
            short[(mid, etype)] = reason
            continue
        fut = future[future["machine_id"] == mid].copy()
        if not fut.empty:
            cal = local_calendar(utc_series(fut["bucket"], "future.bucket", unit="ns"), zones[mid])
            fut["hour"], fut["weekday"] = cal["hour"].to_numpy(), cal["weekday"].to_numpy()
        jobs.append(((mid, etype), frame.reset_index(drop=True), fut, zones[mid]))
    return jobs, short


def _series_job(key: tuple[str, str], frame: pd.DataFrame, future: pd.DataFrame | None, timezone: str,
                models: Mapping[str, Callable[[], HourlyForecaster]] | None, kwargs: dict) -> tuple:
    """One series' backtest → (key, its result or None, wall and CPU seconds, the error when it raised)."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with thread_cap(1):
            res = backtest_series(frame, timezone, models, future=future, **kwargs)
    except Exception as exc:  # noqa: BLE001 - one series failing never stops the others
        return key, None, (time.perf_counter() - started, time.process_time() - cpu), f"{type(exc).__name__}: {exc}"
    return key, res, (time.perf_counter() - started, time.process_time() - cpu), ""


def _no_forecasts() -> pd.DataFrame:
    """The backtest frame of a plant where no series ran: its columns, typed as when some did."""
    columns = ["machine_id", "energy_type", *FORECAST_COLUMNS, "actual_kwh", "in_day", "in_week", "is_final"]
    types = {"origin": "datetime64[ns, UTC]", "bucket": "datetime64[ns, UTC]", "step": "int64", "in_day": bool,
             "in_week": bool, "is_final": bool} | dict.fromkeys(("predicted_kwh", "lower_kwh", "upper_kwh",
                                                                 "actual_kwh"), float)
    return pd.DataFrame(columns=columns).astype(types)


def _backtests(jobs: list[tuple], models: Mapping[str, Callable[[], HourlyForecaster]] | None, kwargs: dict,
               n_jobs: int, scheduler: str = "", progress: Callable[[str], None] | None = None
               ) -> tuple[pd.DataFrame, dict, dict, dict, dict, dict]:
    """Every series' backtest (in ``n_jobs`` processes, or on the Dask cluster of ``scheduler``): all forecasts
    (machine_id, energy_type first), the MASE scales, the per-model infos, the wall and CPU seconds per series,
    and the error of each series that raised."""
    results = run_each(_series_job, [(k, f, u, z, models, kwargs) for k, f, u, z in jobs], n_jobs=n_jobs,
                       scheduler=scheduler, progress=progress)
    parts, scales, infos, seconds, cpu, errors = [], {}, {}, {}, {}, {}
    for (mid, etype), res, (sec, cpu_sec), error in results:
        if res is None:
            errors[(mid, etype)] = error
            continue
        fc = res["forecasts"]
        fc.insert(0, "machine_id", mid)
        fc.insert(1, "energy_type", etype)
        parts.append(fc)
        scales[(mid, etype)] = res["scale"]
        infos[f"{mid}/{etype}"] = res["info"]
        seconds[f"{mid}/{etype}"] = round(sec, 2)
        cpu[f"{mid}/{etype}"] = round(cpu_sec, 2)
    fc = pd.concat(parts, ignore_index=True) if parts else _no_forecasts()
    return fc, scales, infos, seconds, cpu, errors


def _why(infos: Mapping[str, Mapping[str, Mapping[str, object]]], scales: Mapping[tuple[str, str], float],
         key: tuple[str, str]) -> str:
    """Why a series that ran has no chosen model: how many models failed and the first failure, or a MASE scale
    that scores nothing (a constant history)."""
    models = infos.get("/".join(key), {})
    failed = [(name, info["failures"][0]) for name, info in models.items() if info.get("failures")]
    if failed:
        return f" ({len(failed)} of {len(models)} models failed; {failed[0][0]} at {failed[0][1]})"
    scale = scales.get(key, math.nan)
    return "" if math.isfinite(scale) and scale > 0 else f" (MASE scale {scale:g} kWh: no error to scale by)"


def series_status(machines: pd.DataFrame, inputs: pd.DataFrame, end: pd.Timestamp, selection: pd.DataFrame,
                  short: Mapping[tuple[str, str], str], errors: Mapping[tuple[str, str], str],
                  infos: Mapping[str, Mapping[str, Mapping[str, object]]],
                  scales: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    """The step's ``status`` (:data:`STATUS_COLUMNS`) of every machine × declared energy type (``energy_types``;
    without that column, the series of ``inputs``), in ``machines`` order: 'forecast' when a model was chosen;
    'not forecast' with no readings or a short history (``short``); 'failed' when its backtest raised
    (``errors``) or no model gave a scored day-ahead forecast (the failures in ``infos``, or its MASE scale)."""
    first = inputs.groupby(["machine_id", "energy_type"])["bucket"].min()
    chosen = set(map(tuple, selection[["machine_id", "energy_type"]].to_numpy().tolist()))
    names = (machines.set_index("machine_id")["machine_name"] if "machine_name" in machines.columns
             else pd.Series(machines["machine_id"].to_numpy(), index=machines["machine_id"]))
    declared = ([(str(m), e) for m, types in zip(machines["machine_id"], machines["energy_types"], strict=True)
                 for e in types] if "energy_types" in machines.columns else list(first.index))
    rows = []
    for key in declared:
        label = f"{names[key[0]]} ({key[1]})"
        if key in chosen:
            status, reason = "forecast", ""
        elif key not in first.index:
            status, reason = "not forecast", "no readings"
        elif key in short:
            status, reason = "not forecast", short[key]
        elif key in errors:
            status, reason = "failed", f"{label}: {errors[key]}"
        else:
            status, reason = "failed", f"{label}: no model gave a scored day-ahead forecast{_why(infos, scales, key)}"
        days = (end - first[key]) / pd.Timedelta(days=1) if key in first.index else 0.0
        rows.append({"machine_id": key[0], "machine_name": names[key[0]], "energy_type": key[1], "status": status,
                     "reason": reason, "history_days": round(float(days), 1)})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def _mark_chosen(frame: pd.DataFrame, selection: pd.DataFrame) -> np.ndarray:
    chosen = set(map(tuple, selection[["machine_id", "energy_type", "model_name"]].to_numpy().tolist()))
    return np.array([(m, e, n) in chosen for m, e, n in frame[["machine_id", "energy_type", "model_name"]]
                     .itertuples(index=False)], dtype=bool)  # typed: an empty frame still filters by it


def _overall(fc: pd.DataFrame, scales: Mapping[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    """Pooled figures over the chosen models of all series: MASE = mean of |error| / series scale, coverage
    and bias over all scored hours."""
    out = {}
    for kind, flag in (("day_ahead", "in_day"), ("week_ahead", "in_week")):
        g = fc[fc[flag]]
        m = forecast_metrics(g["actual_kwh"], g["predicted_kwh"], g["lower_kwh"], g["upper_kwh"])
        s = np.array([scales[(a, b)] for a, b in g[["machine_id", "energy_type"]].itertuples(index=False)])
        err = np.abs(g["predicted_kwh"].to_numpy(float) - g["actual_kwh"].to_numpy(float)) / s
        m["mase"] = float(np.nanmean(err)) if len(err) else math.nan
        out[kind] = m
    return out


def _summary(end: pd.Timestamp, metrics: pd.DataFrame, backtest: pd.DataFrame, scales: Mapping, infos: Mapping,
             seconds: Mapping, cpu: Mapping, *, schedule_weeks: int, temperature_days: int,
             holidays: object) -> dict[str, object]:
    """Median day-ahead MASE of the chosen models, pooled coverage and MASE, targets, timings per series,
    failures, notes."""
    overall = _overall(backtest[backtest["chosen"]], scales)
    chosen_day = metrics[metrics["chosen"] & (metrics["kind"] == "day_ahead")]
    elec = chosen_day[chosen_day["energy_type"] == "electricity"]
    summary: dict[str, object] = {
        "end": end.isoformat(),
        "series": int(len(scales)),
        "median_day_ahead_mase": float(chosen_day["mase"].median()),
        "median_day_ahead_mase_electricity": float(elec["mase"].median()) if len(elec) else None,
        "day_ahead_coverage": overall["day_ahead"]["coverage"],
        "week_ahead_coverage": overall["week_ahead"]["coverage"],
        "overall": overall,
        "targets": {"median_day_ahead_mase_max": MASE_TARGET, "coverage_range": list(COVERAGE_TARGET)},
        "series_seconds": seconds,
        "series_cpu_seconds": cpu,
        "failures": {k: {n: v["failures"] for n, v in info.items() if v["failures"]} for k, info in infos.items()
                     if any(v["failures"] for v in info.values())},
        "scale_window": "every hour from the start of the data to the first scored day-ahead origin of the series",
        "temperature": "backtest: measured temperature stands in for a weather forecast (perfect forecast); "
        f"forecast from the end: mean of the last {temperature_days} days per local hour",
        "schedule": "planned schedule from the operating-mode history, fault counted as planned running; "
        f"beyond the end: mean plan of the last {schedule_weeks} weeks per local hour of week"
        + (", holidays offline" if holidays else ""),
    }
    summary["meets_targets"] = bool(
        summary["median_day_ahead_mase"] <= MASE_TARGET
        and COVERAGE_TARGET[0] <= (summary["day_ahead_coverage"] or 0) <= COVERAGE_TARGET[1]
    )
    return summary


def _with_closures(schedule: pd.DataFrame, holidays: Mapping[str, Iterable[date]] | None, machines: pd.DataFrame,
                   unplanned: list[str], start: pd.Timestamp, end: pd.Timestamp,
                   closures: Mapping[str, Iterable[date]] | None) -> tuple[pd.DataFrame, dict]:
    """The schedule with the inferred plan of the machines without a mode history, and the holidays of the future
    plan with their closure days (their factory's holidays kept: a machine's own dates replace its factory's)."""
    inferred = inferred_schedule(machines, unplanned, start, end, closures)
    factory_of = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    merged = dict(holidays or {})
    for mid in unplanned:
        merged[mid] = {*(closures or {}).get(mid, ()), *merged.get(mid, merged.get(factory_of.get(mid), ()))}
    return (pd.concat([schedule, inferred], ignore_index=True) if len(schedule) else inferred), merged


def run(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    mode_hourly: pd.DataFrame,
    temperature: pd.DataFrame,
    *,
    factories: pd.DataFrame | None = None,
    energy_15min: pd.DataFrame | None = None,
    end: object | None = None,
    models: Mapping[str, Callable[[], HourlyForecaster]] | None = None,
    refit_days: Mapping[str, int | None] | None = None,
    backtest_days: int = 28,
    calibration_days: int = 28,
    week_origins: int = 4,
    schedule_weeks: int = 4,
    temperature_days: int = 7,
    holidays: Mapping[str, Iterable[date]] | None = None,
    closures: Mapping[str, Iterable[date]] | None = None,
    n_jobs: int = N_JOBS,
    scheduler: str = "",
    progress: Callable[[str], None] | None = None,
) -> ForecastRun:
    """The forecast step for a plant: inputs, backtest of every model on every series, selection, forecasts of
    24 h and 168 h from ``end`` (default: the last energy hour + 1 h) and, given ``energy_15min``, the next
    local day's peak 15-minute demand per factory. ``temperature``: hourly outdoor temperature per machine
    (bucket, machine_id, avg_outdoor_temp_c; e.g. quality's temperature_hourly). ``holidays``: local closing
    dates per machine_id or factory_id for the future plan; by default the ``factories``' calendars
    (``enms.calendars``) of the years around ``end``. ``n_jobs``: series in parallel (joblib), or on the Dask
    cluster of ``scheduler``, telling ``progress`` (:func:`enms.parallel.run_each`). Each series on its
    own: one without readings, with a history shorter than the backtest needs, or whose backtest fails gets its
    status row (``status``) and the selection, forecasts and peak demand go on with the others. A machine
    without a mode history is planned running but on its ``closures`` (machine_id → local dates, quality's
    closure days), offline then, in the past and in the future plan (with its factory's holidays).
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    machines = machines.assign(machine_id=machines["machine_id"].astype(str))
    zones = machine_timezones(machines)
    schedule = planned_schedule(mode_hourly)
    inputs = forecast_inputs(energy_hourly, machines, schedule, temperature, end=end)
    if inputs.empty:
        raise ValueError("no energy series to forecast")
    end = utc_instant(end, "end") if end is not None else inputs["bucket"].max() + HOUR
    if holidays is None and factories is not None:
        holidays = factory_holidays(factories, range(end.year - 1, end.year + 2))
    unplanned = sorted(set(inputs["machine_id"]) - set(schedule["machine_id"]))
    if unplanned:
        schedule, holidays = _with_closures(schedule, holidays, machines, unplanned, inputs["bucket"].min(), end,
                                            closures)
        inputs = forecast_inputs(energy_hourly, machines, schedule, temperature, end=end)
    future = _future_inputs(schedule, temperature, machines, end, schedule_weeks=schedule_weeks,
                            temperature_days=temperature_days, holidays=holidays)
    kwargs = {"end": end, "backtest_days": backtest_days, "calibration_days": calibration_days,
              "week_origins": week_origins, "refit_days": refit_days}
    jobs, short = _series_jobs(inputs, future, zones, end, backtest_days=backtest_days,
                               calibration_days=calibration_days)
    fc, scales, infos, seconds, cpu, errors = _backtests(jobs, models, kwargs, n_jobs, scheduler, progress)
    metrics = metrics_table(fc, scales)
    selection = select_models(metrics)
    status = series_status(machines, inputs, end, selection, short, errors, infos, scales)
    metrics["chosen"] = _mark_chosen(metrics, selection)
    fc["chosen"] = _mark_chosen(fc, selection)
    final = fc[fc["is_final"]].drop(columns=["actual_kwh", "in_day", "in_week", "is_final"]).reset_index(drop=True)
    final["horizon"] = horizon_label(final["step"])
    final["training_samples"] = [infos[f"{m}/{e}"].get(n, {}).get("training_samples") for m, e, n in
                                 final[["machine_id", "energy_type", "model_name"]].itertuples(index=False)]
    backtest = fc[~fc["is_final"]].drop(columns=["is_final"]).reset_index(drop=True)
    summary = _summary(end, metrics, backtest, scales, infos, seconds, cpu, schedule_weeks=schedule_weeks,
                       temperature_days=temperature_days, holidays=holidays)
    peak = None
    if energy_15min is not None:
        electricity = fc[fc["chosen"] & (fc["energy_type"] == "electricity")]
        # the factory's peak over the machines forecast: one without a forecast would be in the actual peaks only
        peak = peak_demand_forecast(electricity, energy_15min,
                                    machines[machines["machine_id"].isin(electricity["machine_id"])], end=end)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    # CPU of this process plus the series jobs (in worker processes when n_jobs > 1 or on a cluster): the cost of
    # the step, independent of what else runs on the machine.
    own = time.process_time() - cpu_started
    summary["cpu_seconds"] = round(own + (sum(cpu.values()) if n_jobs != 1 or scheduler else 0.0), 1)
    return ForecastRun(backtest=backtest, metrics=metrics, selection=selection, forecasts=final, summary=summary,
                       models=infos, peak_demand=peak, status=status)
