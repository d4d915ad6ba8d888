"""Event lists scored against the simulator's injected faults (truth), at the event level (domain.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.anomalies.frame import KEYS, machine_bound
from enms.localtime import HOUR

HOURS_PER_MONTH = 365.25 * 24 / 12
Bound = pd.Timestamp | Mapping[str, pd.Timestamp] | None
"""A window bound: one UTC instant, one per machine (``{machine_id: instant}``), or None (unbounded)."""


def machine_months(frame: pd.DataFrame, start: Bound = None, end: Bound = None) -> float:
    """Σ over machines of the hours of data in [start, end) / 730.5 (hours in an average month)."""
    rows = frame
    if start is not None:
        rows = rows[rows["bucket"] >= machine_bound(rows, start)]
    if end is not None:
        rows = rows[rows["bucket"] < machine_bound(rows, end)]
    return float(rows.drop_duplicates(["machine_id", "bucket"]).shape[0]) / HOURS_PER_MONTH


def _overlaps(a_start, a_end, b_start, b_end) -> np.ndarray:
    """Pairwise half-open overlap [a) ∩ [b) ≠ ∅ → bool matrix (len a × len b)."""
    return (np.asarray(a_start)[:, None] < np.asarray(b_end)[None, :]) & (
        np.asarray(b_start)[None, :] < np.asarray(a_end)[:, None])


def match_events(detections: pd.DataFrame, truth: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Event-level matching on the same machine and energy type with overlapping half-open intervals.

    ``truth``: machine_id, energy_type, start_time, end_time (+ fault_type, …). Returns (truth with
    ``detected`` and ``delay_h`` = max(0, first overlapping detection start − truth start) in hours,
    detections with ``true_positive`` = overlaps some truth event and ``fault_id``/``fault_type`` of the first).
    """
    truth = truth.reset_index(drop=True).copy()
    det = detections.reset_index(drop=True).copy()
    truth["detected"] = False
    truth["delay_h"] = np.nan
    truth["n_detections"] = 0
    det["true_positive"] = False
    det["fault_type"] = None
    for key, tpos in truth.groupby(KEYS, sort=False).indices.items():
        dmask = (det["machine_id"] == key[0]) & (det["energy_type"] == key[1])
        dpos = np.flatnonzero(dmask.to_numpy())
        if not len(dpos):
            continue
        t, d = truth.iloc[tpos], det.iloc[dpos]
        hit = _overlaps(t["start_time"].to_numpy(), t["end_time"].to_numpy(), d["start"].to_numpy(),
                        d["end"].to_numpy())
        for i, tp in enumerate(tpos):
            if hit[i].any():
                first = d["start"].to_numpy()[hit[i]].min()
                truth.loc[tp, "detected"] = True
                truth.loc[tp, "n_detections"] = int(hit[i].sum())
                truth.loc[tp, "delay_h"] = max(0.0, (pd.Timestamp(first) - truth.loc[tp, "start_time"]) / HOUR)
        for j, dp in enumerate(dpos):
            if hit[:, j].any():
                det.loc[dp, "true_positive"] = True
                det.loc[dp, "fault_type"] = t["fault_type"].to_numpy()[np.argmax(hit[:, j])] \
                    if "fault_type" in t.columns else None
    return truth, det


@dataclass
class Scores:
    """Event-level scores of one event list (see :func:`evaluate`); delays in hours, false alarms also per
    machine-month."""

    n_truth: int
    detected: int
    recall: float
    n_detections: int
    true_detections: int
    precision: float
    f1: float
    false_alarms: int
    false_alarms_per_machine_month: float
    median_delay_h: float
    mean_delay_h: float


