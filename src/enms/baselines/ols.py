"""Least squares for the linear baselines: the fits, externally studentised residuals (outlier screening),
batched fits over a balance-point grid, and degree terms.

Outlier handling (faults hidden in the baseline), for the linear models: fit by OLS, drop the points whose
externally studentised residual exceeds ``outlier_threshold`` (3.5) in absolute value, refit, repeat until
none is dropped (at most ``max_outlier_iter`` rounds, at most ``max_outlier_fraction`` of the rows in total);
balance points are searched again on the retained rows. The final fit, its p-values, confidence intervals and
F-test are plain OLS (statsmodels) on the retained rows, so the EnPI Lite gate reads OLS inference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from enms.baselines.base import Baseline, outlier_rows
from enms.baselines.features import cooling_degrees, heating_degrees

BALANCE_POINT_GRID = (10.0, 24.0, 0.5)
"""Balance-point search grid (°C): start, stop (inclusive), step."""
DEGREE_TERMS = ("hdd", "cdd")
RESOLUTIONS = ("hourly", "daily", "monthly")


def balance_grid(spec: Sequence[float]) -> np.ndarray:
    """The balance points (°C) of a (start, stop inclusive, step) grid."""
    start, stop, step = (float(v) for v in spec)
    return np.round(np.arange(start, stop + step / 2.0, step), 6)


def degree_term(kind: str, t: np.ndarray, base: float, resolution: str) -> np.ndarray:
    """'hdd' or 'cdd' of temperatures ``t`` (°C) at ``base``; degree-hours in degree-days (/24) when hourly."""
    d = heating_degrees(t, base) if kind == "hdd" else cooling_degrees(t, base)
    return d / 24.0 if resolution == "hourly" else d


def degree_table(kind: str, t: np.ndarray, bases: np.ndarray, resolution: str) -> np.ndarray:
    """:func:`degree_term` of temperatures ``t`` (°C) at every base of a balance-point grid: (len(bases), len(t)),
    computed once per search so that the candidate designs are assembled by indexing, not recomputed."""
    return np.stack([degree_term(kind, t, float(b), resolution) for b in bases])


def least_squares(D: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Least squares via the eigen-decomposition of D'D (pseudo-inverse when rank-deficient):
    (beta, residuals, leverage h_ii, rank). Cheap for tall designs (hour-of-week indicators)."""
    gram = D.T @ D
    w, v = np.linalg.eigh(gram)
    tol = (w.max() if w.size else 0.0) * max(D.shape) * np.finfo(float).eps
    r = w > tol
    inv = (v[:, r] / w[r]) @ v[:, r].T
    beta = inv @ (D.T @ y)
    resid = y - D @ beta
    hat = np.einsum("ij,ij->i", D @ inv, D)
    return beta, resid, hat, int(r.sum())


def studentized(resid: np.ndarray, hat: np.ndarray, rank: int) -> np.ndarray:
    """Externally studentised residuals e_i / (s_(i) sqrt(1 - h_i))."""
    n = len(resid)
    dof = n - rank
    if dof <= 1:
        return np.zeros(n)
    one_h = np.clip(1.0 - hat, 1e-12, None)
    sse = float(np.sum(resid**2))
    s2_i = np.clip((sse - resid**2 / one_h) / (dof - 1), 1e-300, None)
    return resid / np.sqrt(s2_i * one_h)


