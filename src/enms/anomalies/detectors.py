"""The detectors: ``fit(reference)`` → self; ``score(frame)`` → hourly flags; ``detect(frame)`` → events.

Each is fitted on the eligible hours of a clean reference window (the baseline year), robustly trimmed where
said, and applied to any frame; thresholds come from the reference only.

* :class:`ResidualZScore` – robust z of the residual per series, state class (running / idle / mixed hours),
  local day type (workday / weekend: an HVAC unit's weekend residuals spread twice as wide) and bin of expected
  kWh (8 quantile bins: the spread grows with the load), median and 1.4826·MAD over the
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
(score in threshold units): a 2-hour event must average 1.5 × its threshold.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from enms.anomalies.events import ANOMALY_TYPES, MIN_EVIDENCE, MIN_HOURS, build_events
from enms.anomalies.frame import ENV_FEATURES, KEYS, by_series, hour_numbers, mad_scale
from enms.localtime import local_wall_time
from enms.settings import INCIDENT_GAP_HOURS


def day_types(frame: pd.DataFrame) -> np.ndarray:
    """'weekend' (Saturday, Sunday) or 'workday' per row, by the local calendar of its ``timezone``."""
    out = np.full(len(frame), "workday", dtype=object)
    for zone, idx in frame.groupby("timezone", sort=False).indices.items():
        local = local_wall_time(frame["bucket"].iloc[idx].reset_index(drop=True), str(zone))
        out[idx] = np.where(local.dt.dayofweek.to_numpy() >= 5, "weekend", "workday")
    return out


class ResidualScaler:
    """Robust z of the residual per series, state class, local day type and level of expected energy.

    z = (r − median) / (1.4826 · MAD), the median and MAD taken over the eligible reference hours of the same
    series, state class ('running', 'idle', 'mixed'), day type ('workday', 'weekend': :func:`day_types`) and bin of
    expected kWh (``n_bins`` quantile bins of the class: the residual of an HVAC unit spreads more at 60 kWh than at
    20 kWh). A bin holds at least ``min_rows`` hours (fewer bins otherwise); a state and day type with fewer than
    ``min_rows`` hours uses the series' figures over all classes. One trimming pass per bin: hours with |z| >
    ``trim_z`` are dropped and the median/MAD recomputed (faults hidden in the reference). The scale has a floor of
    ``rel_floor`` × the bin's median actual kWh (an idle machine drawing a constant trickle would otherwise have MAD
    ≈ 0)."""

    def __init__(self, n_bins: int = 8, trim_z: float = 6.0, min_rows: int = 48, rel_floor: float = 0.02):
        self.n_bins = n_bins
        self.trim_z = trim_z
        self.min_rows = min_rows
        self.rel_floor = rel_floor

    def _stats(self, r: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
        med, scale = mad_scale(r)
        floor = max(self.rel_floor * float(np.median(np.abs(actual))), 1e-6)
        scale = max(scale, floor)
        keep = np.abs(r - med) / scale <= self.trim_z
        if 0 < keep.sum() < len(r) and keep.sum() >= max(3, len(r) // 2):
            med, scale = mad_scale(r[keep])
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
        for key, g in by_series(ref):
            r, a = g["residual_kwh"].to_numpy(), g["actual_kwh"].to_numpy()
            e = g["expected_kwh"].to_numpy()
            if len(r) < 3:
                continue
            stats[(*key, "*")] = self._binned(r, a, e)
            states, days = g["state"].to_numpy(), day_types(g)
            for state in ("running", "idle", "mixed"):
                for day in ("workday", "weekend"):
                    sel = (states == state) & (days == day)
                    if sel.sum() >= self.min_rows:
                        stats[(*key, f"{state}/{day}")] = self._binned(r[sel], a[sel], e[sel])
        self.stats_ = stats
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The robust z of each row of ``frame`` (NaN for a series the scaler has not seen)."""
        z = np.full(len(frame), np.nan)
        r = frame["residual_kwh"].to_numpy(dtype="float64")
        e = frame["expected_kwh"].to_numpy(dtype="float64")
        classes = frame[[*KEYS, "state"]].assign(day=day_types(frame))
        for (m, en, state, day), idx in classes.groupby([*KEYS, "state", "day"], sort=False).indices.items():
            fitted = self.stats_.get((m, en, f"{state}/{day}")) or self.stats_.get((m, en, "*"))
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


class Detector:
    """Base of the detectors: a subclass names its ``method`` and implements ``fit(reference)`` → self and
    ``score(frame)`` → the frame with ``z``, ``score`` (threshold units) and ``flag`` (score ≥ 1, eligible hours
    only); the shared ``detect`` merges the flagged hours into events (:func:`build_events`)."""

    method = ""
    gap_hours = INCIDENT_GAP_HOURS
    min_hours = MIN_HOURS
    min_evidence = MIN_EVIDENCE
    min_event_z: float | None = None

    def fit(self, reference: pd.DataFrame) -> Detector:  # pragma: no cover - abstract
        raise NotImplementedError

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


