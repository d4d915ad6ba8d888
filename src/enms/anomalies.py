"""Anomaly detection that knows the machine's state, measured against injected truth at the event level.

Pure core: frames in, frames (or fitted detectors) out. Nothing here reads or writes the warehouse, imports a
notebook or Ploomber. The write-back SQL lives in the warehouse module; this module only builds the rows and the
idempotence key (:func:`anomaly_rows`, :func:`event_key`, :func:`plan_write_back`).

Conventions
-----------
* ``bucket`` is the start of a UTC hour (tz-aware); every interval is half-open ``[start, end)`` in UTC.
* A *series* is one machine × energy type (``electricity``, ``natural_gas``, ``steam``); energy types are never
  mixed. Residual = actual − expected (kWh) from the baselines step (``expected_hourly``).
* **State**: an hour is *eligible* (may be flagged, and counts in an event's metrics) only when the baseline
  marks it normal, quality's ``normal_mask`` marks it normal and the mode history has no maintenance, fault or
  offline reading in it (and has mode data at all). Hours in maintenance, fault or offline are never flagged as
  consumption anomalies. The *current* ``machine_status`` is used for one thing only: a machine whose
  ``current_mode`` is maintenance gets no new alert (:func:`suppress_current_maintenance`).
* **Reference window**: detectors are fitted on the eligible hours of a clean reference window (the baseline
  year), robustly trimmed where said, and applied to any frame. Thresholds come from the reference only.
* **Events**: flagged eligible hours of one series and one detector merge into one event when at most
  ``gap_hours`` (2) hours lie between two flagged hours; an event needs ``min_hours`` flagged hours (2, the
  shortest fault the targets count). Its metrics are computed over its eligible hours:

  - ``metric_name`` = ``"energy_kwh"``: ``metric_value`` = Σ actual kWh, ``expected_value`` = Σ expected kWh;
  - ``deviation_percent`` = 100 · (actual − expected) / expected (NaN when expected ≤ 0);
  - ``z`` (the table's ``deviation_std_dev``) = the mean hourly robust z of the residual over the event (how many
    robust standard deviations the event sits above expected, on average), ``peak_z`` its maximum;
  - ``wasted_kwh`` = Σ max(0, actual − expected) over the event's eligible hours (gap hours included);
  - ``severity``: ``critical`` if z ≥ 3, ``warning`` if 1.5 ≤ z < 3, else ``normal`` (an event whose energy is
    hardly above expected: e.g. a multivariate pattern with no waste); the OLD method is always ``normal``;
  - ``confidence`` = persistence × margin, persistence = 1 − exp(−n_flagged / 3) (1 h → 0.28, 2 h → 0.49,
    6 h → 0.86, 12 h → 0.98), margin = 1 − 1 / (2 · peak_ratio) with peak_ratio = the detector's peak score in
    units of its threshold (≥ 1): 0.5 at the threshold, 0.75 at twice it, → 1;
  - cost of ``wasted_kwh`` at the factory's LOCAL tariff (:func:`add_costs`): electricity hour by hour through
    :func:`enms.kpis.tariff_rates`, natural gas as m³ (kWh / 10.55) × the ``energy_sources`` price per m³,
    steam 0 (its fuel is already costed).

Detectors (``fit(reference)`` → self; ``score(frame)`` → hourly flags; ``detect(frame)`` → events):

* :class:`ResidualZScore` – robust z of the residual per series, state class (running / idle / mixed hours)
  and bin of expected kWh (8 quantile bins: the spread grows with the load), median and 1.4826·MAD over the
  reference (one trimming pass at |z| > 6); flags z ≥ ``z_warning`` (4); excess consumption only (a saving is
  not an alert). ``anomaly_type='excess_consumption'``.
* :class:`ResidualCusum` – one-sided capped CUSUM of the clipped robust z (k = 1, h = 24, cap 2h), reset after
  > 3 h without an eligible hour (maintenance = repair), for slow drifts and small sustained shifts; an event's
  own hours must average z ≥ k. ``anomaly_type='drift'``.
* :class:`IsolationForestDetector` – Isolation Forest per series on residual z, energy, running share,
  production and the machine's sensors (temperatures, pressure, flow, vibration), fitted on the trimmed
  reference, threshold = the 0.2 % quantile of the reference scores; an hour counts only if its residual z > 0
  (excess). ``anomaly_type='multivariate'``.
* :class:`LeftRunningRule` – energy well above the machine's idle level (idle median + half the gap to the
  running median, and above the 99th percentile of reference idle hours) in hours with no production and no
  running reading. ``anomaly_type='left_running'``.
* :class:`BaseLoadCreep` – the base load (residual of the 4 lowest-expected eligible hours of each local day,
  relative to expected) as a 7-day rolling median, z-scored against the reference; flags z ≥ 4 with the rolling
  and the day's own excess ≥ 5 %. ``anomaly_type='base_load_creep'``.
* :class:`OldIsolationForest` – the EnMS's earlier method, for comparison only: IsolationForest(contamination=
  0.1) fitted and scored on the same window, every hour (state-blind), severity always ``normal``.

Every detector except the old one also needs an evidence Σ min(score, 3) ≥ 3 over an event's flagged hours
(score in threshold units): a 2-hour event must average 1.5 × its threshold. :func:`run_detectors` leaves steam
out (the boiler's output: more steam is more demand, not waste; its fuel carries the boiler's faults). Expected
energy below 0 (a baseline can dip there) is taken as 0.

:func:`combine_events` merges the detectors' events of a series that overlap or lie ≤ ``gap_hours`` apart into
one incident for the plant manager; :func:`evaluate` scores event lists against the simulator's truth.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from enms import kpis
from enms.frames import require_columns
from enms.plant import GAS_KWH_PER_M3

__all__ = [
    "ALERT_EXCLUDED_ENERGY_TYPES",
    "ANOMALY_TYPES",
    "COMBINED",
    "DECIMAL_LIMITS",
    "EVENT_COLUMNS",
    "LOOKBACK",
    "BaseLoadCreep",
    "IsolationForestDetector",
    "LeftRunningRule",
    "OldIsolationForest",
    "ResidualCusum",
    "ResidualScaler",
    "ResidualZScore",
    "Scores",
    "add_costs",
    "anomaly_rows",
    "build_events",
    "combine_events",
    "confidence_score",
    "default_detectors",
    "detection_frame",
    "evaluate",
    "evaluation_table",
    "event_key",
    "machine_months",
    "match_events",
    "plan_write_back",
    "run_detectors",
    "severity_from_z",
    "suppress_current_maintenance",
]

HOUR = pd.Timedelta(hours=1)
KEYS = ["machine_id", "energy_type"]
SEVERITIES = ("normal", "warning", "critical")
WARNING_Z, CRITICAL_Z = 1.5, 3.0
"""Severity from the event's mean robust z: ≥ 3 critical, ≥ 1.5 warning, else normal."""
GAP_HOURS = 2
MIN_HOURS = 2
MIN_EVIDENCE = 3.0
EVIDENCE_CAP = 3.0
HOURS_PER_MONTH = 365.25 * 24 / 12
LOOKBACK = pd.Timedelta(days=8)
"""History a run needs before its window so that events, CUSUM state and the 7-day base-load median are the same
whatever the window start (the capped CUSUM forgets within cap·h/k = 48 h; the base-load median needs 7 days)."""

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
DECIMAL_LIMITS = {"deviation_percent": 999_999.99, "deviation_std_dev": 999_999.99, "confidence_score": 9.9999}
"""DECIMAL(8,2) holds ±999,999.99; DECIMAL(5,4) holds ±9.9999 (confidence is kept in [0, 1] anyway)."""

