"""Forecast intervals from the model's own out-of-sample errors (all models).

Every forecast a model makes is kept, and once its hours are observed (an ``update`` with later data) its residuals
y - ŷ (kWh) enter the record. A forecast from origin T takes the residuals of the forecasts made from origins in
[T - 28 days, T) whose hours lie before T, grouped by lead bucket (1-6, 7-12, 13-18, 19-24 h, then one bucket per
lead day 2..7) and by planned state of the target hour (running share >= 0.5 or not, since errors are much larger
when a machine runs). The bounds are ŷ + q(α/2) and ŷ + q(1 - α/2) with split-conformal ranks (⌊(n + 1)α/2⌋ and
⌈(n + 1)(1 - α/2)⌉ of the n sorted residuals). A cell with fewer than 30 residuals pools the states, then the
lead buckets; with no residual at all the bounds are NaN. The lower bound is clipped at 0 kWh. (``relative=True``
scales the residuals by the forecast level plus a floor instead; not the default: it did not calibrate better on
the demo plant.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from enms.forecasts.grid import NS_PER_HOUR, at, ns
from enms.settings import CONFIDENCE

#: Lead-hour buckets of the interval calibration: [0, 6), [6, 12), ... in 0-based lead hours.
HORIZON_EDGES = (0, 6, 12, 18, 24, 48, 72, 96, 120, 144, 168)


def conformal_bounds(resid: np.ndarray, level: float) -> tuple[float, float]:
    """Split-conformal lower / upper residual quantiles: ranks ⌊(n + 1)α/2⌋ and ⌈(n + 1)(1 - α/2)⌉."""
    n = len(resid)
    if n == 0:
        return math.nan, math.nan
    r = np.sort(resid)
    alpha = 1.0 - level
    lo = int(math.floor((n + 1) * alpha / 2))
    hi = int(math.ceil((n + 1) * (1 - alpha / 2)))
    return float(r[min(max(lo, 1), n) - 1]), float(r[min(max(hi, 1), n) - 1])


class ResidualIntervals:
    """The out-of-sample track record of one forecaster and the empirical intervals it implies.

    ``add(origin, buckets, steps, predicted, state)`` records a forecast (0-based lead ``steps``; ``state``
    1 = planned running share >= 0.5); ``score(t0, y)`` turns the recorded forecasts whose hours are observed
    (y on the hourly grid starting at ``t0``; hours at or after the end of y stay pending) into residuals;
    ``bounds(origin, steps, state, predicted)`` gives the interval of a forecast from ``origin`` from residuals of
    forecasts made in [origin - calibration_days, origin) of hours before origin (see the module docstring).
    """

    def __init__(self, *, level: float = CONFIDENCE, calibration_days: int = 28,
                 horizon_edges: Sequence[int] = HORIZON_EDGES, by_state: bool = True, min_residuals: int = 30,
                 relative: bool = False, relative_floor: float = 0.25) -> None:
        self.level = level
        self.relative = relative
        self.relative_floor = relative_floor
        self.calibration_days = calibration_days
        self.horizon_edges = tuple(horizon_edges)
        self.by_state = by_state
        self.min_residuals = min_residuals
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        self._pending = {"origin": empty_i, "bucket": empty_i, "step": empty_i, "pred": empty_f, "state": empty_i}
        self._resid = {"origin": empty_i, "bucket": empty_i, "step": empty_i, "resid": empty_f, "pred": empty_f,
                       "state": empty_i}

    @property
    def n_residuals(self) -> int:
        return len(self._resid["resid"])

    def _bucket(self, steps: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.horizon_edges[1:-1]), steps, side="right")

    def add(self, origin: pd.Timestamp, buckets: np.ndarray, steps: np.ndarray, predicted: np.ndarray,
            state: np.ndarray) -> None:
        ok = np.isfinite(predicted)
        new = {"origin": np.full(int(ok.sum()), ns(origin), dtype=np.int64), "bucket": buckets[ok].astype(np.int64),
               "step": steps[ok].astype(np.int64), "pred": predicted[ok], "state": state[ok].astype(np.int64)}
        self._pending = {k: np.concatenate([self._pending[k], new[k]]) for k in self._pending}

    def score(self, t0_ns: int, y: np.ndarray) -> None:
        p = self._pending
        if not len(p["pred"]):
            return
        idx = (p["bucket"] - t0_ns) // NS_PER_HOUR
        due = idx < len(y)
        if not due.any():
            return
        actual = at(y, np.where(due, idx, -1))
        take = due & np.isfinite(actual)
        new = {"origin": p["origin"][take], "bucket": p["bucket"][take], "step": p["step"][take],
               "resid": actual[take] - p["pred"][take], "pred": p["pred"][take], "state": p["state"][take]}
        self._resid = {k: np.concatenate([self._resid[k], new[k]]) for k in self._resid}
        self._pending = {k: v[~due] for k, v in p.items()}
        # Keep what a future origin can still use (origins within the calibration window of the newest).
        newest = int(self._resid["origin"].max())
        keep = self._resid["origin"] >= newest - (self.calibration_days + 8) * 24 * NS_PER_HOUR
        self._resid = {k: v[keep] for k, v in self._resid.items()}

    def residuals(self, origin: pd.Timestamp) -> pd.DataFrame:
        """The residuals usable by a forecast from ``origin`` (origin, bucket, step, state, resid)."""
        o = ns(origin)
        r = self._resid
        use = (r["origin"] < o) & (r["origin"] >= o - self.calibration_days * 24 * NS_PER_HOUR) & (r["bucket"] < o)
        return pd.DataFrame({k: v[use] for k, v in r.items()})

    def bounds(self, origin: pd.Timestamp, steps: np.ndarray, state: np.ndarray,
               predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pool = self.residuals(origin)
        lower, upper = np.full(len(steps), np.nan), np.full(len(steps), np.nan)
        if pool.empty:
            return lower, upper
        pb, ps, pr = self._bucket(pool["step"].to_numpy()), pool["state"].to_numpy(), pool["resid"].to_numpy()
        floor = self.relative_floor * float(np.mean(np.abs(pool["pred"].to_numpy()))) if self.relative else 0.0
        if self.relative:
            pr = pr / (np.abs(pool["pred"].to_numpy()) + floor)
        qb = self._bucket(np.asarray(steps))
        state = np.asarray(state) if self.by_state else np.zeros(len(steps), dtype=np.int64)
        if not self.by_state:
            ps = np.zeros(len(pr), dtype=np.int64)
        cache: dict[tuple[int, int], tuple[float, float]] = {}
        for b, s in set(zip(qb.tolist(), state.tolist(), strict=True)):
            cell = pr[(pb == b) & (ps == s)]
            if len(cell) < self.min_residuals:
                cell = pr[pb == b]
            if len(cell) < self.min_residuals:
                cell = pr
            cache[(b, s)] = conformal_bounds(cell, self.level)
        q = np.array([cache[(b, s)] for b, s in zip(qb.tolist(), state.tolist(), strict=True)]).reshape(-1, 2)
        width = np.abs(predicted) + floor if self.relative else 1.0
        # The band always holds the point forecast: when recent errors all lie on one side the raw quantiles
        # would put the forecast outside its own interval, which reads as a contradiction to a planner.
        lower = np.maximum(np.minimum(predicted + q[:, 0] * width, predicted), 0.0)
        upper = np.maximum(predicted + q[:, 1] * width, np.maximum(predicted, lower))
        return lower, upper
