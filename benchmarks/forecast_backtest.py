"""Forecast step on the demo plant: backtest of every model on every series + forecasts from the end of the data.

Reads the extract and quality products of products/demo (run `make run` first), runs
`enms.forecasts.run` and prints the backtest table per series and model (day-ahead and week-ahead
MASE, NRMSE, bias, 90 % interval coverage, the chosen model), the median day-ahead MASE, the overall coverage,
the next-day peak demand per factory and the seconds. Target: ≤ 120 s on 2 cores; median day-ahead MASE ≤ 0.85
and day-ahead coverage in [85 %, 95 %]. Figures are also written to products/forecast_bench.json.

Usage: .venv/bin/python benchmarks/forecast_backtest.py [--products products/demo] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from enms import forecasts as fx
from enms.io.products import load_frames
from enms.settings import N_JOBS

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", default=str(ROOT / "products" / "demo"))
    parser.add_argument("--n-jobs", type=int, default=N_JOBS)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    products = Path(args.products)
    frames = load_frames(products / "extract", ["machines", "factories", "energy_hourly", "energy_15min",
                                                "mode_hourly"])
    temperature = load_frames(products / "quality", ["temperature_hourly"])["temperature_hourly"]
    machines = frames["machines"]
    loaded = time.perf_counter() - started
    cpu_loading = time.process_time() - cpu_started

    run = fx.run(frames["energy_hourly"], machines, frames["mode_hourly"], temperature,
                 factories=frames["factories"], energy_15min=frames["energy_15min"], n_jobs=args.n_jobs)
    seconds = time.perf_counter() - started

    names = dict(zip(machines["machine_id"].astype(str), machines["machine_name"], strict=True))
    m = run.metrics.assign(machine=run.metrics["machine_id"].map(names))
    m["chosen"] = np.where(m["chosen"], "<-", "")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 200)
    cols = ["machine", "energy_type", "model_name", "mase", "nrmse", "bias_kwh", "bias_pct", "coverage", "n",
            "chosen"]
    for kind in ("day_ahead", "week_ahead"):
        t = m[m["kind"] == kind][cols].sort_values(["machine", "energy_type", "model_name"])
        print(f"\n== backtest {kind}: per series and model (MASE scale: in-sample MAE of the 168-h seasonal naive "
              "before the first day-ahead origin; bias = forecast - actual; coverage of the 90 % interval)")
        print(t.round(3).to_string(index=False))
    s = run.summary
    print(f"\nmedian day-ahead MASE (chosen, {s['series']} series): {s['median_day_ahead_mase']:.3f}"
          f"  (electricity series only: {s['median_day_ahead_mase_electricity']:.3f}; target <= 0.85)")
    print(f"overall 90 % coverage: day-ahead {s['day_ahead_coverage']:.3f}, week-ahead {s['week_ahead_coverage']:.3f}"
          " (target 0.85-0.95)")
    print(f"pooled MASE: day-ahead {s['overall']['day_ahead']['mase']:.3f}, "
          f"week-ahead {s['overall']['week_ahead']['mase']:.3f}")
    if s["failures"]:
        print("failures:", json.dumps(s["failures"], indent=1)[:2000])
    if run.peak_demand is not None and not run.peak_demand.empty:
        p = run.peak_demand
        scored = p[p["actual_peak_kw"].notna()]
        err = (scored["predicted_peak_kw"] - scored["actual_peak_kw"]).abs() / scored["actual_peak_kw"]
        inside = (scored["actual_peak_kw"] >= scored["lower_kw"]) & (scored["actual_peak_kw"] <= scored["upper_kw"])
        print(f"\n== next-day peak 15-min demand per factory: backtest MAPE {100 * err.mean():.1f} % over "
              f"{len(scored)} factory-days, interval coverage {inside[scored['lower_kw'].notna()].mean():.2f}")
        print(p[p["origin"] == p["origin"].max()].round({"predicted_peak_kw": 1, "lower_kw": 1, "upper_kw": 1,
                                                         "ratio": 3}).to_string(index=False))
    f = run.forecasts
    print(f"\nforecasts from {s['end']}: {len(f)} rows ({f['model_name'].nunique()} models x "
          f"{f.groupby(['machine_id', 'energy_type']).ngroups} series x 168 h)")
    cpu = cpu_loading + s["cpu_seconds"]
    print(f"seconds: {seconds:.1f} wall (loading {loaded:.1f}, forecasting {s['seconds']}; target <= 120); "
          f"{cpu:.1f} CPU-seconds over {args.n_jobs} job(s); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after (other processes share the 2 cores)")
    out = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
           **{k: v for k, v in s.items() if k not in ("series_seconds", "series_cpu_seconds")},
           "table": m[cols + ["kind"]].round(4).to_dict("records")}
    (ROOT / "products").mkdir(exist_ok=True)
    (ROOT / "products" / "forecast_bench.json").write_text(json.dumps(out, indent=2, default=str))
    ok = seconds <= 120 and s["meets_targets"]
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