ENV_FEATURES = ("avg_machine_temp_c", "avg_pressure_bar", "avg_flow_rate_m3h", "avg_vibration_mm_s",
                "avg_indoor_temp_c", "avg_outdoor_temp_c")
_MODE_COUNTS = ("n_running", "n_idle", "n_maintenance", "n_fault", "n_offline", "total_readings")


# ------------------------------------------------------------------------------------------------------ frame

def _utc(bucket: pd.Series, name: str) -> pd.Series:
    if not isinstance(bucket.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{name}.bucket must be tz-aware UTC, got {bucket.dtype}")
    return bucket.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def detection_frame(expected_hourly: pd.DataFrame, mode_hourly: pd.DataFrame,
                    normal_mask: pd.DataFrame | None = None, production_hourly: pd.DataFrame | None = None,
                    environment_hourly: pd.DataFrame | None = None,
                    machines: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per series hour with everything the detectors read, sorted by machine, energy type, bucket.

    ``expected_hourly``: bucket, machine_id, energy_type, actual_kwh, expected_kwh (optional is_normal, period).
    ``mode_hourly``: the mode counts per machine hour (the state of the past comes from the mode history).
    Columns added: ``residual_kwh``, ``eligible`` (see the module doc), ``running_frac`` (running readings /
    readings), ``state`` ('running' all readings running, 'idle' none running, else 'mixed'), ``production``
    (units in the hour; NaN when unknown), the sensors of ``environment_hourly`` and ``timezone``.
    """
    require_columns(expected_hourly, ["bucket", "machine_id", "energy_type", "actual_kwh", "expected_kwh"],
             "expected_hourly")
    require_columns(mode_hourly, ["bucket", "machine_id", *_MODE_COUNTS], "mode_hourly")
    cols = [c for c in ("bucket", "machine_id", "energy_type", "actual_kwh", "expected_kwh", "is_normal", "period")
            if c in expected_hourly.columns]
    out = expected_hourly[cols].copy()
    out["bucket"] = _utc(out["bucket"], "expected_hourly")
    out["machine_id"] = out["machine_id"].astype(str)
    out["energy_type"] = out["energy_type"].astype(str).replace({"energy": "electricity"})
    out = out.drop_duplicates(["machine_id", "energy_type", "bucket"], keep="last")
    modes = mode_hourly[["bucket", "machine_id", *_MODE_COUNTS]].assign(
        bucket=_utc(mode_hourly["bucket"], "mode_hourly"), machine_id=mode_hourly["machine_id"].astype(str))
    modes = modes.drop_duplicates(["machine_id", "bucket"], keep="last")
    out = out.merge(modes, on=["bucket", "machine_id"], how="left")
    counts = {c: out[c].fillna(0).to_numpy(dtype="float64") for c in _MODE_COUNTS}
    has_mode = counts["total_readings"] > 0
    abnormal_mode = (counts["n_maintenance"] + counts["n_fault"] + counts["n_offline"]) > 0
    eligible = has_mode & ~abnormal_mode
    eligible &= np.isfinite(out["actual_kwh"].to_numpy(dtype="float64"))
    eligible &= np.isfinite(out["expected_kwh"].to_numpy(dtype="float64"))
    if "is_normal" in out.columns:
        eligible &= out["is_normal"].fillna(False).to_numpy(dtype=bool)
    if normal_mask is not None:
        mask = normal_mask[["bucket", "machine_id", "is_normal"]].assign(
            bucket=_utc(normal_mask["bucket"], "normal_mask"), machine_id=normal_mask["machine_id"].astype(str))
        mask = mask.drop_duplicates(["machine_id", "bucket"], keep="last").rename(columns={"is_normal": "_mask"})
        out = out.merge(mask, on=["bucket", "machine_id"], how="left")
        eligible &= out.pop("_mask").fillna(False).to_numpy(dtype=bool)  # no mask row: not known to be normal
    out["eligible"] = eligible
    total = np.where(has_mode, counts["total_readings"], np.nan)
    out["running_frac"] = counts["n_running"] / total
    out["state"] = np.where(counts["n_running"] <= 0, "idle",
                            np.where(counts["n_running"] >= counts["total_readings"], "running", "mixed"))
    out = out.drop(columns=[c for c in _MODE_COUNTS if c not in ("n_running", "total_readings")])
    if production_hourly is not None:
        prod = production_hourly[["bucket", "machine_id", "total_production_count"]].assign(
            bucket=_utc(production_hourly["bucket"], "production_hourly"),
            machine_id=production_hourly["machine_id"].astype(str)).drop_duplicates(["machine_id", "bucket"])
        out = out.merge(prod.rename(columns={"total_production_count": "production"}), on=["bucket", "machine_id"],
                        how="left")
        out["production"] = out["production"].astype("float64")
    else:
        out["production"] = np.nan
    if environment_hourly is not None:
        present = [c for c in ENV_FEATURES if c in environment_hourly.columns]
        env = environment_hourly[["bucket", "machine_id", *present]].assign(
            bucket=_utc(environment_hourly["bucket"], "environment_hourly"),
            machine_id=environment_hourly["machine_id"].astype(str)).drop_duplicates(["machine_id", "bucket"])
        out = out.merge(env, on=["bucket", "machine_id"], how="left")
    if machines is not None and "timezone" in machines.columns:
        zones = machines.drop_duplicates("machine_id").set_index(machines["machine_id"].astype(str))["timezone"]
        out["timezone"] = out["machine_id"].map(zones).fillna("UTC")
    else:
        out["timezone"] = "UTC"
    out["expected_kwh"] = out["expected_kwh"].clip(lower=0.0)  # a baseline may dip below 0; energy cannot
    out["residual_kwh"] = out["actual_kwh"] - out["expected_kwh"]
    return out.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)


def _series(frame: pd.DataFrame) -> Iterable[tuple[tuple[str, str], pd.DataFrame]]:
    yield from frame.groupby(KEYS, sort=True, observed=True)


def _mad_scale(values: np.ndarray) -> tuple[float, float]:
    med = float(np.median(values))
    return med, 1.4826 * float(np.median(np.abs(values - med)))


# ---------------------------------------------------------------------------------------------- residual z
class ResidualScaler:
    """Robust z of the residual per series, state class and level of expected energy.

    z = (r − median) / (1.4826 · MAD), the median and MAD taken over the eligible reference hours of the same
    series, state class ('running', 'idle', 'mixed') and bin of expected kWh (``n_bins`` quantile bins of the
    class: the residual of an HVAC unit spreads more at 60 kWh than at 20 kWh). A bin holds at least
    ``min_rows`` hours (fewer bins otherwise); a class with fewer than ``min_rows`` hours uses the series'
    figures over all classes. One trimming pass per bin: hours with |z| > ``trim_z`` are dropped and the
    median/MAD recomputed (faults hidden in the reference). The scale has a floor of ``rel_floor`` × the bin's
    median actual kWh (an idle machine drawing a constant trickle would otherwise have MAD ≈ 0).
    """

    def __init__(self, n_bins: int = 8, trim_z: float = 6.0, min_rows: int = 48, rel_floor: float = 0.02):
        self.n_bins = n_bins
        self.trim_z = trim_z
        self.min_rows = min_rows
        self.rel_floor = rel_floor

    def _stats(self, r: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
        med, scale = _mad_scale(r)
        floor = max(self.rel_floor * float(np.median(np.abs(actual))), 1e-6)
        scale = max(scale, floor)
        keep = np.abs(r - med) / scale <= self.trim_z
        if 0 < keep.sum() < len(r) and keep.sum() >= max(3, len(r) // 2):
            med, scale = _mad_scale(r[keep])
            scale = max(scale, floor)
        return med, scale

    def _binned(self, r: np.ndarray, actual: np.ndarray, expected: np.ndarray) -> dict:
        bins = max(1, min(self.n_bins, len(r) // self.min_rows))
        edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1])) if bins > 1 else np.array([])
        which = np.searchsorted(edges, expected, side="right")
        meds, scales = [], []
        for b in range(len(edges) + 1):
            sel = which == b
            m, sc = self._stats(r[sel], actual[sel]) if sel.sum() >= 3 else self._stats(r, actual)
            meds.append(m)
            scales.append(sc)
        return {"edges": edges, "median": np.array(meds), "scale": np.array(scales)}

    def fit(self, reference: pd.DataFrame) -> ResidualScaler:
        ref = reference[reference["eligible"]]
        stats: dict[tuple[str, str, str], dict] = {}
        for key, g in _series(ref):
            r, a = g["residual_kwh"].to_numpy(), g["actual_kwh"].to_numpy()
            e = g["expected_kwh"].to_numpy()
            if len(r) < 3:
                continue
            stats[(*key, "*")] = self._binned(r, a, e)
            states = g["state"].to_numpy()
            for state in ("running", "idle", "mixed"):
                sel = states == state
                if sel.sum() >= self.min_rows:
                    stats[(*key, state)] = self._binned(r[sel], a[sel], e[sel])
        self.stats_ = stats
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The robust z of each row of ``frame`` (NaN for a series the scaler has not seen)."""
        z = np.full(len(frame), np.nan)
        r = frame["residual_kwh"].to_numpy(dtype="float64")
        e = frame["expected_kwh"].to_numpy(dtype="float64")
        for (m, en, state), idx in frame.groupby([*KEYS, "state"], sort=False).indices.items():
            fitted = self.stats_.get((m, en, state)) or self.stats_.get((m, en, "*"))
            if fitted is None:
                continue
            b = np.searchsorted(fitted["edges"], e[idx], side="right")
            z[idx] = (r[idx] - fitted["median"][b]) / fitted["scale"][b]
        return z

    def summary(self) -> pd.DataFrame:
        """One row per series, state class and bin: the upper edge of expected kWh, median and scale."""
        rows = []
        for (m, e, state), v in self.stats_.items():
            uppers = [*v["edges"], np.inf]
            rows += [{"machine_id": m, "energy_type": e, "state": state, "expected_below_kwh": u,
                      "median_kwh": md, "scale_kwh": sc} for u, md, sc in zip(uppers, v["median"], v["scale"],
                                                                               strict=True)]
        return pd.DataFrame(rows)


def _fitted_scaler(scaler: ResidualScaler | None, reference: pd.DataFrame) -> ResidualScaler:
    """A scaler already fitted is used as it is (prefit, shared by several detectors); otherwise a copy is fitted
    on ``reference`` (so detectors sharing one unfitted scaler never overwrite each other's state)."""
    if scaler is not None and hasattr(scaler, "stats_"):
        return scaler
    return copy.deepcopy(scaler or ResidualScaler()).fit(reference)


class _Detector:
    """Shared ``detect``: hourly ``score`` (in threshold units, flagged at ≥ 1) → events."""

    method = ""
    gap_hours = GAP_HOURS
    min_hours = MIN_HOURS
    min_evidence = MIN_EVIDENCE
    min_event_z: float | None = None

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def detect(self, frame: pd.DataFrame) -> pd.DataFrame:
        scored = self.score(frame)
        return build_events(scored, self.method, ANOMALY_TYPES[self.method], gap_hours=self.gap_hours,
                            min_hours=self.min_hours, min_evidence=self.min_evidence,
                            min_event_z=self.min_event_z)

    def _out(self, frame: pd.DataFrame, z: np.ndarray, score: np.ndarray) -> pd.DataFrame:
        score = np.where(frame["eligible"].to_numpy(dtype=bool), score, np.nan)
        out = frame.assign(z=z, score=score)
        out["flag"] = np.nan_to_num(score, nan=0.0) >= 1.0
        return out


class ResidualZScore(_Detector):
    """Flags an eligible hour whose robust residual z ≥ ``z_warning`` (excess only unless ``two_sided``)."""

    method = "residual_zscore"

    def __init__(self, z_warning: float = 4.0, two_sided: bool = False, gap_hours: int = GAP_HOURS,
                 min_hours: int = MIN_HOURS, min_evidence: float = MIN_EVIDENCE,
                 scaler: ResidualScaler | None = None):
        self.z_warning = z_warning
        self.two_sided = two_sided
        self.gap_hours = gap_hours
        self.min_hours = min_hours
        self.min_evidence = min_evidence
        self.scaler = scaler

    def fit(self, reference: pd.DataFrame) -> ResidualZScore:
        self.scaler_ = _fitted_scaler(self.scaler, reference)
        return self

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler_.transform(frame)
        return self._out(frame, z, (np.abs(z) if self.two_sided else z) / self.z_warning)


class ResidualCusum(_Detector):
    """One-sided capped CUSUM on the clipped robust z: S_t = min(cap·h, max(0, S_{t−1} + clip(z_t) − k)).

    Ineligible hours leave S unchanged; a stretch of more than ``reset_hours`` hours without an eligible hour
    (maintenance, fault, offline, an outage) resets S to 0: the machine was stopped or repaired. An hour is
    flagged while S ≥ h and an hour with z > k (evidence of excess) lies at most ``tail_hours`` before it, so
    the alarm ends soon after the excess does instead of while S decays. Clipping z at ``z_clip`` keeps one
    spike from raising an alarm on its own. Event start = the first hour S ≥ h (the honest alarm time).
    """

    method = "residual_cusum"

    def __init__(self, k: float = 1.0, h: float = 24.0, z_clip: float = 4.0, cap: float = 2.0,
                 reset_hours: int = 3, tail_hours: int = 6, gap_hours: int = GAP_HOURS,
                 min_hours: int = MIN_HOURS, scaler: ResidualScaler | None = None):
        self.k = k
        self.h = h
        self.z_clip = z_clip
        self.cap = cap
        self.reset_hours = reset_hours
        self.tail_hours = tail_hours
        self.min_event_z = k  # the event's own hours must average more than the allowance k
        self.gap_hours = gap_hours
        self.min_hours = min_hours
        self.scaler = scaler

    def fit(self, reference: pd.DataFrame) -> ResidualCusum:
        self.scaler_ = _fitted_scaler(self.scaler, reference)
        return self

    def _cusum(self, z: np.ndarray, ok: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """The statistic in units of h where it counts (S ≥ h with recent evidence), else S / h capped below 1."""
        s, cap = 0.0, self.cap * self.h
        out = np.zeros(len(z))
        zc = np.clip(np.nan_to_num(z, nan=0.0), -self.z_clip, self.z_clip) - self.k
        last_ok = last_rise = None
        for i in range(len(z)):
            if ok[i]:
                if last_ok is not None and hours[i] - last_ok > self.reset_hours + 1:
                    s = 0.0
                s = min(cap, max(0.0, s + zc[i]))
                last_ok = hours[i]
                if zc[i] > 0:
                    last_rise = hours[i]
            recent = last_rise is not None and hours[i] - last_rise <= self.tail_hours
            out[i] = s / self.h if recent else min(s / self.h, 0.99)
        return out

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler_.transform(frame)
        stat = np.zeros(len(frame))
        ok = frame["eligible"].to_numpy(dtype=bool) & np.isfinite(z)
        hours = _hour_numbers(frame["bucket"])
        for _, idx in frame.groupby(KEYS, sort=False).indices.items():
            stat[idx] = self._cusum(z[idx], ok[idx], hours[idx])
        return self._out(frame, z, stat)


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    return ["z", "actual_kwh", "running_frac", "production", *[c for c in ENV_FEATURES if c in frame.columns]]


class IsolationForestDetector(_Detector):
    """Isolation Forest per series on hourly features, fitted on the clean reference, applied to new data.

    Features: residual z, actual kWh, running share, production, and the machine's sensors present in at least
    90 % of its reference hours; each standardised by its reference median and IQR, NaN → 0 (the median).
    Reference = eligible hours with |z| ≤ ``trim_z`` (robust trimming: faults hidden in the baseline year are
    not learnt as normal). Threshold = the ``reference_quantile`` quantile of the reference's
    ``score_samples``: no fixed contamination. An hour counts only if its residual z > ``min_z`` (excess).
    """

    method = "isolation_forest"

    def __init__(self, reference_quantile: float = 0.002, trim_z: float = 5.0, min_z: float = 0.0,
                 n_estimators: int = 100, random_state: int = 0, gap_hours: int = GAP_HOURS,
                 min_hours: int = MIN_HOURS, scaler: ResidualScaler | None = None):
        self.reference_quantile = reference_quantile
        self.trim_z = trim_z
        self.min_z = min_z
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.gap_hours = gap_hours
        self.min_hours = min_hours
        self.scaler = scaler

    def fit(self, reference: pd.DataFrame) -> IsolationForestDetector:
        self.scaler_ = _fitted_scaler(self.scaler, reference)
        ref = reference[reference["eligible"]]
        ref = ref.assign(z=self.scaler_.transform(ref))
        self.models_: dict[tuple[str, str], dict] = {}
        for key, g in _series(ref):
            g = g[np.abs(g["z"]) <= self.trim_z]
            if len(g) < 50:
                continue
            cols = [c for c in _feature_columns(g) if g[c].notna().mean() >= 0.9 and g[c].nunique() > 1]
            x = g[cols].to_numpy(dtype="float64")
            center = np.nanmedian(x, axis=0)
            iqr = np.nanpercentile(x, 75, axis=0) - np.nanpercentile(x, 25, axis=0)
            spread = np.where(iqr > 0, iqr, np.nanstd(x, axis=0))
            spread = np.where(spread > 0, spread, 1.0)
            xs = np.nan_to_num((x - center) / spread)
            model = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state).fit(xs)
            scores = model.score_samples(xs)
            self.models_[key] = {"columns": cols, "center": center, "spread": spread, "model": model,
                                 "threshold": float(np.quantile(scores, self.reference_quantile))}
        return self

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler_.transform(frame)
        ratio = np.full(len(frame), np.nan)
        framez = frame.assign(z=z)
        for key, idx in frame.groupby(KEYS, sort=False).indices.items():
            fitted = self.models_.get(key)
            if fitted is None:
                continue
            part = framez.iloc[idx]
            x = part.reindex(columns=fitted["columns"]).to_numpy(dtype="float64")
            xs = np.nan_to_num((x - fitted["center"]) / fitted["spread"])
            s = fitted["model"].score_samples(xs)
            ratio[idx] = np.where(z[idx] > self.min_z, s / fitted["threshold"], 0.0)  # scores < 0: ratio ≥ 1
        return self._out(frame, z, ratio)


class LeftRunningRule(_Detector):
    """Consumption while not producing: a machine left running overnight or over a weekend.

    Per series, from the reference's eligible hours: idle level = median actual kWh of idle hours (no running
    reading), running level = median of all-running hours. Threshold = max(idle + ``fraction`` × (running −
    idle), the ``idle_quantile`` quantile of idle hours). An hour is flagged when it has no running reading, no
    production (0 or unknown) and its actual kWh exceeds the threshold. Score = (actual − idle) / (threshold −
    idle).
    """

    method = "left_running_rule"

    def __init__(self, fraction: float = 0.5, idle_quantile: float = 0.99, gap_hours: int = GAP_HOURS,
                 min_hours: int = MIN_HOURS, scaler: ResidualScaler | None = None):
        self.fraction = fraction
        self.idle_quantile = idle_quantile
        self.gap_hours = gap_hours
        self.min_hours = min_hours
        self.scaler = scaler

    def fit(self, reference: pd.DataFrame) -> LeftRunningRule:
        self.scaler_ = _fitted_scaler(self.scaler, reference)
        ref = reference[reference["eligible"]]
        self.levels_: dict[tuple[str, str], tuple[float, float]] = {}
        for key, g in _series(ref):
            idle = g.loc[g["state"] == "idle", "actual_kwh"].to_numpy()
            running = g.loc[g["state"] == "running", "actual_kwh"].to_numpy()
            if len(idle) < 24 or len(running) < 24:
                continue
            idle_level, run_level = float(np.median(idle)), float(np.median(running))
            if run_level <= idle_level:
                continue
            threshold = max(idle_level + self.fraction * (run_level - idle_level),
                            float(np.quantile(idle, self.idle_quantile)))
            self.levels_[key] = (idle_level, threshold)
        return self

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler_.transform(frame)
        ratio = np.zeros(len(frame))
        idle = (frame["state"] == "idle").to_numpy() & (frame["production"].fillna(0).to_numpy() <= 0)
        actual = frame["actual_kwh"].to_numpy(dtype="float64")
        for key, idx in frame.groupby(KEYS, sort=False).indices.items():
            if key not in self.levels_:
                continue
            level, threshold = self.levels_[key]
            ratio[idx] = np.where(idle[idx], (actual[idx] - level) / (threshold - level), 0.0)
        return self._out(frame, z, ratio)


class BaseLoadCreep(_Detector):
    """Base-load creep: the nightly / idle minimum rising over weeks.

    Per series and local day (the factory's zone): base excess = Σ(actual − expected) / Σ expected over the
    ``n_low`` eligible hours with the lowest expected kWh (the base load, weather and calendar accounted for by
    the baseline). Its ``window_days`` rolling median is z-scored against the reference days (median, MAD);
    a day is flagged when z ≥ ``z_threshold`` and both the rolling and the day's own excess are ≥ ``min_excess``
    (5 %: the day itself must still show it, so the alarm does not outlive the creep by the median's lag). Flags are
    written on the day's eligible hours; events merge consecutive days.
    """

    method = "base_load_creep"

    def __init__(self, n_low: int = 4, window_days: int = 7, z_threshold: float = 4.0, min_excess: float = 0.05,
                 gap_hours: int = GAP_HOURS, min_hours: int = MIN_HOURS, scaler: ResidualScaler | None = None):
        self.n_low = n_low
        self.window_days = window_days
        self.min_event_z = 0.0  # the event's own hours must be above expected on average
        self.z_threshold = z_threshold
        self.min_excess = min_excess
        self.gap_hours = gap_hours
        self.min_hours = min_hours
        self.scaler = scaler

    def _daily(self, frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[frame["eligible"] & (frame["expected_kwh"] > 0)]
        if rows.empty:
            return pd.DataFrame(columns=[*KEYS, "day", "excess"])
        day = kpis.local_time(rows["bucket"], rows["timezone"]).dt.normalize()
        rows = rows.assign(day=day.to_numpy())
        rows = rows.sort_values([*KEYS, "day", "expected_kwh"])
        low = rows.groupby([*KEYS, "day"], sort=False).head(self.n_low)
        daily = low.groupby([*KEYS, "day"], as_index=False).agg(r=("residual_kwh", "sum"), e=("expected_kwh", "sum"),
                                                                n=("residual_kwh", "size"))
        daily = daily[daily["n"] >= self.n_low]
        daily["excess"] = daily["r"] / daily["e"]
        return daily[[*KEYS, "day", "excess"]]

    def _rolling(self, daily: pd.DataFrame) -> pd.Series:
        return daily.groupby(KEYS, sort=False)["excess"].transform(
            lambda s: s.rolling(self.window_days, min_periods=max(3, self.window_days // 2)).median())

    def fit(self, reference: pd.DataFrame) -> BaseLoadCreep:
        self.scaler_ = _fitted_scaler(self.scaler, reference)
        daily = self._daily(reference)
        daily["roll"] = self._rolling(daily)
        self.stats_: dict[tuple[str, str], tuple[float, float]] = {}
        for key, g in daily.dropna(subset=["roll"]).groupby(KEYS):
            if len(g) < 28:
                continue
            med, scale = _mad_scale(g["roll"].to_numpy())
            self.stats_[key] = (med, max(scale, 0.005))
        return self

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler_.transform(frame)
        daily = self._daily(frame)
        ratio = np.zeros(len(frame))
        if not daily.empty:
            daily["roll"] = self._rolling(daily)
            med = np.array([self.stats_.get(k, (np.nan, np.nan))[0] for k in
                            zip(daily["machine_id"], daily["energy_type"], strict=True)])
            scale = np.array([self.stats_.get(k, (np.nan, np.nan))[1] for k in
                              zip(daily["machine_id"], daily["energy_type"], strict=True)])
            dz = (daily["roll"].to_numpy() - med) / scale
            evident = (daily["roll"].to_numpy() >= self.min_excess) & (daily["excess"].to_numpy() >= self.min_excess)
            daily["ratio"] = np.where(evident, dz / self.z_threshold, np.minimum(dz / self.z_threshold, 0.99))
            day = kpis.local_time(frame["bucket"], frame["timezone"]).dt.normalize()
            keyed = frame[KEYS].assign(day=day.to_numpy())
            ratio = keyed.merge(daily[[*KEYS, "day", "ratio"]], on=[*KEYS, "day"], how="left")["ratio"].to_numpy()
        return self._out(frame, z, np.nan_to_num(ratio, nan=0.0))


class OldIsolationForest(_Detector):
    """The EnMS's earlier method, kept for comparison: IsolationForest(contamination=0.1) fitted and scored on
    the same window, per series, on every hour (state-blind), on the same features as
    :class:`IsolationForestDetector` (raw, NaN → the column median). It flags ~10 % of any window, faults or
    not, and its severity is always 'normal'."""

    method = "old_isolation_forest"

    def __init__(self, contamination: float = 0.1, random_state: int = 0, gap_hours: int = GAP_HOURS,
                 min_hours: int = 1):
        self.contamination = contamination
        self.random_state = random_state
        self.gap_hours = gap_hours
        self.min_hours = min_hours

    def fit(self, reference: pd.DataFrame | None = None) -> OldIsolationForest:
        return self  # it never had a reference: it fits the window it scores

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        flag = np.zeros(len(frame), dtype=bool)
        cols = ["actual_kwh", "running_frac", "production", *[c for c in ENV_FEATURES if c in frame.columns]]
        for _, idx in frame.groupby(KEYS, sort=False).indices.items():
            part = frame.iloc[idx]
            use = [c for c in cols if part[c].notna().any()]
            x = part[use].astype("float64")
            x = x.fillna(x.median()).to_numpy()
            model = IsolationForest(contamination=self.contamination, random_state=self.random_state)
            flag[idx] = model.fit_predict(x) == -1
        z = np.zeros(len(frame))
        out = frame.assign(z=z, score=flag.astype("float64"))
        out["flag"] = flag
        return out

    def detect(self, frame: pd.DataFrame) -> pd.DataFrame:
        events = build_events(self.score(frame), self.method, ANOMALY_TYPES[self.method],
                              gap_hours=self.gap_hours, min_hours=self.min_hours, eligible_only=False)
        events["severity"] = "normal"
        return events


# ------------------------------------------------------------------------------------------------------ events
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


def _hour_numbers(bucket: pd.Series) -> np.ndarray:
    return (bucket.to_numpy(dtype="datetime64[us]").astype("int64") // 3_600_000_000).astype(np.int64)


def _from_hours(hours: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(hours.astype("int64") * 3600, unit="s", utc=True).as_unit("us")


def _metrics(frame: pd.DataFrame, intervals: pd.DataFrame, eligible_only: bool = True) -> pd.DataFrame:
    """Σ actual, Σ expected, mean/peak z, wasted kWh over the (eligible) rows of each interval of its series.

    ``intervals``: machine_id, energy_type, start, end. ``frame`` must carry ``z`` (robust residual z).
    """
    n = len(intervals)
    res = {k: np.full(n, np.nan) for k in ("actual", "expected", "z", "peak_z", "wasted")}
    if n == 0:
        return pd.DataFrame(res)
    groups = frame.groupby(KEYS, sort=False).indices
    for key, pos in intervals.groupby(KEYS, sort=False).indices.items():
        idx = groups.get(key)
        if idx is None:
            continue
        part = frame.iloc[idx]
        hours = _hour_numbers(part["bucket"])
        ok = part["eligible"].to_numpy(dtype=bool).copy() if eligible_only else np.ones(len(part), dtype=bool)
        a, e = part["actual_kwh"].to_numpy(dtype="float64"), part["expected_kwh"].to_numpy(dtype="float64")
        z = part["z"].to_numpy(dtype="float64") if "z" in part.columns else np.full(len(part), np.nan)
        ok &= np.isfinite(a) & np.isfinite(e)
        w = np.where(ok, np.maximum(a - e, 0.0), 0.0)
        csum = {name: np.concatenate(([0.0], np.cumsum(np.where(ok, v, 0.0)))) for name, v in
                (("actual", a), ("expected", e), ("wasted", w), ("z", np.nan_to_num(z)), ("n", ok * 1.0))}
        iv = intervals.iloc[pos]
        lo = np.searchsorted(hours, _hour_numbers(iv["start"]), side="left")
        hi = np.searchsorted(hours, _hour_numbers(iv["end"]), side="left")
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


def build_events(scored: pd.DataFrame, method: str, anomaly_type: str, *, gap_hours: int = GAP_HOURS,
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
    for key, g in _series(sub):
        hours = _hour_numbers(g["bucket"])
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
    ev["start"] = _from_hours(ev["h0"].to_numpy())
    ev["end"] = _from_hours(ev["h1"].to_numpy())
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
                   gap_hours: int = GAP_HOURS) -> pd.DataFrame:
    """One incident list for the plant manager from several detectors' events.

    Events of one series that overlap or lie ≤ ``gap_hours`` apart form one incident: start = the earliest
    start, end = the latest end; ``anomaly_type`` and ``detection_method`` are those of the EARLIEST-starting
    contributor (ties broken by :data:`PRIORITY`), so they never change when a later run adds a contributor
    (the event key stays stable); ``detectors`` lists every contributing method; severity = the highest;
    confidence = 1 − Π(1 − cᵢ) (noisy-OR); the energy metrics are recomputed over the incident. ``frame`` is
    the :func:`detection_frame` with ``z`` (robust residual z) for the metrics.
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
    for key, g in _series(allev):
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
                                 gap_hours: int = GAP_HOURS) -> tuple[pd.DataFrame, pd.DataFrame]:
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


# -------------------------------------------------------------------------------------------------------- cost
def _currency(factories: pd.DataFrame | None, tariffs: pd.DataFrame) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if factories is not None and "metadata" in factories.columns:
        for fid, meta in zip(factories["factory_id"], factories["metadata"], strict=True):
            parsed = json.loads(meta) if isinstance(meta, str) and meta else (meta if isinstance(meta, Mapping)
                                                                              else {})
            if parsed.get("currency"):
                out[str(fid)] = parsed["currency"]
    if "currency" in tariffs.columns:
        for fid, cur in tariffs.dropna(subset=["currency"]).groupby("factory_id")["currency"].first().items():
            out.setdefault(str(fid), cur)
    return out


def add_costs(events: pd.DataFrame, frame: pd.DataFrame, machines: pd.DataFrame, factories: pd.DataFrame | None,
              tariffs: pd.DataFrame, energy_sources: pd.DataFrame) -> pd.DataFrame:
    """Add ``wasted_cost`` and ``currency``: the event's hourly wasted kWh (max(0, actual − expected) of its
    eligible hours) costed at the factory's LOCAL tariff (``kpis.tariff_rates``), natural gas as m³ × the
    ``energy_sources`` price, steam 0 (its fuel is already costed); another energy type gives NaN."""
    events = events.reset_index(drop=True).copy()
    events["wasted_cost"] = 0.0
    factory = machines.drop_duplicates("machine_id").set_index(machines["machine_id"].astype(str)).get("factory_id")
    currency = _currency(factories, tariffs)
    events["currency"] = events["machine_id"].map(factory).map(currency) if factory is not None else None
    if events.empty:
        return events
    groups = frame.groupby(KEYS, sort=False).indices
    pieces = []
    for key, pos in events.groupby(KEYS, sort=False).indices.items():
        idx = groups.get(key)
        if idx is None:
            continue
        part = frame.iloc[idx]
        hours = _hour_numbers(part["bucket"])
        iv = events.iloc[pos]
        lo = np.searchsorted(hours, _hour_numbers(iv["start"]))
        hi = np.searchsorted(hours, _hour_numbers(iv["end"]))
        take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if len(lo) else []
        owner = np.concatenate([np.full(b - a, p) for a, b, p in zip(lo, hi, pos, strict=True)]) if len(lo) else []
        rows = part.iloc[take]
        wasted = np.where(rows["eligible"].to_numpy(dtype=bool),
                          np.maximum(rows["residual_kwh"].to_numpy(dtype="float64"), 0.0), 0.0)
        pieces.append(pd.DataFrame({"event": owner, "bucket": rows["bucket"].to_numpy(),
                                    "machine_id": key[0], "energy_type": key[1], "total_energy_kwh": wasted}))
    if not pieces:
        return events
    hourly = pd.concat(pieces, ignore_index=True)
    hourly = hourly[hourly["total_energy_kwh"] > 0].reset_index(drop=True)
    hourly["bucket"] = hourly["bucket"].astype("datetime64[us, UTC]")
    cost = np.full(len(hourly), np.nan)
    kind = hourly["energy_type"].to_numpy()
    elec = kind == "electricity"
    if elec.any():
        pairs = hourly.loc[elec, ["bucket", "machine_id", "energy_type", "total_energy_kwh"]].drop_duplicates(
            ["machine_id", "bucket"])
        rated = kpis.tariff_rates(pairs, machines, tariffs)  # sorted: map the rate back by (machine, bucket)
        rate = rated.set_index(["machine_id", "bucket"])["rate_per_kwh"]
        sub = hourly[elec]
        cost[elec] = sub["total_energy_kwh"].to_numpy() * rate.reindex(
            pd.MultiIndex.from_arrays([sub["machine_id"], sub["bucket"]])).to_numpy(dtype="float64")
    gas = kind == "natural_gas"
    if gas.any():
        src = energy_sources[energy_sources["name"] == "natural_gas"]
        price = float(src["cost_per_unit"].iloc[0]) if len(src) else np.nan
        cost[gas] = hourly.loc[gas, "total_energy_kwh"].to_numpy() / GAS_KWH_PER_M3 * price
    cost[kind == "steam"] = 0.0
    total = pd.Series(cost).groupby(hourly["event"].to_numpy()).sum(min_count=1)
    events.loc[total.index, "wasted_cost"] = total.to_numpy()
    return events


# ------------------------------------------------------------------------------------------------ orchestration
def default_detectors(scaler: ResidualScaler | None = None) -> dict[str, _Detector]:
    """The new detectors with their default settings, keyed by detection method; ``scaler``: a residual scaler
    to share (a fitted one is used as it is, an unfitted one is copied and fitted by each detector)."""
    return {d.method: d for d in (ResidualZScore(scaler=scaler), ResidualCusum(scaler=scaler),
                                  IsolationForestDetector(scaler=scaler), LeftRunningRule(scaler=scaler),
                                  BaseLoadCreep(scaler=scaler))}


COMBINED = ("residual_zscore", "residual_cusum", "left_running_rule", "base_load_creep")
"""Detectors whose events form the plant manager's combined list."""


ALERT_EXCLUDED_ENERGY_TYPES = ("steam",)
"""Energy types that raise no consumption alert: steam is the boiler's OUTPUT (more steam = more demand from the
plant, not waste); its fuel (natural gas) and the boiler's electricity carry the boiler's own faults."""


def run_detectors(frame: pd.DataFrame, reference: pd.DataFrame, detectors: Mapping[str, _Detector] | None = None,
                  *, combined: Sequence[str] = COMBINED, gap_hours: int = GAP_HOURS,
                  exclude_energy_types: Sequence[str] = ALERT_EXCLUDED_ENERGY_TYPES) -> dict[str, pd.DataFrame]:
    """Fit each detector on ``reference`` and detect on ``frame`` → {method: events, 'combined': incidents}.

    Series of ``exclude_energy_types`` (steam) are left out of both."""
    frame = frame[~frame["energy_type"].isin(exclude_energy_types)]
    reference = reference[~reference["energy_type"].isin(exclude_energy_types)]
    scaler = ResidualScaler().fit(reference)
    detectors = dict(detectors or default_detectors(scaler))
    out = {name: det.fit(reference).detect(frame) for name, det in detectors.items()}
    framez = frame.assign(z=scaler.transform(frame))
    out["combined"] = combine_events({k: out[k] for k in combined if k in out}, framez, gap_hours=gap_hours)
    return out


# -------------------------------------------------------------------------------------------------- evaluation
def machine_months(frame: pd.DataFrame, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> float:
    """Σ over machines of the hours of data in [start, end) / 730.5 (hours in an average month)."""
    rows = frame
    if start is not None:
        rows = rows[rows["bucket"] >= start]
    if end is not None:
        rows = rows[rows["bucket"] < end]
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


def evaluate(detections: pd.DataFrame, truth: pd.DataFrame, *, start: pd.Timestamp | None = None,
             end: pd.Timestamp | None = None, months: float, min_effect_pct: float = 10.0,
             min_duration_h: float = 2.0) -> tuple[dict[str, Scores], pd.DataFrame]:
    """Event-level scores of one detector in the window [start, end) (domain.md).

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
    truth = truth[(truth["start_time"] < hi) & (truth["end_time"] > lo)]
    det = detections[(detections["start"] < hi) & (detections["end"] > lo)] if len(detections) else detections
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


def evaluation_table(event_lists: Mapping[str, pd.DataFrame], truth: pd.DataFrame, windows: Mapping[str, tuple],
                     frame: pd.DataFrame) -> pd.DataFrame:
    """One comparison table: detector × window × subset ('all', 'target', each fault type).

    ``event_lists``: {detector: events} or, per window, {window: {detector: events}} (the old method is fitted
    on each window, so its events differ per window); ``windows``: {name: (start, end)}.
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


# ------------------------------------------------------------------------------------------------- write-back
_KEY_NAMESPACE = uuid.UUID("6f1c1f0e-5d1a-4c57-9a4e-0e6a2b7c9d11")


def event_key(machine_id: str, energy_type: str, anomaly_type: str, detection_method: str,
              start: pd.Timestamp | str) -> str:
    """Stable idempotence key: UUID5 of machine_id | energy_type | anomaly_type | detection_method | start (UTC,
    ISO 8601, hour resolution). The end is not part of it, so an event that grows in a later run keeps its key;
    being a UUID it can also serve as the row's ``id``."""
    stamp = pd.Timestamp(start)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    text = "|".join([str(machine_id), str(energy_type), str(anomaly_type), str(detection_method),
                     stamp.floor("h").strftime("%Y-%m-%dT%H:%M:%SZ")])
    return str(uuid.uuid5(_KEY_NAMESPACE, text))


def _decimal(values: pd.Series, limit: float, name: str, reasons: list[list[str]]) -> pd.Series:
    """Round to 2 decimals; a value beyond ±limit (or not finite) is stored as NULL with the reason noted."""
    out = []
    for i, v in enumerate(values.to_numpy(dtype="float64")):
        if not math.isfinite(v):
            out.append(None)
            if not math.isnan(v):
                reasons[i].append(f"{name} not finite ({v})")
        elif abs(round(v, 2)) > limit:
            out.append(None)
            reasons[i].append(f"{name} {v:.6g} exceeds DECIMAL(8,2) ±{limit:,.2f}; stored as NULL")
        else:
            out.append(round(v, 2))
    return pd.Series(out, index=values.index, dtype=object)


def anomaly_rows(events: pd.DataFrame, *, run_id: str | None = None, created_at: pd.Timestamp | None = None
                 ) -> pd.DataFrame:
    """Rows for the EnMS ``anomalies`` table from events (one row per event), DECIMAL limits respected.

    ``id`` = ``event_key`` (a UUID5: a rerun yields the same id); ``detected_at`` = event start (UTC);
    ``deviation_percent`` / ``deviation_std_dev`` are DECIMAL(8,2): rounded to 2 decimals, beyond ±999,999.99
    (or not finite) stored as NULL with the reason in ``metadata.null_reasons``; ``confidence_score`` is
    clipped to [0, 1] and rounded to 4 decimals (DECIMAL(5,4)); ``is_resolved`` False. ``metadata`` (JSON
    text) holds energy_type, start, end (UTC ISO, half-open), hours, wasted_kwh, wasted_cost, currency,
    event_key, detectors, peak_z and run_id.
    """
    ev = events.reset_index(drop=True)
    reasons: list[list[str]] = [[] for _ in range(len(ev))]
    keys = [event_key(m, e, a, d, s) for m, e, a, d, s in zip(ev["machine_id"], ev["energy_type"],
                                                               ev["anomaly_type"], ev["detection_method"],
                                                               ev["start"], strict=True)]
    rows = pd.DataFrame({
        "id": keys,
        "machine_id": ev["machine_id"].astype(str),
        "detected_at": ev["start"],
        "anomaly_type": ev["anomaly_type"].astype(str).str.slice(0, 100),
        "severity": ev["severity"].astype(str),
        "metric_name": ev["metric_name"].astype(str),
        "metric_value": ev["metric_value"].astype("float64"),
        "expected_value": ev["expected_value"].astype("float64"),
        "deviation_percent": _decimal(ev["deviation_percent"], DECIMAL_LIMITS["deviation_percent"],
                                      "deviation_percent", reasons),
        "deviation_std_dev": _decimal(ev["z"], DECIMAL_LIMITS["deviation_std_dev"], "deviation_std_dev", reasons),
        "detection_method": ev["detection_method"].astype(str).str.slice(0, 100),
        "confidence_score": np.round(np.clip(np.nan_to_num(ev["confidence"].to_numpy(dtype="float64")), 0, 1), 4),
        "is_resolved": False,
    })
    bad_sev = ~rows["severity"].isin(SEVERITIES)
    if bad_sev.any():
        raise ValueError(f"severity must be one of {SEVERITIES}, got {sorted(set(rows['severity'][bad_sev]))}")
    meta = []
    for i, r in ev.iterrows():
        m = {"energy_type": r["energy_type"], "start": pd.Timestamp(r["start"]).isoformat(),
             "end": pd.Timestamp(r["end"]).isoformat(), "hours": float((r["end"] - r["start"]) / HOUR),
             "wasted_kwh": _json_number(r.get("wasted_kwh")), "wasted_cost": _json_number(r.get("wasted_cost")),
             "currency": r.get("currency") if isinstance(r.get("currency"), str) else None,
             "event_key": keys[i], "peak_z": _json_number(r.get("peak_z")),
             "detectors": r.get("detectors") if isinstance(r.get("detectors"), str) else r["detection_method"]}
        if run_id is not None:
            m["run_id"] = run_id
        if reasons[i]:
            m["null_reasons"] = reasons[i]
        meta.append(json.dumps(m, sort_keys=True))
    rows["metadata"] = meta
    if created_at is not None:
        rows["created_at"] = created_at
    return rows


def _json_number(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return round(v, 6) if math.isfinite(v) else None


def _meta(value: object) -> dict:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        return json.loads(value)
    return {}


def plan_write_back(new_rows: pd.DataFrame, existing: pd.DataFrame, *, gap_hours: int = GAP_HOURS
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Decide, without touching a database, what an idempotent write does → (insert, update, skip).

    ``existing``: the ``anomalies`` rows already stored for these machines (``id``, ``machine_id``,
    ``anomaly_type``, ``detection_method``, ``detected_at``, ``is_resolved``, ``metadata`` with energy_type, end
    and event_key). A new row is the SAME event as a stored one when its event key equals the stored key, or
    when machine, energy type, anomaly type and method are equal and the intervals overlap or lie ≤
    ``gap_hours`` apart (a window that starts inside an event sees a truncated start). Then:
    stored row resolved → skip (rows people resolved are never touched); the new end is later → update the
    stored row (same id, same detected_at and key; end, hours and the metrics from the longer view); else skip
    (a rerun inserts nothing). Anything else is inserted. ``update`` carries the stored ``id``.
    """
    if existing is None or existing.empty:
        return new_rows.copy(), new_rows.iloc[0:0].copy(), new_rows.iloc[0:0].copy()
    ex = existing.reset_index(drop=True).copy()
    meta = [_meta(v) for v in ex["metadata"]]
    ex["_key"] = [m.get("event_key") for m in meta]
    ex["_energy"] = [m.get("energy_type") for m in meta]
    ex["_start"] = pd.to_datetime(ex["detected_at"], utc=True)
    ex["_end"] = pd.to_datetime([m.get("end") for m in meta], utc=True)
    gap = pd.Timedelta(hours=gap_hours)
    inserts, updates, skips = [], [], []
    for _, row in new_rows.iterrows():
        m = _meta(row["metadata"])
        start, end = pd.Timestamp(m["start"]), pd.Timestamp(m["end"])
        same = ex["_key"] == m.get("event_key")
        if not same.any():
            same = ((ex["machine_id"].astype(str) == str(row["machine_id"])) & (ex["_energy"] == m["energy_type"])
                    & (ex["anomaly_type"] == row["anomaly_type"]) & (ex["detection_method"] == row["detection_method"])
                    & (ex["_start"] <= end + gap) & (ex["_end"].isna() | (start <= ex["_end"] + gap)))
        if not same.any():
            inserts.append(row)
            continue
        stored = ex[same].sort_values("_start").iloc[0]
        if bool(stored["is_resolved"]):
            skips.append(row)
            continue
        if pd.isna(stored["_end"]) or end > stored["_end"]:
            upd = row.copy()
            upd["id"] = stored["id"]
            upd["detected_at"] = stored["detected_at"]
            new_meta = dict(m, event_key=stored["_key"] or m.get("event_key"))
            if start > stored["_start"]:  # a truncated view: keep the stored start
                new_meta["start"] = pd.Timestamp(stored["_start"]).isoformat()
                new_meta["hours"] = float((end - stored["_start"]) / HOUR)
            upd["metadata"] = json.dumps(new_meta, sort_keys=True)
            updates.append(upd)
        else:
            skips.append(row)
    cols = list(new_rows.columns)
    return (pd.DataFrame(inserts, columns=cols).reset_index(drop=True),
            pd.DataFrame(updates, columns=cols).reset_index(drop=True),
            pd.DataFrame(skips, columns=cols).reset_index(drop=True))
