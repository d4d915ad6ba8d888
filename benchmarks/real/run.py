"""The real-data benchmark (``make bench-real``; not part of ``make test``): eemeter 4.1.1's bundled hourly
samples imported through ``enms import``, our baselines and forecasters against eemeter's baselines and
statsforecast's forecasters on the same windows, one table (data/bench-real/results.md, printed).

Steps: :mod:`samples` (wheel, CSVs, one DuckDB per meter), the peers in their own virtualenv
(benchmarks/peers/setup.sh, benchmarks/peers/run.py: predictions only), :mod:`ours`, then :mod:`scores` scores
both sides with the same code. The peers run first and alone, so the seconds of each side are not shared CPU.

Usage: run.py [--skip-peers] (reuse the peers' last predictions)
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ours  # noqa: E402
import samples  # noqa: E402
import scores  # noqa: E402

PEERS = samples.ROOT / "benchmarks" / "peers"
BASELINE_PEERS = ("eemeter_hourly", "eemeter_hourly_caltrack", "eemeter_daily")
FORECAST_PEERS = ("SeasonalNaive", "AutoETS", "MSTL")
BASELINE_METRICS = ("cv_rmse_h", "nmbe_h", "cv_rmse_d", "nmbe_d")
FORECAST_METRICS = ("mase", "nrmse", "coverage")


def run_peers() -> None:
    """Install the peers' virtualenv if absent, then predict with every peer on every meter."""
    subprocess.run(["bash", str(PEERS / "setup.sh")], check=True)
    subprocess.run([str(PEERS / ".venv" / "bin" / "python"), str(PEERS / "run.py"), str(samples.OUT)], check=True)


def _peer_baseline(folder: Path, name: str) -> tuple[pd.Series | None, pd.Series | None]:
    path = folder / f"baseline-{name}.csv"
    if not path.is_file():
        return None, None
    frame = pd.read_csv(path)
    if name == "eemeter_daily":
        return None, pd.Series(frame["predicted"].to_numpy(float), index=frame["time"].astype(str))
    return pd.Series(frame["predicted"].to_numpy(float),
                     index=pd.DatetimeIndex(pd.to_datetime(frame["time"], utc=True)).as_unit("ns")), None


def score_meter(slug: str, window: dict[str, str]) -> dict[str, object]:
    """Ours and the peers' figures of one meter: {column: {metric: value}}, with seconds and notes."""
    folder = samples.OUT / slug
    mine = ours.run_meter(samples.OUT / f"{slug}.duckdb", folder, window)
    actual = mine["actual"]
    test = actual[actual.index >= pd.Timestamp(window["mid"])]
    base, fc = mine["baselines"], mine["forecasts"]
    tz = base["timezone"]
    candidates = {name: scores.baseline_scores(test, p["hourly"], p["daily"], tz)
                  for name, p in base["predictions"].items()}
    table = base["candidates"]
    usable = table[(table["error"] == "") & ~table["reference_only"].astype(bool)]
    hourly = usable[usable["resolution"] == "hourly"]
    best_hourly = hourly.sort_values("cv_rmse_oos").iloc[0]["model"] if len(hourly) else None
    columns: dict[str, dict[str, object]] = {}
    selected = base["selected"]
    columns["ours"] = {
        **({k: candidates[best_hourly][k] for k in ("cv_rmse_h", "nmbe_h")} if best_hourly else {}),
        **({k: candidates[selected][k] for k in ("cv_rmse_d", "nmbe_d")} if selected else {}),
        "model_h": best_hourly, "model_d": selected, "seconds_baseline": base["seconds"]}
    day = fc["forecasts"]
    models = {name: scores.forecast_scores(actual, g, fc["scale"]) for name, g in day.groupby("model_name")}
    chosen = fc["chosen"]
    if chosen:
        columns["ours"] |= {**{k: models[chosen][k] for k in FORECAST_METRICS}, "model_f": chosen,
                            "seconds_forecast": fc["seconds"]}
    peers = json.loads((folder / "peers.json").read_text())["models"] if (folder / "peers.json").is_file() else {}
    for name in BASELINE_PEERS:
        h, d = _peer_baseline(folder, name)
        if h is not None or d is not None:
            columns[name] = scores.baseline_scores(test, h, d, tz)
    peer_fc = pd.read_csv(folder / "forecast.csv") if (folder / "forecast.csv").is_file() else pd.DataFrame()
    for name in FORECAST_PEERS:
        if len(peer_fc) and (peer_fc["model"] == name).any():
            g = peer_fc[peer_fc["model"] == name]
            columns[name] = scores.forecast_scores(actual, g.assign(bucket=pd.to_datetime(g["bucket"], utc=True)),
                                                   fc["scale"])
    for name, info in peers.items():
        columns.setdefault(name, {})["seconds"] = info["seconds"]
        if info["error"]:
            columns[name]["error"] = info["error"]
    return {"columns": columns, "candidates": candidates, "forecasters": models, "scale": fc["scale"],
            "normal_before": mine["normal_before"], "failures": fc["failures"],
            "in_sample_nmbe": dict(zip(table["model"], table.get("nmbe_in", pd.Series(dtype=float)), strict=False))}


