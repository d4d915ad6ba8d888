"""Random and filtered signals the simulator builds its series from (vectorised, on the grid's step)."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def ar1(rng: np.random.Generator, n: int, dt_min: float, tau_min: float) -> np.ndarray:
    """Stationary AR(1) with unit variance and correlation time ``tau_min`` at step ``dt_min``."""
    phi = np.exp(-dt_min / tau_min)
    e = rng.standard_normal(n)
    e[0] /= np.sqrt(1 - phi * phi)  # start in the stationary distribution
    return lfilter([np.sqrt(1 - phi * phi)], [1.0, -phi], e)


def lag(x: np.ndarray, tau_min: float, dt_min: float) -> np.ndarray:
    """First-order lag (thermal inertia) starting at x[0]."""
    a = 1 - np.exp(-dt_min / tau_min)
    return lfilter([a], [1.0, a - 1], x, zi=[(1 - a) * x[0]])[0]


def slowdowns(rng: np.random.Generator, n: int, dt_min: float, per_week: float,
              minutes: tuple[float, float], depth: tuple[float, float]) -> np.ndarray:
    """Rate factor with random slowdown episodes (Poisson arrivals, uniform duration and depth)."""
    factor = np.ones(n)
    k = rng.poisson(per_week * n * dt_min / (7 * 1440))
    starts = rng.integers(0, n, k)
    lengths = np.maximum(1, np.round(rng.uniform(*minutes, k) / dt_min)).astype(np.int64)
    depths = rng.uniform(*depth, k)
    for s, length, f in zip(starts, lengths, depths, strict=True):  # a loop over episodes, not rows
        np.minimum(factor[s:s + length], f, out=factor[s:s + length])
    return factor