class ResidualZScore(Detector):
    """Flags an eligible hour whose robust residual z ≥ ``z_warning`` (excess only unless ``two_sided``)."""

    method = "residual_zscore"

    def __init__(self, z_warning: float = 4.0, two_sided: bool = False, gap_hours: int = INCIDENT_GAP_HOURS,
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


class ResidualCusum(Detector):
    """One-sided capped CUSUM on the clipped robust z: S_t = min(cap·h, max(0, S_{t−1} + clip(z_t) − k)).

    Ineligible hours leave S unchanged; a stretch of more than ``reset_hours`` hours without an eligible hour
    (maintenance, fault, offline, an outage) resets S to 0: the machine was stopped or repaired. An hour is
    flagged while S ≥ h and an hour with z > k (evidence of excess) lies at most ``tail_hours`` before it, so
    the alarm ends soon after the excess does instead of while S decays. Clipping z at ``z_clip`` keeps one
    spike from raising an alarm on its own. Event start = the first hour S ≥ h (the honest alarm time).
    """

    method = "residual_cusum"

    def __init__(self, k: float = 1.0, h: float = 24.0, z_clip: float = 4.0, cap: float = 2.0,
                 reset_hours: int = 3, tail_hours: int = 6, gap_hours: int = INCIDENT_GAP_HOURS,
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
        hours = hour_numbers(frame["bucket"])
        for _, idx in frame.groupby(KEYS, sort=False).indices.items():
            stat[idx] = self._cusum(z[idx], ok[idx], hours[idx])
        return self._out(frame, z, stat)


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    return ["z", "actual_kwh", "running_frac", "production", *[c for c in ENV_FEATURES if c in frame.columns]]


class IsolationForestDetector(Detector):
    """Isolation Forest per series on hourly features, fitted on the clean reference, applied to new data.

    Features: residual z, actual kWh, running share, production, and the machine's sensors present in at least
    90 % of its reference hours; each standardised by its reference median and IQR, NaN → 0 (the median).
    Reference = eligible hours with |z| ≤ ``trim_z`` (robust trimming: faults hidden in the baseline year are
    not learnt as normal). Threshold = the ``reference_quantile`` quantile of the reference's
    ``score_samples``: no fixed contamination. An hour counts only if its residual z > ``min_z`` (excess).
    """

    method = "isolation_forest"

    def __init__(self, reference_quantile: float = 0.002, trim_z: float = 5.0, min_z: float = 0.0,
                 n_estimators: int = 100, random_state: int = 0, gap_hours: int = INCIDENT_GAP_HOURS,
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
        for key, g in by_series(ref):
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


class LeftRunningRule(Detector):
    """Consumption while not producing: a machine left running overnight or over a weekend.

    Per series, from the reference's eligible hours: idle level = median actual kWh of idle hours (no running
    reading), running level = median of all-running hours. Threshold = max(idle + ``fraction`` × (running −
    idle), the ``idle_quantile`` quantile of idle hours). An hour is flagged when it has no running reading, no
    production (0 or unknown) and its actual kWh exceeds the threshold. Score = (actual − idle) / (threshold −
    idle).
    """

    method = "left_running_rule"

    def __init__(self, fraction: float = 0.5, idle_quantile: float = 0.99, gap_hours: int = INCIDENT_GAP_HOURS,
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
        for key, g in by_series(ref):
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


class BaseLoadCreep(Detector):
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
                 gap_hours: int = INCIDENT_GAP_HOURS, min_hours: int = MIN_HOURS, scaler: ResidualScaler | None = None):
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
        day = local_wall_time(rows["bucket"], rows["timezone"]).dt.normalize()
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
            med, scale = mad_scale(g["roll"].to_numpy())
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
            day = local_wall_time(frame["bucket"], frame["timezone"]).dt.normalize()
            keyed = frame[KEYS].assign(day=day.to_numpy())
            ratio = keyed.merge(daily[[*KEYS, "day", "ratio"]], on=[*KEYS, "day"], how="left")["ratio"].to_numpy()
        return self._out(frame, z, np.nan_to_num(ratio, nan=0.0))


class OldIsolationForest(Detector):
    """The EnMS's earlier method, kept for comparison: IsolationForest(contamination=0.1) fitted and scored on
    the same window, per series, on every hour (state-blind), on the same features as
    :class:`IsolationForestDetector` (raw, NaN → the column median). It flags ~10 % of any window, faults or
    not, and its severity is always 'normal'."""

    method = "old_isolation_forest"

    def __init__(self, contamination: float = 0.1, random_state: int = 0, gap_hours: int = INCIDENT_GAP_HOURS,
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


def default_detectors(scaler: ResidualScaler | None = None) -> dict[str, Detector]:
    """The new detectors with their default settings, keyed by detection method; ``scaler``: a residual scaler
    to share (a fitted one is used as it is, an unfitted one is copied and fitted by each detector)."""
    return {d.method: d for d in (ResidualZScore(scaler=scaler), ResidualCusum(scaler=scaler),
                                  IsolationForestDetector(scaler=scaler), LeftRunningRule(scaler=scaler),
                                  BaseLoadCreep(scaler=scaler))}