def _scores(truth: pd.DataFrame, det: pd.DataFrame, months: float) -> Scores:
    n_truth, detected = len(truth), int(truth["detected"].sum()) if len(truth) else 0
    recall = detected / n_truth if n_truth else np.nan
    n_det, tp = len(det), int(det["true_positive"].sum()) if len(det) else 0
    precision = tp / n_det if n_det else np.nan
    f1 = (2 * precision * recall / (precision + recall) if n_det and n_truth and precision + recall > 0
          else (0.0 if n_det or n_truth else np.nan))
    delays = truth.loc[truth["detected"], "delay_h"] if len(truth) else pd.Series(dtype=float)
    fa = n_det - tp
    return Scores(n_truth, detected, recall, n_det, tp, precision, f1, fa, fa / months if months else np.nan,
                  float(delays.median()) if len(delays) else np.nan,
                  float(delays.mean()) if len(delays) else np.nan)


def _overlapping(rows: pd.DataFrame, lo: Bound, hi: Bound, start: str, end: str) -> pd.DataFrame:
    """The rows whose interval [start, end) overlaps the window [lo, hi)."""
    return rows[(rows[start] < machine_bound(rows, hi)) & (rows[end] > machine_bound(rows, lo))]


def evaluate(detections: pd.DataFrame, truth: pd.DataFrame, *, start: Bound = None, end: Bound = None,
             months: float, min_effect_pct: float = 10.0,
             min_duration_h: float = 2.0) -> tuple[dict[str, Scores], pd.DataFrame]:
    """Event-level scores of one detector in the window [start, end) (domain.md; a bound is one UTC instant or
    one per machine).

    Truth events and detections count when they overlap the window. recall = truth events overlapped by a
    detection (same machine and energy type); precision = detections overlapping a truth event; F1;
    detection delay = first overlapping detection start − truth start (h, ≥ 0); false alarms = detections
    overlapping no truth event, per machine-month (``months``, see :func:`machine_months`). Returns
    ({'all': …, 'target': …, <fault_type>: …}, matched truth), 'target' being the truth events with
    ``power_change_pct`` ≥ ``min_effect_pct`` lasting ≥ ``min_duration_h`` hours. For a fault type, precision
    is the share of detections matched to that type among those matched to it plus ALL false alarms (a false
    alarm cannot be attributed to a type), so only recall, delay and F1-by-recall are type-specific.
    """
    lo = start if start is not None else pd.Timestamp.min.tz_localize("UTC")
    hi = end if end is not None else pd.Timestamp.max.tz_localize("UTC")
    truth = _overlapping(truth, lo, hi, "start_time", "end_time")
    det = _overlapping(detections, lo, hi, "start", "end") if len(detections) else detections
    if not len(det):
        det = pd.DataFrame(columns=[*KEYS, "start", "end"]).astype({"start": "datetime64[us, UTC]",
                                                                     "end": "datetime64[us, UTC]"})
    mt, md = match_events(det, truth)
    out = {"all": _scores(mt, md, months)}
    duration = (mt["end_time"] - mt["start_time"]) / HOUR
    target = (mt["power_change_pct"] >= min_effect_pct) & (duration >= min_duration_h)
    out["target"] = _scores(mt[target], md, months)
    for ft, g in mt.groupby("fault_type"):
        mine = md[(md["fault_type"] == ft) | ~md["true_positive"]]
        out[str(ft)] = _scores(g, mine, months)
    return out, mt


def evaluation_table(event_lists: Mapping[str, pd.DataFrame], truth: pd.DataFrame,
                     windows: Mapping[str, tuple[Bound, Bound]], frame: pd.DataFrame) -> pd.DataFrame:
    """One comparison table: detector × window × subset ('all', 'target', each fault type).

    ``event_lists``: {detector: events} or, per window, {window: {detector: events}} (the old method is fitted
    on each window, so its events differ per window); ``windows``: {name: (start, end)}, each bound one UTC
    instant or one per machine (:data:`Bound`).
    """
    rows = []
    for wname, (start, end) in windows.items():
        months = machine_months(frame, start, end)
        lists = event_lists.get(wname, event_lists) if isinstance(event_lists.get(wname), Mapping) else event_lists
        for detector, events in lists.items():
            scores, _ = evaluate(events, truth, start=start, end=end, months=months)
            for subset, s in scores.items():
                rows.append({"window": wname, "detector": detector, "subset": subset, **s.__dict__})
    return pd.DataFrame(rows)

