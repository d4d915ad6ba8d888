"""Anomaly detection on the demo plant, evaluated against the simulator's fault truth at the event level.

Usage: .venv/bin/python benchmarks/anomaly_evaluation.py [--products products/demo] [--expected PATH]

Reads the extract and quality products and the baselines step's ``expected_hourly`` (default
``<products>/baselines/expected_hourly.parquet``), fits the
detectors on the baseline year's eligible hours, detects over the whole data, evaluates over the whole data and
over the reporting period (the old method fitted and scored on each window), and prints the comparison table
per detector and per fault type, the targets reached or missed, and the seconds. Truth is used for evaluation
only: no threshold reads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from enms import anomalies
from enms.io.products import load_frames


def run(products: Path, expected_path: Path | None) -> dict:
    t0 = time.perf_counter()
    extract = load_frames(products / "extract")
    quality = load_frames(products / "quality", ["normal_mask"])
    expected = pd.read_parquet(expected_path or products / "baselines" / "expected_hourly.parquet")
    t_load = time.perf_counter()
    result = anomalies.run(extract, quality, expected)
    return {"result": result, "seconds": {"load": t_load - t0, "detect_and_evaluate": time.perf_counter() - t_load,
                                          "total": time.perf_counter() - t0}}


def _fmt(table: pd.DataFrame) -> str:
    cols = ["n_truth", "detected", "recall", "n_detections", "true_detections", "precision", "f1", "false_alarms",
            "false_alarms_per_machine_month", "median_delay_h"]
    out = table[["detector", *cols]].rename(columns={"false_alarms_per_machine_month": "fa_per_mm",
                                                     "true_detections": "tp_det", "n_detections": "n_det",
                                                     "median_delay_h": "delay_h"})
    return out.to_string(index=False, float_format=lambda v: f"{v:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=Path, default=Path("products/demo"))
    parser.add_argument("--expected", type=Path, default=None)
    args = parser.parse_args(argv)
    outcome = run(args.products, args.expected)
    result = outcome["result"]
    table = result.evaluation
    pd.set_option("display.width", 200)
    for wname in ("whole", "reporting"):
        w = table[table["window"] == wname]
        print(f"\n=== window: {wname} ===")
        print("-- per detector, all truth events (recall) / all detections (precision) --")
        print(_fmt(w[w["subset"] == "all"]))
        print("-- per detector, TARGET truth events (power effect >= 10 %, >= 2 h) --")
        print(_fmt(w[w["subset"] == "target"]))
        print("-- recall by fault type (detected/n; median delay h) --")
        ft = w[~w["subset"].isin(["all", "target"])]
        pivot = ft.assign(cell=ft["detected"].astype(str) + "/" + ft["n_truth"].astype(str) + " ("
                          + ft["median_delay_h"].map(lambda v: "-" if pd.isna(v) else f"{v:.0f}h") + ")")
        print(pivot.pivot(index="subset", columns="detector", values="cell").to_string())
    print("\n-- targets (combined list) --")
    print(anomalies.targets_table(table).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    kept = result.incidents
    print(f"\ncombined incidents: {len(kept)} kept, {len(result.suppressed)} suppressed (machine in maintenance)")
    top = kept.sort_values("wasted_cost", ascending=False).head(8)
    names = load_frames(args.products / "extract", ["machines"])["machines"].set_index("machine_id")["machine_name"]
    print(top.assign(machine=top["machine_id"].map(names))[
        ["machine", "energy_type", "start", "hours", "anomaly_type", "severity", "z", "confidence", "wasted_kwh",
         "wasted_cost", "currency", "detectors"]].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    s = outcome["seconds"]
    print(f"\nseconds: load {s['load']:.2f}, detection and evaluation {s['detect_and_evaluate']:.2f}, "
          f"total {s['total']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
