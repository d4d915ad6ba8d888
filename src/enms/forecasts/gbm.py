"""Gradient boosting, direct strategy: one model for all lead times 1..168 h.

:class:`GradientBoostingForecaster` (scikit-learn ``HistGradientBoostingRegressor``, set up by
``enms.boosting``) is trained on samples (origin = each local midnight of the last ``train_days`` (365), lead h:
every lead of day 1, every 6th later lead) with the lead day as a feature. Every energy input is anchored at the
origin, so for any lead the lags of actual energy are at least the lead: the same hour a week before the target
(lag 168 h, and 336 h), the same local hour on the last day before the origin (lag 24 h for hours 1..24 of the
day, 48 h for 25..48, ...), the last hour before the origin and the means of the last 24 h and 168 h. Hours 1..24
of a day-ahead forecast are therefore all predicted from the information at midnight: hour 1 does not get a
fresher lag than hour 24 (no recursion, no 24 separate models). Lags are taken at the same local wall-clock hour
(167 or 169 h across a DST change) and never at or after the origin. Other features: local hour and weekday, the
plan of the target hour (and of the hours before and after it, of the lag hours), temperature.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.boosting import hist_gradient_boosting, thread_cap
from enms.forecasts.base import DAY_AHEAD, WEEK_AHEAD, HourlyForecaster
from enms.forecasts.grid import NS_PER_HOUR, Grid, at
from enms.forecasts.inputs import EXOG_COLUMNS

GBM_FEATURES = (
    "hour", "weekday", "lead_day", "plan_running", "plan_idle", "plan_maintenance", "plan_offline",
    "running_prev", "running_next", "outdoor_temp_c", "lag_week", "running_lag_week", "offline_lag_week",
    "lag_2weeks", "lag_day", "running_lag_day", "last", "mean_24h", "mean_168h",
)


def _window_means(y: np.ndarray, width: int) -> np.ndarray:
    """m[i] = mean of the finite y[i - width : i] (NaN without any)."""
    v = np.where(np.isfinite(y), y, 0.0)
    cs = np.concatenate([[0.0], np.cumsum(v)])
    cn = np.concatenate([[0], np.cumsum(np.isfinite(y))])
    i = np.arange(len(y) + 1)
    lo = np.maximum(i - width, 0)
    cnt = cn[i] - cn[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (cs[i] - cs[lo]) / np.maximum(cnt, 1), np.nan)


def _utc_offsets(hour: np.ndarray, t0_ns: int) -> np.ndarray:
    """Local minus UTC hours per grid position, from the local hour of each position (whole-hour zones)."""
    utc_hour = ((t0_ns // NS_PER_HOUR) + np.arange(len(hour))) % 24
    return (np.nan_to_num(hour).astype(np.int64) - utc_hour + 12) % 24 - 12


def _local_lag(p: np.ndarray, k: np.ndarray, off: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Position of the same local wall-clock time ``k`` hours before p (k ± 1 across a DST change); -1 where that
    is not before the origin o (never an hour at or after the origin)."""
    back = np.clip(p - k, 0, len(off) - 1)
    q = p - k + off[np.clip(p, 0, len(off) - 1)] - off[back]
    return np.where(q < o, q, -1)


