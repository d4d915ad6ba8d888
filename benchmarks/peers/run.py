"""The peers of the real-data benchmark, run with benchmarks/peers/.venv/bin/python (never the project's venv):
eemeter 4.1.1's ``hourly``, ``daily`` and ``hourly_caltrack`` baselines fitted on the same 365 days and predicting
the next 90, and statsforecast 2.1.1's SeasonalNaive(168), AutoETS(24) and MSTL(24, 168) forecasting 24 h from the
same 28 local midnights, each from the data before it, with 90 % intervals (refitted weekly, moved forward
daily).

Reads the meter and temperature CSVs and windows.json that benchmarks/real/samples.py wrote (the files
``enms import`` read) and writes, per meter, ``<out>/<meter>/peers.json`` (seconds and errors per model) with
the predictions beside it: ``baseline-<model>.csv`` (time, predicted kWh; hourly UTC hours or local days) and
``forecast.csv`` (model, origin, bucket, predicted, lower, upper). The scoring is the project's (one code for
ours and theirs): this script only predicts.

Usage: run.py DATA_DIR (data/bench-real)
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

DAY_AHEAD = 24
ORIGINS = 28
REFIT_DAYS = 7


def _series(data: Path, meter: str, info: dict) -> tuple[pd.Series, pd.Series]:
    """Hourly energy (kWh, sum of the hour's readings; NaN for an incomplete hour) and hourly temperature (°F),
    both indexed by UTC hour over the window."""
    e = pd.read_csv(data / f"{meter}-meter.csv")
    e.index = pd.to_datetime(e["timestamp"], utc=True)
    per_hour = e["value"].resample("h").agg(["sum", "count"])
    expected = int(round(pd.Timedelta(hours=1) / e.index.to_series().diff().median()))
    energy = per_hour["sum"].where(per_hour["count"] == expected)
    t = pd.read_csv(data / f"{meter}-temperature.csv")
    t.index = pd.to_datetime(t["timestamp"], utc=True)
    temp = t["temperature"].resample("h").mean()
    if info["timezone"] == "Europe/London":  # the UK files are in °C, eemeter wants °F
        temp = temp * 9 / 5 + 32
    hours = pd.date_range(info["start"], info["end"], freq="h", inclusive="left")
    return energy.reindex(hours), temp.reindex(hours).interpolate(limit=6)


def _timed(results: dict, name: str, fn) -> object:
    started = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, the others go on
        results[name] = {"seconds": round(time.perf_counter() - started, 2), "error": f"{type(exc).__name__}: {exc}",
                         "trace": traceback.format_exc(limit=3)}
        return None
    results[name] = {"seconds": round(time.perf_counter() - started, 2), "error": ""}
    return out


def _eemeter(energy: pd.Series, temp: pd.Series, info: dict, electricity: bool, out: Path, results: dict) -> None:
    from eemeter import eemeter as em

    zone = info["timezone"]
    mid = pd.Timestamp(info["mid"])
    local_e, local_t = energy.tz_convert(zone), temp.tz_convert(zone)
    base = local_e.index < mid.tz_convert(zone)
    kinds = {
        "eemeter_hourly": (em.HourlyBaselineData, em.HourlyReportingData, em.HourlyModel),
        "eemeter_hourly_caltrack": (em.HourlyCaltrackBaselineData, em.HourlyCaltrackReportingData,
                                    em.HourlyCaltrackModel),
        "eemeter_daily": (em.DailyBaselineData, em.DailyReportingData, em.DailyModel),
    }
    for name, (baseline_cls, reporting_cls, model_cls) in kinds.items():
        def fit_predict(baseline_cls=baseline_cls, reporting_cls=reporting_cls, model_cls=model_cls) -> pd.Series:
            if baseline_cls is em.HourlyBaselineData:  # the new hourly model takes one frame, no from_series
                frame = pd.DataFrame({"observed": local_e, "temperature": local_t})
                baseline = baseline_cls(frame[base], is_electricity_data=electricity)
                reporting = reporting_cls(frame[~base], is_electricity_data=electricity)
            else:
                baseline = baseline_cls.from_series(local_e[base], local_t[base], is_electricity_data=electricity)
                reporting = reporting_cls.from_series(local_e[~base], local_t[~base],
                                                      is_electricity_data=electricity)
            model = model_cls()
            if model_cls is em.HourlyCaltrackModel:
                model.fit(baseline)
                predicted = model.predict(reporting)
            else:
                model.fit(baseline, ignore_disqualification=True)
                predicted = model.predict(reporting, ignore_disqualification=True)
            return predicted["predicted"]

        predicted = _timed(results, name, fit_predict)
        if predicted is not None:
            index = predicted.index
            stamps = (index.tz_localize(None).strftime("%Y-%m-%d") if name == "eemeter_daily"
                      else index.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S+00:00"))
            pd.DataFrame({"time": stamps, "predicted": predicted.to_numpy(float)}).to_csv(
                out / f"baseline-{name}.csv", index=False)


def _origins(info: dict) -> list[pd.Timestamp]:
    """The 28 local midnights from the end of the baseline (UTC instants)."""
    mid = pd.Timestamp(info["mid"]).tz_convert(info["timezone"]).tz_localize(None)
    return [(mid + pd.Timedelta(days=k)).tz_localize(info["timezone"]).tz_convert("UTC") for k in range(ORIGINS)]


def _statsforecast(energy: pd.Series, info: dict, out: Path, results: dict) -> None:
    """Each model refitted every :data:`REFIT_DAYS` origins (as statsforecast's ``cross_validation(refit=7)``
    does, and as our STL-ETS is) and moved forward with ``forward`` (same parameters, the data up to the
    origin) in between."""
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    models = {"SeasonalNaive": lambda: SeasonalNaive(season_length=168),
              "AutoETS": lambda: AutoETS(season_length=24),
              "MSTL": lambda: MSTL(season_length=[24, 168])}
    # statsforecast refuses gaps: an incomplete hour is interpolated in the history it is given (never scored)
    filled = energy.interpolate(limit_direction="both")
    frames = []
    for name, make in models.items():
        def walk(make=make) -> pd.DataFrame:
            parts, model = [], make()
            for k, origin in enumerate(_origins(info)):
                y = filled[filled.index < origin].to_numpy(float)
                if k % REFIT_DAYS == 0:
                    fc = model.fit(y=y).predict(h=DAY_AHEAD, level=[90])
                else:
                    fc = model.forward(y=y, h=DAY_AHEAD, level=[90])
                parts.append(pd.DataFrame({
                    "origin": origin, "bucket": pd.date_range(origin, periods=DAY_AHEAD, freq="h"),
                    "predicted": fc["mean"], "lower": fc["lo-90"], "upper": fc["hi-90"]}))
            return pd.concat(parts, ignore_index=True)

        fc = _timed(results, name, walk)
        if fc is not None:
            frames.append(fc.assign(model=name))
    if frames:
        pd.concat(frames, ignore_index=True).to_csv(out / "forecast.csv", index=False)


def main(data: Path) -> None:
    windows = json.loads((data / "windows.json").read_text())
    for meter, info in windows.items():
        out = data / meter
        out.mkdir(parents=True, exist_ok=True)
        energy, temp = _series(data, meter, info)
        results: dict[str, dict] = {}
        _eemeter(energy, temp, info, "electricity" in meter, out, results)
        _statsforecast(energy, info, out, results)
        (out / "peers.json").write_text(json.dumps({"meter": meter, "models": results}, indent=1))
        print(meter, {k: (v["seconds"], v["error"][:80]) for k, v in results.items()}, flush=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(Path(sys.argv[1]))
