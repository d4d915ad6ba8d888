"""Benchmarks of the foundation's performance targets (run with `make bench`).

- demo plant generation (default: 400 days, 1-minute, 8 machines): seconds and peak memory (target 60 s, 2 GB);
- `make run` cold (no products; target ≤ 90 s, issue 12) with its seconds per step, and warm (nothing changed:
  target ≤ 5 s), and Ploomber's own up-to-date check.
Figures are printed, and written to products/bench.json. The fleet benchmark is benchmarks/fleet.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from fleet import run_measured, step_seconds

ROOT = Path(__file__).resolve().parents[1]
ENMS = ROOT / ".venv" / "bin" / "enms"


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        seconds, peak, _ = run_measured([str(ENMS), "demo", "--out", str(Path(folder) / "bench.duckdb")])
    results["demo_generation_s"], results["demo_peak_rss_mb"] = round(seconds, 1), round(peak)
    print(f"demo plant (400 days, 1 min, 8 machines): {seconds:.1f} s, peak RSS {peak:.0f} MB")

    subprocess.run(["rm", "-rf", "products/demo", "products/.run-demo"], cwd=ROOT, check=True)
    cold, _, output = run_measured(["make", "run"])
    results["make_run_cold_s"], results["cold_steps_s"] = round(cold, 1), step_seconds(output)
    print("cold pipeline, seconds per step:", results["cold_steps_s"])
    results["make_run_warm_s"] = round(run_measured(["make", "run"])[0], 1)
    # The same check by Ploomber, as after a file was touched without changing it (no step reruns).
    results["ploomber_up_to_date_s"] = round(run_measured(["make", "pipeline"])[0], 1)
    print(f"make run: cold {results['make_run_cold_s']} s, warm {results['make_run_warm_s']} s; Ploomber finding "
          f"everything up to date {results['ploomber_up_to_date_s']} s")
    out = ROOT / "products" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    ok = (results["demo_generation_s"] <= 60 and results["demo_peak_rss_mb"] <= 2048
          and results["make_run_cold_s"] <= 90 and results["make_run_warm_s"] <= 5)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
