"""Flagged hours → events, events of several detectors → incidents, and the current-maintenance filter.

Flagged eligible hours of one series and one detector merge into one event when at most ``gap_hours`` (2)
hours lie between two flagged hours; an event needs ``min_hours`` flagged hours (2, the shortest fault the
targets count). Its metrics are computed over its eligible hours:

- ``metric_name`` = ``"energy_kwh"``: ``metric_value`` = Σ actual kWh, ``expected_value`` = Σ expected kWh;
- ``deviation_percent`` = 100 · (actual − expected) / expected (NaN when expected ≤ 0);
- ``z`` (the table's ``deviation_std_dev``) = the mean hourly robust z of the residual over the event (how many
  robust standard deviations the event sits above expected, on average), ``peak_z`` its maximum;
- ``wasted_kwh`` = Σ max(0, actual − expected) over the event's eligible hours (gap hours included);
- ``severity``: ``critical`` if z ≥ 3, ``warning`` if 1.5 ≤ z < 3, else ``normal`` (an event whose energy is
  hardly above expected: e.g. a multivariate pattern with no waste); the OLD method is always ``normal``;
- ``confidence`` = persistence × margin, persistence = 1 − exp(−n_flagged / 3) (1 h → 0.28, 2 h → 0.49,
  6 h → 0.86, 12 h → 0.98), margin = 1 − 1 / (2 · peak_ratio) with peak_ratio = the detector's peak score in
  units of its threshold (≥ 1): 0.5 at the threshold, 0.75 at twice it, → 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from enms.anomalies.frame import KEYS, by_series, from_hours, hour_numbers, interval_rows
from enms.frames import require_columns
from enms.localtime import HOUR
from enms.settings import INCIDENT_GAP_HOURS

SEVERITIES = ("normal", "warning", "critical")
WARNING_Z, CRITICAL_Z = 1.5, 3.0
"""Severity from the event's mean robust z: ≥ 3 critical, ≥ 1.5 warning, else normal."""
MIN_HOURS = 2
MIN_EVIDENCE = 3.0
EVIDENCE_CAP = 3.0

ANOMALY_TYPES = {
    "residual_zscore": "excess_consumption",
    "residual_cusum": "drift",
    "isolation_forest": "multivariate",
    "left_running_rule": "left_running",
    "base_load_creep": "base_load_creep",
    "old_isolation_forest": "multivariate",
}
"""detection_method → anomaly_type."""
PRIORITY = ("left_running", "excess_consumption", "base_load_creep", "drift", "multivariate")
"""Order in which a combined incident takes its anomaly type when several detectors start in the same hour."""

EVENT_COLUMNS = [
    "machine_id", "energy_type", "start", "end", "anomaly_type", "severity", "metric_name", "metric_value",
    "expected_value", "deviation_percent", "z", "peak_z", "confidence", "detection_method", "wasted_kwh",
    "hours", "n_flagged", "peak_ratio",
]


def severity_from_z(z: object) -> np.ndarray:
    """'critical' if z ≥ 3, 'warning' if z ≥ 1.5, else 'normal' (z = the event's mean robust z)."""
    z = np.nan_to_num(np.asarray(z, dtype="float64"), nan=0.0)
    return np.where(z >= CRITICAL_Z, "critical", np.where(z >= WARNING_Z, "warning", "normal"))


def confidence_score(n_flagged: object, peak_ratio: object) -> np.ndarray:
    """persistence × margin in [0, 1): (1 − exp(−n/3)) · (1 − 1 / (2 · max(ratio, 1)))."""
    n = np.asarray(n_flagged, dtype="float64")
    ratio = np.maximum(np.nan_to_num(np.asarray(peak_ratio, dtype="float64"), nan=1.0), 1.0)
    return np.clip((1 - np.exp(-n / 3.0)) * (1 - 1 / (2 * ratio)), 0.0, 1.0)


