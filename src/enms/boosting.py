"""Gradient boosting, set up once for the baselines and the forecasters that use it."""

from __future__ import annotations

import contextlib
import functools

from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController


def hist_gradient_boosting(*, max_iter: int, learning_rate: float, max_leaf_nodes: int, min_samples_leaf: int,
                           l2_regularization: float, random_state: int) -> HistGradientBoostingRegressor:
    """A histogram gradient-boosting regressor with a fixed number of iterations: no early stopping, whose
    internal random validation split would leak future hours into a time-series fit."""
    return HistGradientBoostingRegressor(
        max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
        min_samples_leaf=min_samples_leaf, l2_regularization=l2_regularization,
        early_stopping=False, random_state=random_state,
    )


@functools.cache
def _thread_pools() -> ThreadpoolController:
    """This process's OpenMP / BLAS libraries, found once: finding them reads /proc/self/maps, which cost 0.4 s per
    forecast series when every capped call did it. Made at the first cap, after scikit-learn, NumPy and SciPy are
    loaded (this module imports them)."""
    return ThreadpoolController()


def thread_cap(n_threads: int | None) -> contextlib.AbstractContextManager:
    """Cap OpenMP / BLAS threads to ``n_threads`` (None: the libraries' default). Worker processes each capped at
    one thread keep two cores from oversubscribing."""
    return contextlib.nullcontext() if n_threads is None else _thread_pools().limit(limits=n_threads)