def _fmt(value: object, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{100 * value:+.1f} %" if pct else f"{value:.3f}"


def _best_peer(metric: str, cols: dict[str, dict[str, object]]) -> float:
    peers = BASELINE_PEERS if metric in BASELINE_METRICS else ("AutoETS", "MSTL")
    values = [cols[p][metric] for p in peers if p in cols and math.isfinite(cols[p].get(metric, math.nan))]
    if not values:
        return math.nan
    return min(values, key=abs) if metric.startswith("nmbe") else min(values)


def table(results: dict[str, dict[str, object]]) -> str:
    """The markdown table: per meter and metric, ours (model), each peer, ours / best peer (eemeter's best for the
    baselines, the best of AutoETS and MSTL for MASE and NRMSE; |NMBE| for the biases), and seconds per meter."""
    peers = (*BASELINE_PEERS, *FORECAST_PEERS)
    lines = ["| meter | metric | ours (model) | " + " | ".join(peers) + " | ours / best peer |",
             "|---|---|---|" + "---|" * len(peers) + "---|"]
    for slug, r in results.items():
        cols = r["columns"]
        mine = cols.get("ours", {})
        for metric in (*BASELINE_METRICS, *FORECAST_METRICS):
            pct = metric.startswith("nmbe")
            model = mine.get({"cv_rmse_h": "model_h", "nmbe_h": "model_h", "cv_rmse_d": "model_d",
                              "nmbe_d": "model_d"}.get(metric, "model_f"))
            cells = [_fmt(cols.get(p, {}).get(metric), pct) for p in peers]
            best = _best_peer(metric, cols)
            value = mine.get(metric, math.nan)
            ratio = "—" if metric == "coverage" or not math.isfinite(best) or best == 0 else (
                f"{abs(value) / abs(best):.2f}")
            lines.append(f"| {slug} | {metric} | {_fmt(value, pct)} ({model}) | " + " | ".join(cells) +
                         f" | {ratio} |")
        seconds = [f"{cols[p]['seconds']:.1f}" if "seconds" in cols.get(p, {}) else "—" for p in peers]
        own = mine.get("seconds_baseline", 0.0) + mine.get("seconds_forecast", 0.0)
        lines.append(f"| {slug} | seconds | {own:.1f} (5 baselines with CV + 5 forecasters) | " +
                     " | ".join(seconds) + " | — |")
    return "\n".join(lines)


def candidates_table(results: dict[str, dict[str, object]]) -> str:
    """Every one of our candidates and forecasters on every meter (the main table shows the selected ones)."""
    lines = ["| meter | model | cv_rmse_h | nmbe_h | cv_rmse_d | nmbe_d | in-sample NMBE |",
             "|---|---|---|---|---|---|---|"]
    for slug, r in results.items():
        for name, s in r["candidates"].items():
            lines.append(f"| {slug} | {name} | {_fmt(s['cv_rmse_h'])} | {_fmt(s['nmbe_h'], True)} | "
                         f"{_fmt(s['cv_rmse_d'])} | {_fmt(s['nmbe_d'], True)} | "
                         f"{_fmt(r['in_sample_nmbe'].get(name), True)} |")
    lines += ["", "| meter | forecaster | MASE | NRMSE | coverage 90 % |", "|---|---|---|---|---|"]
    for slug, r in results.items():
        for name, s in r["forecasters"].items():
            lines.append(f"| {slug} | {name} | {_fmt(s['mase'])} | {_fmt(s['nrmse'])} | {_fmt(s['coverage'])} |")
    return "\n".join(lines)


def main(skip_peers: bool = False) -> str:
    windows = samples.prepare()
    if not skip_peers:
        run_peers()
    results = {slug: score_meter(slug, window) for slug, window in windows.items()}
    errors = [f"- {slug} {name}: {c['error']}" for slug, r in results.items()
              for name, c in r["columns"].items() if c.get("error")]
    text = "\n\n".join([
        "# Real-data benchmark (eemeter 4.1.1 samples)",
        "Windows (UTC instants of local midnights): " + "; ".join(
            f"{s}: {w['start'][:16]} / {w['mid'][:16]} / {w['end'][:16]}" for s, w in windows.items()),
        table(results),
        "## Our candidates and forecasters", candidates_table(results),
        "## Peer failures\n\n" + ("\n".join(errors) if errors else "none"),
    ]) + "\n"
    (samples.OUT / "results.md").write_text(text)
    (samples.OUT / "results.json").write_text(json.dumps(
        {s: {"columns": r["columns"], "candidates": r["candidates"], "forecasters": r["forecasters"],
             "scale": r["scale"], "failures": r["failures"]} for s, r in results.items()}, indent=1, default=str))
    return text


if __name__ == "__main__":
    print(main(skip_peers="--skip-peers" in sys.argv))