def _runs(hours: np.ndarray, gap_hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, in hours) of runs of flagged hours allowing ``gap_hours`` unflagged ones."""
    if len(hours) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    breaks = np.flatnonzero(np.diff(hours) > gap_hours + 1)
    first = np.concatenate(([0], breaks + 1))
    last = np.concatenate((breaks, [len(hours) - 1]))
    return first, last


def _metrics(frame: pd.DataFrame, intervals: pd.DataFrame, eligible_only: bool = True) -> pd.DataFrame:
    """Σ actual, Σ expected, mean/peak z, wasted kWh over the (eligible) rows of each interval of its series.

    ``intervals``: machine_id, energy_type, start, end. ``frame`` must carry ``z`` (robust residual z).
    """
    n = len(intervals)
    res = {k: np.full(n, np.nan) for k in ("actual", "expected", "z", "peak_z", "wasted")}
    if n == 0:
        return pd.DataFrame(res)
    for _, pos, part, lo, hi in interval_rows(frame, intervals):
        ok = part["eligible"].to_numpy(dtype=bool).copy() if eligible_only else np.ones(len(part), dtype=bool)
        a, e = part["actual_kwh"].to_numpy(dtype="float64"), part["expected_kwh"].to_numpy(dtype="float64")
        z = part["z"].to_numpy(dtype="float64") if "z" in part.columns else np.full(len(part), np.nan)
        ok &= np.isfinite(a) & np.isfinite(e)
        w = np.where(ok, np.maximum(a - e, 0.0), 0.0)
        csum = {name: np.concatenate(([0.0], np.cumsum(np.where(ok, v, 0.0)))) for name, v in
                (("actual", a), ("expected", e), ("wasted", w), ("z", np.nan_to_num(z)), ("n", ok * 1.0))}
        cnt = csum["n"][hi] - csum["n"][lo]
        for name in ("actual", "expected", "wasted"):
            res[name][pos] = csum[name][hi] - csum[name][lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            res["z"][pos] = (csum["z"][hi] - csum["z"][lo]) / cnt
        zf = np.where(ok, z, -np.inf)
        res["peak_z"][pos] = [np.max(zf[a0:a1]) if a1 > a0 else np.nan for a0, a1 in zip(lo, hi, strict=True)]
    out = pd.DataFrame(res)
    out.loc[~np.isfinite(out["peak_z"]), "peak_z"] = np.nan
    return out


def _finish_events(ev: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    ev = ev.reset_index(drop=True)
    ev["metric_name"] = "energy_kwh"
    ev["metric_value"] = metrics["actual"].to_numpy()
    ev["expected_value"] = metrics["expected"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = 100 * (ev["metric_value"] - ev["expected_value"]) / ev["expected_value"]
    ev["deviation_percent"] = dev.where(ev["expected_value"] > 0)
    ev["z"] = metrics["z"].to_numpy()
    ev["peak_z"] = metrics["peak_z"].to_numpy()
    ev["wasted_kwh"] = metrics["wasted"].to_numpy()
    ev["hours"] = (ev["end"] - ev["start"]) / HOUR
    return ev


def build_events(scored: pd.DataFrame, method: str, anomaly_type: str, *, gap_hours: int = INCIDENT_GAP_HOURS,
                 min_hours: int = MIN_HOURS, min_evidence: float = 0.0, min_event_z: float | None = None,
                 eligible_only: bool = True) -> pd.DataFrame:
    """Merge flagged hours of each series into events (see the module doc for every column's rule).

    ``scored``: the frame with ``flag`` (bool), ``score`` (threshold units) and ``z``. Two flagged hours belong to
    the same event when at most ``gap_hours`` hours lie between them; an event needs ``min_hours`` flagged
    hours and an evidence Σ min(score, 3) over its flagged hours ≥ ``min_evidence`` (3 = three hours at the
    threshold, or two at 1.5 × it: a short event must be strong) and, if ``min_event_z`` is given, a mean
    robust z ≥ ``min_event_z`` over its eligible hours (the event itself must show the excess: drops the tail
    a drift statistic leaves after the drift ended). Columns: :data:`EVENT_COLUMNS`.
    """
    flagged = scored["flag"].to_numpy(dtype=bool).copy()
    if eligible_only:
        flagged &= scored["eligible"].to_numpy(dtype=bool)
    rows = []
    sub = scored[flagged]
    for key, g in by_series(sub):
        hours = hour_numbers(g["bucket"])
        score = g["score"].to_numpy(dtype="float64")
        first, last = _runs(hours, gap_hours)
        counts = last - first + 1
        score = np.nan_to_num(score, nan=1.0)
        peaks = np.maximum.reduceat(score, first) if len(first) else np.array([])
        evidence = np.add.reduceat(np.minimum(score, EVIDENCE_CAP), first) if len(first) else np.array([])
        for f, la, c, p, ev in zip(first, last, counts, peaks, evidence, strict=True):
            if c >= min_hours and ev >= min_evidence - 1e-9:
                rows.append((*key, hours[f], hours[la] + 1, int(c), float(p)))
    ev = pd.DataFrame(rows, columns=[*KEYS, "h0", "h1", "n_flagged", "peak_ratio"])
    ev["start"] = from_hours(ev["h0"].to_numpy())
    ev["end"] = from_hours(ev["h1"].to_numpy())
    ev = ev.drop(columns=["h0", "h1"])
    ev["anomaly_type"] = anomaly_type
    ev["detection_method"] = method
    ev = _finish_events(ev, _metrics(scored, ev, eligible_only=eligible_only))
    if min_event_z is not None:
        ev = ev[ev["z"].fillna(-np.inf) >= min_event_z].reset_index(drop=True)
    ev["severity"] = severity_from_z(ev["z"])
    ev["confidence"] = confidence_score(ev["n_flagged"], ev["peak_ratio"])
    return ev[EVENT_COLUMNS].sort_values(["machine_id", "energy_type", "start"], ignore_index=True)


def combine_events(events: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame], frame: pd.DataFrame, *,
                   gap_hours: int = INCIDENT_GAP_HOURS) -> pd.DataFrame:
    """One incident list for the plant manager from several detectors' events.

    Events of one series that overlap or lie ≤ ``gap_hours`` apart form one incident: start = the earliest
    start, end = the latest end; ``anomaly_type`` and ``detection_method`` are those of the EARLIEST-starting
    contributor (ties broken by :data:`PRIORITY`), so they never change when a later run adds a contributor
    (the event key stays stable); ``detectors`` lists every contributing method; severity = the highest;
    confidence = 1 − Π(1 − cᵢ) (noisy-OR); the energy metrics are recomputed over the incident. ``frame`` is
    the :func:`~enms.anomalies.frame.detection_frame` with ``z`` (robust residual z) for the metrics.
    """
    lists = list(events.values()) if isinstance(events, Mapping) else list(events)
    lists = [e for e in lists if len(e)]
    if not lists:
        return pd.DataFrame(columns=[*EVENT_COLUMNS, "detectors"])
    allev = pd.concat(lists, ignore_index=True)
    allev["_prio"] = allev["anomaly_type"].map({t: i for i, t in enumerate(PRIORITY)}).fillna(len(PRIORITY))
    allev = allev.sort_values([*KEYS, "start", "_prio"], ignore_index=True)
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    out = []
    gap = pd.Timedelta(hours=gap_hours)
    for key, g in by_series(allev):
        current: dict | None = None
        for row in g.itertuples(index=False):
            if current is not None and row.start <= current["end"] + gap:
                current["end"] = max(current["end"], row.end)
                current["detectors"].add(row.detection_method)
                current["sev"] = max(current["sev"], sev_rank[row.severity])
                current["miss"] *= 1 - float(row.confidence)
                current["n_flagged"] += int(row.n_flagged)
                current["peak_ratio"] = max(current["peak_ratio"], float(row.peak_ratio))
                continue
            if current is not None:
                out.append(current)
            current = {"machine_id": key[0], "energy_type": key[1], "start": row.start, "end": row.end,
                       "anomaly_type": row.anomaly_type, "detection_method": row.detection_method,
                       "detectors": {row.detection_method}, "sev": sev_rank[row.severity],
                       "miss": 1 - float(row.confidence), "n_flagged": int(row.n_flagged),
                       "peak_ratio": float(row.peak_ratio)}
        if current is not None:
            out.append(current)
    inc = pd.DataFrame(out)
    inc = _finish_events(inc, _metrics(frame, inc))
    inc["severity"] = [SEVERITIES[i] for i in inc.pop("sev")]
    inc["confidence"] = 1 - inc.pop("miss")
    inc["detectors"] = ["+".join(sorted(d)) for d in inc["detectors"]]
    return inc[[*EVENT_COLUMNS, "detectors"]].sort_values([*KEYS, "start"], ignore_index=True)


def suppress_current_maintenance(events: pd.DataFrame, frame: pd.DataFrame, machine_status: pd.DataFrame, *,
                                 gap_hours: int = INCIDENT_GAP_HOURS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the new alerts of machines whose CURRENT status is maintenance → (kept, suppressed).

    For a machine with ``machine_status.current_mode == 'maintenance'``, an event *touches the present* when it
    ends at most ``gap_hours`` before the end of the machine's last eligible hour in ``frame`` (hours in
    maintenance, fault or offline are not eligible, so an event still open when the maintenance began touches
    the present). Such events are suppressed (returned apart, with ``suppressed_reason``); the machine's closed
    past events are kept: they are history, not a new alert about now.
    """
    require_columns(machine_status, ["machine_id", "current_mode"], "machine_status")
    in_maintenance = set(machine_status.loc[machine_status["current_mode"].astype(str) == "maintenance",
                                            "machine_id"].astype(str))
    if events.empty or not in_maintenance:
        return events, events.iloc[0:0].assign(suppressed_reason=pd.Series(dtype=object))
    elig = frame[frame["eligible"]]
    last = elig.groupby("machine_id")["bucket"].max() + HOUR
    present = events["machine_id"].map(last)
    touches = events["machine_id"].isin(in_maintenance) & (
        present.isna() | (events["end"] >= present - pd.Timedelta(hours=gap_hours)))
    suppressed = events[touches].assign(suppressed_reason="machine currently in maintenance; event open at the "
                                                          "last eligible hour")
    return events[~touches].reset_index(drop=True), suppressed.reset_index(drop=True)