def batch_fit(
    designs: np.ndarray, y: np.ndarray, *, pvalues: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """OLS of y on each design of a stack (G, n, p): (beta (G, p), SSE (G,), two-sided p-values or None)."""
    G, n, p = designs.shape
    betas, sses, pvals = [], [], []
    chunk = max(1, int(4_000_000 // max(1, n * p)))
    for a in range(0, G, chunk):
        D = designs[a : a + chunk]
        Dt = D.transpose(0, 2, 1)  # batched matrix products run on BLAS, einsum's sums do not
        inv = np.linalg.pinv(Dt @ D)
        beta = (inv @ (Dt @ y)[..., None])[..., 0]
        sse = np.sum((y[None, :] - (D @ beta[..., None])[..., 0]) ** 2, axis=1)
        betas.append(beta)
        sses.append(sse)
        if pvalues:
            dof = max(n - p, 1)
            se = np.sqrt(np.clip(sse[:, None] / dof * np.diagonal(inv, axis1=1, axis2=2), 0, None))
            with np.errstate(divide="ignore", invalid="ignore"):
                tstat = np.where(se > 0, beta / se, np.inf)
            pvals.append(2.0 * stats.t.sf(np.abs(tstat), dof))
    return np.concatenate(betas), np.concatenate(sses), (np.concatenate(pvals) if pvalues else None)


def screen_outliers(ok: np.ndarray, y: np.ndarray, design_of: Callable[[np.ndarray], np.ndarray],
                    threshold: float | None, max_fraction: float, max_iter: int) -> np.ndarray:
    """The rows of ``ok`` kept after outlier screening: fit by least squares on the kept rows (``design_of(keep)``
    is their design, balance points searched again on them), drop those whose |externally studentised
    residual| exceeds ``threshold``, repeat until none is dropped or ``max_iter`` rounds, at most
    ``max_fraction`` of the rows in all. ``threshold`` None keeps every row."""
    keep = ok.copy()
    budget = int(max_fraction * ok.sum())
    rounds = max_iter if threshold is not None else 0
    for _ in range(rounds):
        _, resid, hat, rank = least_squares(design_of(keep), y[keep])
        drop = outlier_rows(keep, studentized(resid, hat, rank), threshold, budget)
        if len(drop) == 0:
            break
        keep[drop] = False
        budget -= len(drop)
    return keep


def check_variation(D: pd.DataFrame) -> None:
    """Refuse a driver that is constant over the training rows (no information; a singular OLS)."""
    flat = [c for c in D.columns if c != "const" and D[c].nunique() <= 1]
    if flat:
        raise ValueError(
            f"driver(s) constant over the training rows, carrying no information: {', '.join(flat)}; "
            "drop them from the model's drivers"
        )


class OLSBaseline(Baseline):
    """A linear baseline: outlier screening by studentised residuals, then a final plain OLS (statsmodels) on
    the retained rows whose inference (p-values, confidence intervals, F-test, R²) the EnPI Lite gate reads.

    Subclasses set ``outlier_threshold``, ``max_outlier_fraction``, ``max_outlier_iter`` and ``ci_level``.
    """

    def _screen(self, ok: np.ndarray, y: np.ndarray, design_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return screen_outliers(ok, y, design_of, self.outlier_threshold, self.max_outlier_fraction,
                               self.max_outlier_iter)

    def _fit_ols(self, D: pd.DataFrame, y: np.ndarray) -> None:
        """Final OLS of y on the design D (columns ``const`` and the drivers) and its inference."""
        check_variation(D)
        res = sm.OLS(y, D).fit()
        ci = res.conf_int(alpha=1.0 - self.ci_level)
        drivers = list(D.columns[1:])
        self.intercept_ = float(res.params["const"])
        self.coef_ = {k: float(res.params[k]) for k in drivers}
        self.pvalues_ = {k: float(v) for k, v in res.pvalues.items()}
        self.conf_int_ = {k: [float(ci.loc[k, 0]), float(ci.loc[k, 1])] for k in D.columns}
        self.f_pvalue_ = float(res.f_pvalue) if drivers else math.nan
        self.rsquared_, self.rsquared_adj_ = float(res.rsquared), float(res.rsquared_adj)
        self.driver_ranges_ = {k: [float(D[k].min()), float(D[k].max())] for k in drivers}
        self.ols_summary_ = str(res.summary())

    def _inference(self) -> dict[str, object]:
        return {
            "pvalues": self.pvalues_,
            "conf_int": self.conf_int_,
            "ci_level": self.ci_level,
            "f_pvalue": self.f_pvalue_,
            "r_squared": self.rsquared_,
            "r_squared_adj": self.rsquared_adj_,
            "driver_ranges": self.driver_ranges_,
        }

    def coefficients(self) -> dict[str, float]:
        return dict(self.coef_)