def _gbm_design(y: np.ndarray, exog: Mapping[str, np.ndarray], o: np.ndarray, h: np.ndarray,
                t0_ns: int) -> np.ndarray:
    """Features of the targets p = o + h from origins o (positions) and 0-based leads h: every energy input lies
    before its origin (see the module docstring). Lags are taken at the same local wall-clock time (a week,
    two weeks, whole days before), so a DST change does not shift them by an hour."""
    p = o + h
    n = len(y)
    run, off = exog["plan_running"], exog["plan_offline"]
    utc_off = _utc_offsets(exog["hour"], t0_ns)
    week = _local_lag(p, np.full(len(p), 168), utc_off, o)
    week2 = _local_lag(p, np.full(len(p), 336), utc_off, o)
    day = _local_lag(p, 24 * (h // 24 + 1), utc_off, o)
    m24, m168 = _window_means(y, 24), _window_means(y, 168)
    cols = [
        exog["hour"][p], exog["weekday"][p], (h // 24).astype(float),
        run[p], exog["plan_idle"][p], exog["plan_maintenance"][p], off[p],
        run[np.maximum(p - 1, 0)], run[np.minimum(p + 1, n - 1)], exog["outdoor_temp_c"][p],
        at(y, week), at(run, week), at(off, week), at(y, week2),
        at(y, day), at(run, day), at(y, o - 1), m24[o], m168[o],
    ]
    return np.column_stack(cols)


class GradientBoostingForecaster(HourlyForecaster):
    """Direct multi-horizon gradient boosting (scikit-learn ``HistGradientBoostingRegressor``): one model for all
    leads 1..``max_lead`` h, trained on (local-midnight origin, lead) samples of the last ``train_days``; all
    leads of day 1 and every ``lead_stride``-th later lead (rotating with the origin) are sampled."""

    name = "gbm"
    needs_exog = True

    def __init__(self, *, train_days: int = 365, max_lead: int = WEEK_AHEAD, lead_stride: int = 6,
                 max_iter: int = 100, learning_rate: float = 0.12, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 20, l2_regularization: float = 1.0, random_state: int = 0,
                 n_threads: int | None = 1, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.train_days = train_days
        self.max_lead = max_lead
        self.lead_stride = lead_stride
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_threads = n_threads

    def _samples(self, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
        n = grid.n
        hour = grid.exog["hour"]
        first = max(168, n - self.train_days * 24)
        origins = np.flatnonzero(hour[first:] == 0) + first
        day1 = np.arange(min(DAY_AHEAD, self.max_lead))
        later = np.arange(DAY_AHEAD, self.max_lead)
        o_parts, h_parts = [], []
        for j, o in enumerate(origins):
            hs = np.concatenate([day1, later[(later + j) % self.lead_stride == 0]])
            hs = hs[o + hs < n]
            o_parts.append(np.full(len(hs), o))
            h_parts.append(hs)
        if not o_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        o, h = np.concatenate(o_parts).astype(np.int64), np.concatenate(h_parts).astype(np.int64)
        keep = np.isfinite(grid.y[o + h])
        return o[keep], h[keep]

    def _fit(self, grid: Grid) -> int:
        exog = {c: np.nan_to_num(v, nan=np.nanmean(v) if np.isfinite(v).any() else 0.0)
                for c, v in grid.exog.items()}
        o, h = self._samples(grid)
        if len(o) < 50:
            raise ValueError(f"gbm: only {len(o)} training samples (need a few weeks of history)")
        X = _gbm_design(grid.y, exog, o, h, grid.t0)
        y = grid.y[o + h]
        reg = hist_gradient_boosting(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            random_state=self.random_state,
        )
        with thread_cap(self.n_threads):
            self.regressor_ = reg.fit(X, y)
        return len(y)

    def _predict(self, past: Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        n = past.n
        if (origin_ns - past.t0) // NS_PER_HOUR != n:  # a gap between the data and the origin: NaN-pad
            gap = (origin_ns - past.t0) // NS_PER_HOUR - n
            past = Grid(past.t0, np.concatenate([past.y, np.full(gap, np.nan)]),
                         {c: np.concatenate([v, np.full(gap, np.nan)]) for c, v in past.exog.items()})
            n = past.n
        y = np.concatenate([past.y, np.full(horizon, np.nan)])  # no actual at or after the origin, by design
        exog = {}
        for c in EXOG_COLUMNS:
            a = np.concatenate([past.exog.get(c, np.full(n, np.nan)), future[c]])
            exog[c] = pd.Series(a).ffill().bfill().fillna(0.0).to_numpy()
        h = np.arange(horizon, dtype=np.int64)
        X = _gbm_design(y, exog, np.full(horizon, n, dtype=np.int64), h, past.t0)
        with thread_cap(self.n_threads):
            return self.regressor_.predict(X)

    def _extra_summary(self) -> dict[str, object]:
        return {"features": list(GBM_FEATURES), "train_days": self.train_days, "max_lead": self.max_lead,
                "lead_stride": self.lead_stride, "n_iter": int(self.regressor_.n_iter_),
                "learning_rate": self.learning_rate, "max_leaf_nodes": self.max_leaf_nodes}
