"""The fleet benchmark (issue 12): `enms demo --fleet N` and the whole pipeline on it, for several N.

Per fleet size: the generation's seconds and peak memory, the pipeline's wall seconds, seconds per step and peak
memory (the largest process of the run: a step's kernel or its workers), and baseline fits per second (every
candidate's cross-validation folds, hold-out and final fit, over the baselines step's seconds), beside eemeter's
hourly model fit from the real-data benchmark (`make bench-real`) where it has run. Warehouses go to
data/fleet-N.duckdb (rebuilt each time: the generation is measured too), products to products/fleet-N/.

    .venv/bin/python benchmarks/fleet.py 100 300 1000     (make bench runs it with FLEET, default 100 300 1000)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
TARGETS = {"machines": 1000, "generation_s": 60, "generation_mb": 4096, "pipeline_s": 300, "pipeline_mb": 6144}
"""Issue 12's targets at 1,000 machines on 2 cores."""
_STEP_LINE = re.compile(r"^(\S+)\s+True\s+([\d.]+)\s+[\d.]+\s*$")


# Runs a command and prints its largest process's peak memory last: measured in a fresh process per command, so
# one run's peak is never an earlier run's.
_PEAK = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
         "print('peak_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (MB, the largest process the command ran) and output of a command; its
    output lines are echoed as they come, so a long run shows its progress."""
    started = time.perf_counter()
    lines = []
    with subprocess.Popen([sys.executable, "-c", _PEAK, *command], cwd=ROOT, env={**os.environ, **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            lines.append(line)
            print("   ", line.rstrip(), flush=True)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, "".join(lines[-30:]))
    seconds = time.perf_counter() - started
    return seconds, int(lines[-1].split()[1]) / 1024, "".join(lines[:-1])


def step_seconds(output: str) -> dict[str, float]:
    """Seconds per step from Ploomber's build table (the rows of the steps that ran)."""
    steps = {}
    for line in output.splitlines():
        match = _STEP_LINE.match(line.strip())
        if match:
            name = "report" if match.group(1).startswith("report-") else match.group(1)
            steps[name] = round(steps.get(name, 0.0) + float(match.group(2)), 1)
    return steps


def baseline_fits(products: Path) -> int:
    """Model fits the baselines step made: per fitted candidate its cross-validation folds, the hold-out fit and
    the final fit on the whole baseline."""
    folds = pd.read_parquet(products / "baselines" / "cv_folds.parquet")
    candidates = pd.read_parquet(products / "baselines" / "candidates.parquet")
    fitted = int((candidates["error"].fillna("") == "").sum())
    return len(folds) + 2 * fitted


def eemeter_fit_seconds() -> str:
    """eemeter's hourly model seconds per meter from the real-data benchmark's results, or why there are none."""
    results = ROOT / "data" / "bench-real" / "results.json"
    if not results.is_file():
        return "not measured here (run `make bench-real`)"
    seconds = [columns["eemeter_hourly"]["seconds"] for meter in json.loads(results.read_text()).values()
               if "seconds" in (columns := meter["columns"]).get("eemeter_hourly", {})]
    return f"{min(seconds):.2f}-{max(seconds):.2f} s per meter-year" if seconds else "no eemeter_hourly timing"


def bench_fleet(size: int) -> dict[str, object]:
    """Generate a fleet of ``size`` machines and run the whole pipeline on it cold."""
    warehouse = ROOT / "data" / f"fleet-{size}.duckdb"
    print(f"== enms demo --fleet {size}", flush=True)
    seconds, peak, _ = run_measured([str(BIN / "enms"), "demo", "--fleet", str(size), "--out", str(warehouse),
                                     "--force"])
    row: dict[str, object] = {"machines": size, "generation_s": round(seconds, 1), "generation_mb": round(peak)}
    products = ROOT / "products" / warehouse.stem
    subprocess.run(["rm", "-rf", str(products)], check=True)
    print(f"== the pipeline on {warehouse.name}", flush=True)
    seconds, peak, output = run_measured(
        [str(BIN / "ploomber"), "build", "--entry-point", "enms.pipeline.make", "--env", "demo"],
        env={"ENMS_WAREHOUSE": f"duckdb:{warehouse}"})
    steps = step_seconds(output)
    fits = baseline_fits(products)
    row |= {"pipeline_s": round(seconds, 1), "pipeline_mb": round(peak), "steps": steps, "baseline_fits": fits,
            "fits_per_s": round(fits / steps["baselines"], 1) if steps.get("baselines") else None}
    return row


def table(rows: list[dict[str, object]]) -> str:
    """The bench's rows as a markdown table: one line per fleet size, seconds per step, per machine at the end."""
    steps = list(dict.fromkeys(step for row in rows for step in row["steps"]))
    head = ["machines", "generate s", "generate MB", "pipeline s", "s/machine", "peak MB", *steps, "fits/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["machines"], row["generation_s"], row["generation_mb"],
                 row["pipeline_s"], round(row["pipeline_s"] / row["machines"], 2), row["pipeline_mb"],
                 *(row["steps"].get(step, "") for step in steps), row["fits_per_s"]]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main(sizes: list[int]) -> int:
    rows = [bench_fleet(size) for size in sizes]
    text = "\n\n".join([
        "# Fleet benchmark (2 cores)", table(rows),
        f"Baseline fits per second: every candidate's CV folds, hold-out and final fit over the baselines step's "
        f"seconds. eemeter 4.1.1's hourly model: {eemeter_fit_seconds()}.",
        "Targets at 1,000 machines: generation <= 60 s and 4 GB, pipeline <= 300 s and 6 GB."])
    print(text)
    out = ROOT / "products" / "bench-fleet.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    (ROOT / "products" / "bench-fleet.md").write_text(text + "\n")
    big = [row for row in rows if row["machines"] == TARGETS["machines"]]
    met = all(row[key] <= TARGETS[key] for row in big for key in TARGETS if key != "machines")
    print("targets at 1,000 machines met" if big and met else
          "TARGETS MISSED" if big else "no 1,000-machine run: targets not checked")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main([int(size) for size in sys.argv[1:]] or [100, 300, 1000]))
