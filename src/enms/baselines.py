"""Energy baselines (ISO 50006 / IPMVP / ASHRAE Guideline 14 / CalTRACK), their validation and M&V savings.

Estimators in the scikit-learn spirit: ``fit(X, y)`` returns self, ``predict(X)`` returns a Series named
``expected`` on X's index, ``summary()`` returns a JSON-able dict, fitted state ends in ``_``, objects pickle.
X is a driver frame from :mod:`enms.features` (rows in time order), y the energy of those rows.

* Every ``fit`` calls :func:`enms.features.check_drivers` on the columns it uses: a driver derived from the
  target (load factor, power, energy, ...) is refused with an error naming it.
* ``predict`` validates its columns: a missing one is a ``ValueError`` naming it, never a zero. A row with a
  NaN driver is predicted NaN (never imputed). ``fit`` drops rows with a NaN in y or in a column it uses.
* Outlier handling (faults hidden in the baseline), for the linear models: fit by OLS, drop the points whose
  externally studentised residual exceeds ``outlier_threshold`` (3.5) in absolute value, refit, repeat until
  none is dropped (at most ``max_outlier_iter`` rounds, at most ``max_outlier_fraction`` of the rows in
  total); balance points are searched again on the retained rows. The final fit, its p-values, confidence
  intervals and F-test are plain OLS (statsmodels) on the retained rows, so the EnPI Lite gate reads OLS
  inference. The gradient-boosting model drops points with a robust z-score (median/MAD of its in-sample
  residuals) above the threshold and refits once.
* ``n_params_`` counts the intercept and every searched balance point (ASHRAE's p); it is the p of the
  in-sample CV(RMSE) / NMBE in ``fit_stats_`` (metrics of the retained training rows).

Pure core: no warehouse, notebook or Ploomber import.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from enms import metrics as mx
from enms.features import check_drivers, cooling_degrees, heating_degrees

__all__ = [
    "BALANCE_POINT_GRID",
    "TOWT_KNOTS_C",
    "BlockedCV",
    "ChangePointBaseline",
    "GradientBoostingBaseline",
    "HourOfWeekMeanBaseline",
    "RegressionBaseline",
    "SavingsResult",
    "TOWTBaseline",
    "blocked_cv",
    "check_gates",
    "evaluate",
    "holdout_split",
    "load_model",
    "model_card",
    "save_model",
    "savings",
]

#: Balance-point search grid (°C): start, stop (inclusive), step.
BALANCE_POINT_GRID = (10.0, 24.0, 0.5)
#: CalTRACK hourly temperature knots 30, 45, 55, 65, 75, 90 °F, in °C.
TOWT_KNOTS_C = tuple(round((f - 32.0) * 5.0 / 9.0, 3) for f in (30, 45, 55, 65, 75, 90))
#: CalTRACK occupancy model balance points: 50 °F heating, 65 °F cooling, in °C.
_OCCUPANCY_BASES_C = (10.0, round((65.0 - 32.0) * 5.0 / 9.0, 3))
_DEGREE_TERMS = ("hdd", "cdd")
_RESOLUTIONS = ("hourly", "daily", "monthly")


# ================================================================================================ helpers
def _frame(X: object) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame of named drivers, got {type(X).__name__}")
    return X


def _require_columns(X: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in X.columns]
    if missing:
        raise ValueError(
            f"X lacks driver column(s) the model needs: {', '.join(missing)} (a missing driver is never filled)"
        )


def _target(y: object, n: int) -> np.ndarray:
    arr = np.asarray(y, dtype=float).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"y has {len(arr)} values for {n} rows of X")
    return arr


def _values(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    if not columns:
        return np.empty((len(X), 0))
    return np.column_stack(
        [pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    )


def _grid(spec: Sequence[float]) -> np.ndarray:
    start, stop, step = (float(v) for v in spec)
    return np.round(np.arange(start, stop + step / 2.0, step), 6)


def _degrees(kind: str, t: np.ndarray, base: float, resolution: str) -> np.ndarray:
    d = heating_degrees(t, base) if kind == "hdd" else cooling_degrees(t, base)
    return d / 24.0 if resolution == "hourly" else d


def _ols(D: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
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


def _studentized(resid: np.ndarray, hat: np.ndarray, rank: int) -> np.ndarray:
    """Externally studentised residuals e_i / (s_(i) sqrt(1 - h_i))."""
    n = len(resid)
    dof = n - rank
    if dof <= 1:
        return np.zeros(n)
    one_h = np.clip(1.0 - hat, 1e-12, None)
    sse = float(np.sum(resid**2))
    s2_i = np.clip((sse - resid**2 / one_h) / (dof - 1), 1e-300, None)
    return resid / np.sqrt(s2_i * one_h)


def _drop_outliers(keep: np.ndarray, score: np.ndarray, threshold: float, budget: int) -> np.ndarray:
    """Rows (positions in ``keep``'s frame) to drop: |score| > threshold, largest first, within budget."""
    rows = np.flatnonzero(keep)
    bad = np.flatnonzero(np.abs(score) > threshold)
    if len(bad) == 0 or budget <= 0:
        return np.empty(0, dtype=np.int64)
    bad = bad[np.argsort(-np.abs(score[bad]), kind="stable")][:budget]
    return rows[bad]


def _batch_fit(
    designs: np.ndarray, y: np.ndarray, *, pvalues: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """OLS of y on each design of a stack (G, n, p): (beta (G, p), SSE (G,), two-sided p-values or None)."""
    G, n, p = designs.shape
    betas, sses, pvals = [], [], []
    chunk = max(1, int(4_000_000 // max(1, n * p)))
    for a in range(0, G, chunk):
        D = designs[a : a + chunk]
        xtx = np.einsum("gni,gnj->gij", D, D)
        xty = np.einsum("gni,n->gi", D, y)
        inv = np.linalg.pinv(xtx)
        beta = np.einsum("gij,gj->gi", inv, xty)
        sse = np.sum((y[None, :] - np.einsum("gnp,gp->gn", D, beta)) ** 2, axis=1)
        betas.append(beta)
        sses.append(sse)
        if pvalues:
            dof = max(n - p, 1)
            se = np.sqrt(np.clip(sse[:, None] / dof * np.diagonal(inv, axis1=1, axis2=2), 0, None))
            with np.errstate(divide="ignore", invalid="ignore"):
                tstat = np.where(se > 0, beta / se, np.inf)
            pvals.append(2.0 * stats.t.sf(np.abs(tstat), dof))
    return np.concatenate(betas), np.concatenate(sses), (np.concatenate(pvals) if pvalues else None)


def _check_variation(D: pd.DataFrame) -> None:
    """Refuse a driver that is constant over the training rows (no information; a singular OLS)."""
    flat = [c for c in D.columns if c != "const" and D[c].nunique() <= 1]
    if flat:
        raise ValueError(
            f"driver(s) constant over the training rows, carrying no information: {', '.join(flat)}; "
            "drop them from the model's drivers"
        )


def _jsonable(obj: object) -> object:
    """Plain JSON types (NaN/inf -> None, numpy -> python, frames -> records)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return _jsonable(obj.to_dict())
    if isinstance(obj, (list, tuple, set, np.ndarray)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "to_dict"):
        return _jsonable(obj.to_dict())
    return str(obj)


# ================================================================================================ base class
class _Baseline(BaseEstimator):
    """Shared machinery: leak guard, column checks, fit statistics, summary and model card."""

    model_type = "baseline"
    resolution = "hourly"

    # ---- to override
    def _driver_columns(self) -> list[str]:
        raise NotImplementedError

    def _required_columns(self) -> list[str]:
        return self._driver_columns()

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def coefficients(self) -> dict[str, float]:
        """Feature -> coefficient (empty for a model without coefficients)."""
        return {}

    def _extra_summary(self) -> dict[str, object]:
        return {}

    # ---- shared
    def _start_fit(self, X: object, y: object) -> tuple[pd.DataFrame, np.ndarray]:
        X = _frame(X)
        check_drivers(self._driver_columns(), getattr(self, "target_derived", ()))
        _require_columns(X, self._required_columns())
        return X, _target(y, len(X))

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_params_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X, y) first")

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Expected energy of each row of X (NaN where a driver is NaN)."""
        self._check_fitted()
        X = _frame(X)
        _require_columns(X, self.feature_names_in_)
        return pd.Series(self._predict_values(X), index=X.index, name="expected", dtype=float)

    def _finish_fit(self, X: pd.DataFrame, y: np.ndarray, used: np.ndarray, outliers: np.ndarray) -> None:
        """Record the training rows, outliers and in-sample metrics of the retained rows.

        ``training_start_`` / ``training_end_``: half-open window of the retained rows, from ``bucket`` (UTC,
        end = last bucket + 1 h), else ``day_start`` / ``day_end`` (UTC), else the local ``date`` (end = last
        date + 1 day); None without a time column. ``outliers_``: the dropped rows' times (or index labels).
        """
        self.feature_names_in_ = list(dict.fromkeys(self._required_columns()))
        self.n_obs_ = int(used.sum())
        self.n_outliers_ = int(outliers.sum())
        self.n_dropped_missing_ = int(len(X) - used.sum() - outliers.sum())
        y_hat = self._predict_values(X.loc[used])
        self.fit_stats_ = mx.regression_metrics(y[used], y_hat, self.n_params_)
        self.training_start_ = self.training_end_ = None
        labels = X.index[outliers]
        for start, end, step in (("bucket", "bucket", pd.Timedelta(hours=1)), ("day_start", "day_end", None),
                                 ("date", "date", pd.Timedelta(days=1))):  # fmt: skip
            if start in X.columns and end in X.columns and used.any():
                self.training_start_ = _jsonable(X.loc[used, start].min())
                self.training_end_ = _jsonable(X.loc[used, end].max() + (step or pd.Timedelta(0)))
                labels = X.loc[outliers, start]
                break
        self.outliers_ = [_jsonable(v) for v in labels]

    def summary(self) -> dict[str, object]:
        """What the fit found: type, resolution, features, coefficients, fit statistics, outliers, ..."""
        self._check_fitted()
        out = {
            "model_class": type(self).__name__,
            "model_type": self.model_type,
            "resolution": self.resolution,
            "feature_names": list(self.feature_names_in_),
            "coefficients": self.coefficients(),
            "intercept": getattr(self, "intercept_", None),
            "n_obs": self.n_obs_,
            "n_params": self.n_params_,
            "n_outliers": self.n_outliers_,
            "outliers": self.outliers_[:100],
            "n_dropped_missing": self.n_dropped_missing_,
            "training_start": self.training_start_,
            "training_end": self.training_end_,
            "fit_stats": self.fit_stats_,
        }
        out.update(self._extra_summary())
        return _jsonable(out)


# ================================================================================================ ISO 50006 OLS
class RegressionBaseline(_Baseline):
    """ISO 50006 multivariate regression (statsmodels OLS) on daily local-day drivers.

    ``drivers``: the columns the caller picks (e.g. production, hdd, cdd, operating_hours). 'hdd' / 'cdd'
    are degree terms computed from the ``temperature`` column (daily mean °C) at their balance point:
    ``balance_point='search'`` (grid 10-24 °C by 0.5, minimising SSE; with both terms the heating base is
    at most the cooling base; a base needs ``min_degree_days`` rows with degrees > 0), a number (configured
    for both), a mapping {'hdd': 15.5, 'cdd': 'search'}, or None (take X's hdd / cdd columns as they are).
    ``resolution='hourly'`` computes degree-hours (/24) instead. Outliers: see the module docstring.

    Fitted: coef_ (driver -> slope), intercept_, pvalues_, conf_int_ (at ``ci_level``), f_pvalue_,
    rsquared_, rsquared_adj_ (statsmodels, balance points not counted), balance_points_, driver_ranges_
    (training [min, max] of each driver, degree terms at their balance points), ols_summary_ (text).
    """

    model_type = "regression_ols"

    def __init__(
        self,
        drivers: Sequence[str] = ("production", "hdd"),
        *,
        balance_point: str | float | Mapping[str, str | float] | None = "search",
        temperature: str = "outdoor_temp_c",
        resolution: str = "daily",
        grid: Sequence[float] = BALANCE_POINT_GRID,
        min_degree_days: int = 10,
        outlier_threshold: float | None = 3.5,
        max_outlier_fraction: float = 0.10,
        max_outlier_iter: int = 5,
        ci_level: float = 0.95,
        target_derived: Sequence[str] = (),
    ) -> None:
        self.drivers = drivers
        self.balance_point = balance_point
        self.temperature = temperature
        self.resolution = resolution
        self.grid = grid
        self.min_degree_days = min_degree_days
        self.outlier_threshold = outlier_threshold
        self.max_outlier_fraction = max_outlier_fraction
        self.max_outlier_iter = max_outlier_iter
        self.ci_level = ci_level
        self.target_derived = target_derived

    # ---- configuration
    def _bp_spec(self) -> dict[str, str | float]:
        """Degree term -> 'search' or its configured base (empty when hdd/cdd are plain columns)."""
        terms = [d for d in self.drivers if d in _DEGREE_TERMS]
        if self.balance_point is None or not terms:
            return {}
        if isinstance(self.balance_point, Mapping):
            spec = {t: self.balance_point.get(t, "search") for t in terms}
        else:
            spec = dict.fromkeys(terms, self.balance_point)
        for term, value in spec.items():
            if value != "search" and not isinstance(value, (int, float)):
                raise ValueError(f"balance point of {term} must be 'search' or a number (°C), got {value!r}")
        return spec

    def _driver_columns(self) -> list[str]:
        spec = self._bp_spec()
        plain = [d for d in self.drivers if d not in spec]
        return plain + ([self.temperature] if spec else [])

    # ---- design
    def _design(self, V: np.ndarray, bps: Mapping[str, float]) -> np.ndarray:
        """[1, drivers...] from the required-column values V (degree terms computed at ``bps``)."""
        cols = [np.ones(len(V))]
        names = self._driver_columns()
        for d in self.drivers:
            if d in bps:
                cols.append(_degrees(d, V[:, names.index(self.temperature)], bps[d], self.resolution))
            else:
                cols.append(V[:, names.index(d)])
        return np.column_stack(cols)

    def _search(self, V: np.ndarray, y: np.ndarray, spec: Mapping[str, str | float]) -> dict[str, float]:
        fixed = {k: float(v) for k, v in spec.items() if v != "search"}
        searched = [k for k, v in spec.items() if v == "search"]
        if not searched:
            return fixed
        grid = _grid(self.grid)
        if searched == ["hdd", "cdd"] or searched == ["cdd", "hdd"]:
            combos = [{"hdd": h, "cdd": c} for h in grid for c in grid if h <= c]
        else:
            combos = [{searched[0]: b} for b in grid]
        t = V[:, self._driver_columns().index(self.temperature)]
        ok = []
        for combo in combos:
            full = fixed | combo
            if all(
                np.count_nonzero(_degrees(k, t, full[k], self.resolution) > 0) >= self.min_degree_days for k in combo
            ):
                ok.append(full)
        if not ok:
            raise ValueError(
                f"no balance point of {', '.join(searched)} on the grid has {self.min_degree_days} rows with "
                "degree-days > 0: drop the term or configure its base"
            )
        designs = np.stack([self._design(V, bps) for bps in ok])
        _, sse, _ = _batch_fit(designs, y)
        return {k: float(v) for k, v in ok[int(np.argmin(sse))].items()}

    # ---- fit / predict
    def fit(self, X: pd.DataFrame, y: object) -> RegressionBaseline:
        if self.resolution not in _RESOLUTIONS:
            raise ValueError(f"resolution must be one of {_RESOLUTIONS}, got {self.resolution!r}")
        X, y = self._start_fit(X, y)
        spec = self._bp_spec()
        V = _values(X, self._driver_columns())
        ok = np.isfinite(y) & np.all(np.isfinite(V), axis=1)
        keep = ok.copy()
        budget = int(self.max_outlier_fraction * ok.sum())
        rounds = self.max_outlier_iter if self.outlier_threshold is not None else 0
        for _ in range(rounds):
            bps = self._search(V[keep], y[keep], spec)
            _, resid, hat, rank = _ols(self._design(V[keep], bps), y[keep])
            drop = _drop_outliers(keep, _studentized(resid, hat, rank), self.outlier_threshold, budget)
            if len(drop) == 0:
                break
            keep[drop] = False
            budget -= len(drop)
        bps = self._search(V[keep], y[keep], spec)
        names = ["const", *self.drivers]
        D = pd.DataFrame(self._design(V[keep], bps), columns=names, index=X.index[keep])
        _check_variation(D)
        res = sm.OLS(y[keep], D).fit()
        ci = res.conf_int(alpha=1.0 - self.ci_level)
        self.balance_points_ = {k: bps[k] for k in spec}
        self.intercept_ = float(res.params["const"])
        self.coef_ = {d: float(res.params[d]) for d in self.drivers}
        self.pvalues_ = {k: float(v) for k, v in res.pvalues.items()}
        self.conf_int_ = {k: [float(ci.loc[k, 0]), float(ci.loc[k, 1])] for k in names}
        self.f_pvalue_ = float(res.f_pvalue) if self.drivers else math.nan
        self.rsquared_, self.rsquared_adj_ = float(res.rsquared), float(res.rsquared_adj)
        self.driver_ranges_ = {d: [float(D[d].min()), float(D[d].max())] for d in self.drivers}
        self.ols_summary_ = str(res.summary())
        self.n_params_ = len(names) + sum(1 for v in spec.values() if v == "search")
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def drivers_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's drivers for X (degree terms at the fitted balance points), e.g. for EnPI Lite means."""
        self._check_fitted()
        _require_columns(_frame(X), self.feature_names_in_)
        D = self._design(_values(X, self._driver_columns()), self.balance_points_)
        return pd.DataFrame(D[:, 1:], columns=list(self.drivers), index=X.index)

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        D = self._design(_values(X, self._driver_columns()), self.balance_points_)
        beta = np.array([self.intercept_, *(self.coef_[d] for d in self.drivers)])
        return D @ beta

    def coefficients(self) -> dict[str, float]:
        return dict(self.coef_)

    def _extra_summary(self) -> dict[str, object]:
        return {
            "drivers": list(self.drivers),
            "balance_points": self.balance_points_,
            "pvalues": self.pvalues_,
            "conf_int": self.conf_int_,
            "ci_level": self.ci_level,
            "f_pvalue": self.f_pvalue_,
            "r_squared": self.rsquared_,
            "r_squared_adj": self.rsquared_adj_,
            "driver_ranges": self.driver_ranges_,
            "outlier_method": f"drop |externally studentised residual| > {self.outlier_threshold}, refit (OLS)",
        }


# ================================================================================================ change point
_FORMS = ("intercept", "3p_heating", "3p_cooling", "4p", "5p")
_FORM_BALANCE_POINTS = {"intercept": 0, "3p_heating": 1, "3p_cooling": 1, "4p": 1, "5p": 2}


class ChangePointBaseline(_Baseline):
    """Change-point temperature models, the CalTRACK daily method (ASHRAE 3P/4P/5P).

    Forms (T the daily mean temperature, degree terms as in :class:`RegressionBaseline`):

    * '3p_heating': y = b0 + bh · max(0, τh - T);  '3p_cooling': y = b0 + bc · max(0, T - τc);
    * '4p': y = b0 + bh · max(0, τ - T) + bc · max(0, T - τ) (one change point, a V);
    * '5p': as 4p with τh < τc and a flat band between them;
    * 'intercept' (mean model) is always a candidate, the fallback when no temperature form qualifies.

    Balance points are searched on ``grid`` (10-24 °C by 0.5). A (form, balance points) candidate qualifies
    when each degree term has at least ``min_degree_days`` rows with degrees > 0 and its slope is positive
    with p < ``alpha`` (0.10). Among qualifying candidates the highest adjusted R² (``criterion='adj_r2'``,
    CalTRACK; p counts balance points) or the lowest BIC (n ln(SSE/n) + k ln n, k counting balance points)
    wins. ``drivers`` adds linear terms (e.g. production) to every form, without sign or significance rule.

    Fitted: form_, balance_points_ {'heating': τh or None, 'cooling': τc or None}, intercept_, coef_
    ('hdd', 'cdd', extra drivers), pvalues_, conf_int_, f_pvalue_, rsquared_, candidates_ (the best
    candidate per form, qualified or not, with its reason), driver_ranges_.
    """

    model_type = "change_point"

    def __init__(
        self,
        forms: Sequence[str] = ("3p_heating", "3p_cooling", "4p", "5p"),
        *,
        temperature: str = "outdoor_temp_c",
        drivers: Sequence[str] = (),
        resolution: str = "daily",
        grid: Sequence[float] = BALANCE_POINT_GRID,
        criterion: str = "bic",
        alpha: float = 0.10,
        min_degree_days: int = 10,
        outlier_threshold: float | None = 3.5,
        max_outlier_fraction: float = 0.10,
        max_outlier_iter: int = 5,
        ci_level: float = 0.95,
        target_derived: Sequence[str] = (),
    ) -> None:
        self.forms = forms
        self.temperature = temperature
        self.drivers = drivers
        self.resolution = resolution
        self.grid = grid
        self.criterion = criterion
        self.alpha = alpha
        self.min_degree_days = min_degree_days
        self.outlier_threshold = outlier_threshold
        self.max_outlier_fraction = max_outlier_fraction
        self.max_outlier_iter = max_outlier_iter
        self.ci_level = ci_level
        self.target_derived = target_derived

    def _driver_columns(self) -> list[str]:
        return [self.temperature, *self.drivers]

    def _design(self, V: np.ndarray, heating: float | None, cooling: float | None) -> np.ndarray:
        cols = [np.ones(len(V)), *(V[:, 1 + i] for i in range(len(self.drivers)))]
        if heating is not None:
            cols.append(_degrees("hdd", V[:, 0], heating, self.resolution))
        if cooling is not None:
            cols.append(_degrees("cdd", V[:, 0], cooling, self.resolution))
        return np.column_stack(cols)

    def _names(self, heating: float | None, cooling: float | None) -> list[str]:
        return (
            ["const", *self.drivers]
            + (["hdd"] if heating is not None else [])
            + (["cdd"] if cooling is not None else [])
        )

    def _candidates(self, form: str) -> list[tuple[float | None, float | None]]:
        g = _grid(self.grid)
        if form == "intercept":
            return [(None, None)]
        if form == "3p_heating":
            return [(float(b), None) for b in g]
        if form == "3p_cooling":
            return [(None, float(b)) for b in g]
        if form == "4p":
            return [(float(b), float(b)) for b in g]
        if form == "5p":
            return [(float(h), float(c)) for h in g for c in g if h < c]
        raise ValueError(f"unknown change-point form {form!r}; use {', '.join(_FORMS)}")

    def _select(self, V: np.ndarray, y: np.ndarray) -> tuple[dict[str, object], list[dict[str, object]]]:
        """Best qualifying candidate overall, and the best candidate of each form."""
        n, t = len(y), V[:, 0]
        chosen, per_form = None, []
        forms = list(dict.fromkeys(["intercept", *self.forms]))
        for form in forms:
            cands = [
                c for c in self._candidates(form)
                if all(
                    np.count_nonzero(_degrees(k, t, b, self.resolution) > 0) >= self.min_degree_days
                    for k, b in (("hdd", c[0]), ("cdd", c[1])) if b is not None
                )
            ]  # fmt: skip
            if not cands:
                per_form.append({"form": form, "qualified": False, "reason": "too few days with degree-days > 0"})
                continue
            designs = np.stack([self._design(V, h, c) for h, c in cands])
            beta, sse, pv = _batch_fit(designs, y, pvalues=True)
            k = designs.shape[2] + _FORM_BALANCE_POINTS[form]
            sst = float(np.sum((y - y.mean()) ** 2))
            adj = 1.0 - (sse / sst if sst > 0 else 0.0) * (n - 1) / max(n - k, 1)
            bic = n * np.log(np.maximum(sse, 1e-300) / n) + k * np.log(n)
            deg = [j for j, name in enumerate(self._names(*cands[0])) if name in _DEGREE_TERMS]
            qual = np.ones(len(cands), dtype=bool)
            for j in deg:
                qual &= (beta[:, j] > 0) & (pv[:, j] < self.alpha)
            score = -adj if self.criterion == "adj_r2" else bic
            pool = np.flatnonzero(qual) if qual.any() else np.arange(len(cands))
            best = int(pool[np.argmin(score[pool])])
            h, c = cands[best]
            reason = (
                "qualified"
                if qual[best]
                else (
                    f"slopes not all positive with p < {self.alpha}: "
                    + ", ".join(f"{self._names(h, c)[j]} {beta[best, j]:.4g} (p {pv[best, j]:.3g})" for j in deg)
                )
            )
            row = {
                "form": form, "heating_bp": h, "cooling_bp": c, "qualified": bool(qual[best]),
                "adj_r2": float(adj[best]), "bic": float(bic[best]), "sse": float(sse[best]), "n_params": k,
                "reason": reason, "_score": float(score[best]),
            }  # fmt: skip
            per_form.append(row)
            if row["qualified"] and (chosen is None or row["_score"] < chosen["_score"]):
                chosen = row
        return chosen, per_form

    def fit(self, X: pd.DataFrame, y: object) -> ChangePointBaseline:
        if self.criterion not in ("adj_r2", "bic"):
            raise ValueError(f"criterion must be 'adj_r2' or 'bic', got {self.criterion!r}")
        if self.resolution not in _RESOLUTIONS:
            raise ValueError(f"resolution must be one of {_RESOLUTIONS}, got {self.resolution!r}")
        X, y = self._start_fit(X, y)
        V = _values(X, self._driver_columns())
        ok = np.isfinite(y) & np.all(np.isfinite(V), axis=1)
        keep = ok.copy()
        budget = int(self.max_outlier_fraction * ok.sum())
        rounds = self.max_outlier_iter if self.outlier_threshold is not None else 0
        for _ in range(rounds):
            chosen, _ = self._select(V[keep], y[keep])
            _, resid, hat, rank = _ols(self._design(V[keep], chosen["heating_bp"], chosen["cooling_bp"]), y[keep])
            drop = _drop_outliers(keep, _studentized(resid, hat, rank), self.outlier_threshold, budget)
            if len(drop) == 0:
                break
            keep[drop] = False
            budget -= len(drop)
        chosen, per_form = self._select(V[keep], y[keep])
        h, c = chosen["heating_bp"], chosen["cooling_bp"]
        names = self._names(h, c)
        D = pd.DataFrame(self._design(V[keep], h, c), columns=names, index=X.index[keep])
        _check_variation(D)
        res = sm.OLS(y[keep], D).fit()
        ci = res.conf_int(alpha=1.0 - self.ci_level)
        self.form_ = chosen["form"]
        self.balance_points_ = {"heating": h, "cooling": c}
        self.intercept_ = float(res.params["const"])
        self.coef_ = {k: float(res.params[k]) for k in names[1:]}
        self.pvalues_ = {k: float(v) for k, v in res.pvalues.items()}
        self.conf_int_ = {k: [float(ci.loc[k, 0]), float(ci.loc[k, 1])] for k in names}
        self.f_pvalue_ = float(res.f_pvalue) if len(names) > 1 else math.nan
        self.rsquared_, self.rsquared_adj_ = float(res.rsquared), float(res.rsquared_adj)
        self.driver_ranges_ = {k: [float(D[k].min()), float(D[k].max())] for k in names[1:]}
        self.candidates_ = pd.DataFrame([{k: v for k, v in r.items() if k != "_score"} for r in per_form])
        self.n_params_ = int(chosen["n_params"])
        self.ols_summary_ = str(res.summary())
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def drivers_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The chosen form's drivers for X (degree terms at the fitted balance points)."""
        self._check_fitted()
        _require_columns(_frame(X), self.feature_names_in_)
        D = self._design(
            _values(X, self._driver_columns()), self.balance_points_["heating"], self.balance_points_["cooling"]
        )
        return pd.DataFrame(D[:, 1:], columns=list(self.coef_), index=X.index)

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        bp = self.balance_points_
        D = self._design(_values(X, self._driver_columns()), bp["heating"], bp["cooling"])
        return D @ np.array([self.intercept_, *self.coef_.values()])

    def coefficients(self) -> dict[str, float]:
        return dict(self.coef_)

    def _extra_summary(self) -> dict[str, object]:
        return {
            "form": self.form_,
            "balance_points": self.balance_points_,
            "criterion": self.criterion,
            "pvalues": self.pvalues_,
            "conf_int": self.conf_int_,
            "ci_level": self.ci_level,
            "f_pvalue": self.f_pvalue_,
            "r_squared": self.rsquared_,
            "r_squared_adj": self.rsquared_adj_,
            "driver_ranges": self.driver_ranges_,
            "candidates": self.candidates_,
            "outlier_method": f"drop |externally studentised residual| > {self.outlier_threshold}, reselect (OLS)",
        }


# ================================================================================================ TOWT
def _segment_endpoints(t: np.ndarray, knots: Sequence[float], min_hours: int) -> list[float]:
    """Knots kept so that every temperature bin holds at least ``min_hours`` points (CalTRACK bin merging)."""
    ends = sorted(float(k) for k in knots)
    while ends:
        counts = np.bincount(np.searchsorted(ends, t, side="left"), minlength=len(ends) + 1)
        small = np.flatnonzero(counts < min_hours)
        if len(small) == 0:
            break
        i = int(small[0])
        ends.pop(min(i, len(ends) - 1))  # merge the bin with its upper neighbour (the last with its lower)
    return ends


def _segments(t: np.ndarray, ends: Sequence[float]) -> np.ndarray:
    """Piecewise-linear temperature features: min(T, e1), clip(T - e_j, 0, e_{j+1} - e_j), max(T - e_k, 0)."""
    if not ends:
        return t[:, None]
    cols = [np.minimum(t, ends[0])]
    for lo, hi in zip(ends[:-1], ends[1:], strict=True):
        cols.append(np.clip(t - lo, 0.0, hi - lo))
    cols.append(np.maximum(t - ends[-1], 0.0))
    return np.column_stack(cols)


class TOWTBaseline(_Baseline):
    """Time-of-week-and-temperature hourly model, the CalTRACK hourly method.

    Per occupancy group (occupied, unoccupied) a separate OLS of y on 168 hour-of-week indicators (those seen
    in the group; no intercept) plus piecewise-linear temperature segments with knots ``knots_c`` (30, 45,
    55, 65, 75, 90 °F in °C), bins with fewer than ``min_bin_hours`` hours merged, plus optional linear
    ``drivers`` (e.g. production).

    Occupancy (``occupancy='caltrack'``, default): estimated from the baseline data as CalTRACK does: fit
    y ~ 1 + max(0, 10 °C - T) + max(0, T - 18.33 °C) (50 / 65 °F), and call an hour of week occupied when
    more than ``occupancy_threshold`` (65 %) of its residuals are positive; the lookup is part of the fitted
    model, so it needs only hour_of_week at prediction. ``occupancy='column'`` uses a per-row boolean column
    instead (e.g. the mode-history ``occupied`` of :func:`enms.features.hourly_drivers`).

    An hour of week absent from a group's training rows is predicted with that group's mean hour-of-week
    effect. CalTRACK's month-weighted segmentation is not applied (one model for the baseline year).
    Outliers: externally studentised residuals within each group (module docstring).
    """

    model_type = "towt"

    def __init__(
        self,
        *,
        temperature: str = "outdoor_temp_c",
        hour_of_week: str = "hour_of_week",
        drivers: Sequence[str] = (),
        knots_c: Sequence[float] = TOWT_KNOTS_C,
        min_bin_hours: int = 20,
        occupancy: str = "caltrack",
        occupancy_column: str = "occupied",
        occupancy_threshold: float = 0.65,
        outlier_threshold: float | None = 3.5,
        max_outlier_fraction: float = 0.10,
        max_outlier_iter: int = 3,
        target_derived: Sequence[str] = (),
    ) -> None:
        self.temperature = temperature
        self.hour_of_week = hour_of_week
        self.drivers = drivers
        self.knots_c = knots_c
        self.min_bin_hours = min_bin_hours
        self.occupancy = occupancy
        self.occupancy_column = occupancy_column
        self.occupancy_threshold = occupancy_threshold
        self.outlier_threshold = outlier_threshold
        self.max_outlier_fraction = max_outlier_fraction
        self.max_outlier_iter = max_outlier_iter
        self.target_derived = target_derived

    def _driver_columns(self) -> list[str]:
        cols = [self.hour_of_week, self.temperature, *self.drivers]
        return cols + ([self.occupancy_column] if self.occupancy == "column" else [])

    @staticmethod
    def _how(values: np.ndarray) -> np.ndarray:
        ok = np.isfinite(values)
        if np.any(ok & ((values < 0) | (values > 167) | (values != np.round(values)))):
            raise ValueError("hour_of_week must hold integers 0..167 (local, 0 = Monday 00:00)")
        return np.where(ok, values, -1).astype(np.int64)

    def _occupied(self, X: pd.DataFrame, how: np.ndarray) -> np.ndarray:
        if self.occupancy == "column":
            return X[self.occupancy_column].fillna(False).astype(bool).to_numpy()
        return self.occupied_how_[np.clip(how, 0, 167)] & (how >= 0)

    def _group_design(self, group: dict, how: np.ndarray, t: np.ndarray, extra: np.ndarray) -> np.ndarray:
        onehot = (how[:, None] == np.asarray(group["hows"])[None, :]).astype(float)
        return np.column_stack([onehot, _segments(t, group["endpoints"]), extra])

    def fit(self, X: pd.DataFrame, y: object) -> TOWTBaseline:
        if self.occupancy not in ("caltrack", "column"):
            raise ValueError(f"occupancy must be 'caltrack' or 'column', got {self.occupancy!r}")
        X, y = self._start_fit(X, y)
        how = self._how(_values(X, [self.hour_of_week])[:, 0])
        t = _values(X, [self.temperature])[:, 0]
        extra = _values(X, list(self.drivers))
        ok = np.isfinite(y) & (how >= 0) & np.isfinite(t) & np.all(np.isfinite(extra), axis=1)

        if self.occupancy == "caltrack":
            D = np.column_stack(
                [
                    np.ones(ok.sum()),
                    heating_degrees(t[ok], _OCCUPANCY_BASES_C[0]),
                    cooling_degrees(t[ok], _OCCUPANCY_BASES_C[1]),
                ]
            )
            _, resid, _, _ = _ols(D, y[ok])
            pos = np.bincount(how[ok], weights=(resid > 0).astype(float), minlength=168)
            cnt = np.bincount(how[ok], minlength=168)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(cnt > 0, pos / np.maximum(cnt, 1), 0.0)
            self.occupied_how_ = share > self.occupancy_threshold
            self.occupancy_share_ = share
        occ = self._occupied(X, how)

        keep = ok.copy()
        self.groups_ = {}
        n_params = 0
        for label, flag in (("occupied", True), ("unoccupied", False)):
            rows = ok & (occ == flag)
            if not rows.any():
                continue
            group = {
                "hows": sorted(set(how[rows].tolist())),
                "endpoints": _segment_endpoints(t[rows], self.knots_c, self.min_bin_hours),
            }
            budget = int(self.max_outlier_fraction * rows.sum())
            gkeep = rows.copy()
            rounds = self.max_outlier_iter if self.outlier_threshold is not None else 0
            for it in range(rounds + 1):
                D = self._group_design(group, how[gkeep], t[gkeep], extra[gkeep])
                beta, resid, hat, rank = _ols(D, y[gkeep])
                if it == rounds:
                    break
                drop = _drop_outliers(gkeep, _studentized(resid, hat, rank), self.outlier_threshold, budget)
                if len(drop) == 0:
                    break
                gkeep[drop] = False
                budget -= len(drop)
            k = len(group["hows"])
            n_seg = len(group["endpoints"]) + 1
            # an hour of week whose every row was dropped as an outlier has no estimate: treat it as unseen
            seen = np.isin(group["hows"], how[gkeep])
            group["hows"] = [h for h, s in zip(group["hows"], seen, strict=True) if s]
            group["how_coef"] = beta[:k][seen].tolist()
            group["temp_coef"] = beta[k : k + n_seg].tolist()
            group["driver_coef"] = beta[k + n_seg :].tolist()
            group["n_obs"] = int(gkeep.sum())
            self.groups_[label] = group
            keep &= ~(rows & ~gkeep)
            n_params += int(seen.sum()) + n_seg + len(self.drivers)
        self.n_params_ = n_params
        self.intercept_ = None
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        how = self._how(_values(X, [self.hour_of_week])[:, 0])
        t = _values(X, [self.temperature])[:, 0]
        extra = _values(X, list(self.drivers))
        occ = self._occupied(X, how)
        out = np.full(len(X), np.nan)
        for label, flag in (("occupied", True), ("unoccupied", False)):
            group = self.groups_.get(label)
            rows = (occ == flag) & (how >= 0)
            if group is None or not rows.any():
                continue
            effect = np.full(168, float(np.mean(group["how_coef"])))
            effect[group["hows"]] = group["how_coef"]
            value = effect[how[rows]] + _segments(t[rows], group["endpoints"]) @ np.asarray(group["temp_coef"])
            if self.drivers:
                value = value + extra[rows] @ np.asarray(group["driver_coef"])
            out[rows] = value
        out[how < 0] = np.nan
        return out

    def coefficients(self) -> dict[str, float]:
        out = {}
        for label, g in self.groups_.items():
            out.update({f"{label}:how_{h:03d}": c for h, c in zip(g["hows"], g["how_coef"], strict=True)})
            out.update({f"{label}:temp_segment_{i}": c for i, c in enumerate(g["temp_coef"])})
            out.update({f"{label}:{d}": c for d, c in zip(self.drivers, g["driver_coef"], strict=True)})
        return out

    def _extra_summary(self) -> dict[str, object]:
        out = {
            "occupancy": self.occupancy,
            "groups": {
                k: {"n_obs": g["n_obs"], "endpoints_c": g["endpoints"], "hours_of_week": len(g["hows"])}
                for k, g in self.groups_.items()
            },
            "outlier_method": f"drop |externally studentised residual| > {self.outlier_threshold}, refit (per group)",
        }
        if self.occupancy == "caltrack":
            out["occupied_hours_of_week"] = np.flatnonzero(self.occupied_how_).tolist()
        return out


# ================================================================================================ gradient boosting
class GradientBoostingBaseline(_Baseline):
    """Hourly HistGradientBoostingRegressor on the drivers plus the local calendar (hour, weekday, month).

    Deterministic (fixed ``random_state``, no early stopping). Rows with a NaN feature are dropped in fit
    and predicted NaN (the model's own NaN routing is not used, so nothing is imputed). Outliers: points
    whose in-sample residual has a robust z-score (residual - median) / (1.4826 MAD) beyond
    ``outlier_threshold`` are dropped (at most ``max_outlier_fraction``) and the model refitted once.
    ``n_params_`` = number of features + 1 (a convention: trees have no fixed parameter count).
    ``n_threads`` caps the booster's OpenMP threads (1 by default: the fleet loop parallelises over machines,
    and OpenMP spin-waiting on shared cores slows a fit tenfold; None = the library default).
    """

    model_type = "gradient_boosting"

    def __init__(
        self,
        drivers: Sequence[str] = ("production", "outdoor_temp_c"),
        *,
        calendar: Sequence[str] = ("hour", "weekday", "month"),
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        random_state: int = 0,
        outlier_threshold: float | None = 3.5,
        max_outlier_fraction: float = 0.10,
        n_threads: int | None = 1,
        target_derived: Sequence[str] = (),
    ) -> None:
        self.drivers = drivers
        self.calendar = calendar
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.outlier_threshold = outlier_threshold
        self.max_outlier_fraction = max_outlier_fraction
        self.n_threads = n_threads
        self.target_derived = target_derived

    def _driver_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.drivers, *self.calendar]))

    def _threads(self) -> contextlib.AbstractContextManager:
        if self.n_threads is None:
            return contextlib.nullcontext()
        return threadpool_limits(limits=self.n_threads, user_api="openmp")

    def _regressor(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    def fit(self, X: pd.DataFrame, y: object) -> GradientBoostingBaseline:
        with self._threads():
            return self._fit(X, y)

    def _fit(self, X: pd.DataFrame, y: object) -> GradientBoostingBaseline:
        X, y = self._start_fit(X, y)
        V = _values(X, self._driver_columns())
        ok = np.isfinite(y) & np.all(np.isfinite(V), axis=1)
        reg = self._regressor().fit(V[ok], y[ok])
        keep = ok.copy()
        if self.outlier_threshold is not None:
            resid = y[ok] - reg.predict(V[ok])
            mad = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
            if mad > 0:
                z = (resid - np.median(resid)) / mad
                drop = _drop_outliers(keep, z, self.outlier_threshold, int(self.max_outlier_fraction * ok.sum()))
                if len(drop):
                    keep[drop] = False
                    reg = self._regressor().fit(V[keep], y[keep])
        self.regressor_ = reg
        self.n_iter_ = int(reg.n_iter_)
        self.n_params_ = len(self._driver_columns()) + 1
        self.intercept_ = None
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        V = _values(X, self._driver_columns())
        ok = np.all(np.isfinite(V), axis=1)
        out = np.full(len(X), np.nan)
        if ok.any():
            with self._threads():
                out[ok] = self.regressor_.predict(V[ok])
        return out

    def _extra_summary(self) -> dict[str, object]:
        return {
            "drivers": list(self.drivers),
            "calendar": list(self.calendar),
            "n_iter": self.n_iter_,
            "random_state": self.random_state,
            "outlier_method": f"drop |robust z of in-sample residual| > {self.outlier_threshold}, refit once",
        }


# ================================================================================================ naive reference
class HourOfWeekMeanBaseline(_Baseline):
    """The naive reference: mean energy per local hour of week over the baseline (the others must beat it).

    An hour of week absent from training is predicted with the overall mean. No outlier handling.
    """

    model_type = "hour_of_week_mean"

    def __init__(self, *, hour_of_week: str = "hour_of_week", target_derived: Sequence[str] = ()) -> None:
        self.hour_of_week = hour_of_week
        self.target_derived = target_derived

    def _driver_columns(self) -> list[str]:
        return [self.hour_of_week]

    def fit(self, X: pd.DataFrame, y: object) -> HourOfWeekMeanBaseline:
        X, y = self._start_fit(X, y)
        how = TOWTBaseline._how(_values(X, [self.hour_of_week])[:, 0])
        ok = np.isfinite(y) & (how >= 0)
        total = np.bincount(how[ok], weights=y[ok], minlength=168)
        count = np.bincount(how[ok], minlength=168)
        self.overall_mean_ = float(y[ok].mean())
        self.means_ = np.where(count > 0, total / np.maximum(count, 1), self.overall_mean_)
        self.n_params_ = int(np.count_nonzero(count))
        self.intercept_ = None
        self._finish_fit(X, y, ok, np.zeros(len(X), dtype=bool))
        return self

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        how = TOWTBaseline._how(_values(X, [self.hour_of_week])[:, 0])
        return np.where(how >= 0, self.means_[np.clip(how, 0, 167)], np.nan)

    def coefficients(self) -> dict[str, float]:
        return {f"how_{h:03d}": float(v) for h, v in enumerate(self.means_)}


# ================================================================================================ validation
def _time_column(X: pd.DataFrame, time_col: str | None) -> pd.Series:
    if time_col is not None:
        _require_columns(X, [time_col])
        return pd.Series(X[time_col].to_numpy(), index=X.index)
    for col in ("date", "local_time", "bucket", "day_start"):
        if col in X.columns:
            return pd.Series(X[col].to_numpy(), index=X.index)
    if isinstance(X.index, pd.DatetimeIndex):
        return pd.Series(X.index, index=X.index)
    raise ValueError("X has no time column (date, local_time, bucket, day_start) nor a DatetimeIndex: pass time_col")


def _as_series(y: object, X: pd.DataFrame) -> pd.Series:
    if isinstance(y, pd.Series):
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} values for {len(X)} rows of X")
        return pd.Series(y.to_numpy(dtype=float), index=X.index, name=y.name)
    return pd.Series(_target(y, len(X)), index=X.index, name="y")


def holdout_split(
    X: pd.DataFrame, y: object, weeks: int = 8, *, time_col: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Hold out the last ``weeks`` weeks of the baseline as a time block: (X_train, X_test, y_train, y_test).

    The test block is every row whose time (``time_col``, default the local ``date``, else local_time,
    bucket, day_start or a DatetimeIndex) is after last time - ``weeks`` weeks.
    """
    X = _frame(X)
    y = _as_series(y, X)
    t = _time_column(X, time_col)
    test = (t > t.max() - pd.Timedelta(weeks=weeks)).to_numpy()
    if test.all() or not test.any():
        raise ValueError(f"a {weeks}-week hold-out leaves no training or no test rows")
    return X.loc[~test], X.loc[test], y.loc[~test], y.loc[test]


@dataclass
class BlockedCV:
    """Blocked cross-validation result: out-of-fold predictions (on X's index), metrics per fold and overall."""

    predictions: pd.Series
    folds: pd.DataFrame
    metrics: dict[str, float]


def _fresh(model_factory: object) -> _Baseline:
    if hasattr(model_factory, "fit"):
        return copy.deepcopy(model_factory)
    if callable(model_factory):
        return model_factory()
    raise TypeError("model_factory must be an unfitted estimator or a callable returning one")


def blocked_cv(
    model_factory: Callable[[], _Baseline] | _Baseline,
    X: pd.DataFrame,
    y: object,
    by: str = "month",
    *,
    time_col: str | None = None,
    min_train: int = 10,
) -> BlockedCV:
    """Leave-one-block-out cross-validation by calendar ``by`` = 'month' or 'week' (Monday-Sunday) of the
    time column (default the local ``date``).

    For each block, a fresh model (``model_factory()``, or a deep copy of an unfitted estimator) is fitted
    on every other block and predicts the block. Fold metrics are out-of-sample (p = 0); ``metrics`` are
    those of all out-of-fold predictions together.
    """
    if by not in ("month", "week"):
        raise ValueError(f"by must be 'month' or 'week', got {by!r}")
    X = _frame(X)
    y = _as_series(y, X)
    t = pd.DatetimeIndex(_time_column(X, time_col))
    if t.tz is not None:
        t = t.tz_localize(None)
    blocks = t.to_period("M" if by == "month" else "W")
    oof = pd.Series(np.nan, index=X.index, name="expected")
    rows = []
    for block in sorted(set(blocks)):
        test = np.asarray(blocks == block)
        if (~test).sum() < min_train:
            continue
        model = _fresh(model_factory).fit(X.loc[~test], y.loc[~test])
        pred = model.predict(X.loc[test]).to_numpy()
        oof.iloc[np.flatnonzero(test)] = pred
        m = mx.regression_metrics(y.loc[test].to_numpy(), pred, 0)
        rows.append(
            {"fold": str(block), "start": t[test].min(), "end": t[test].max(), "n_train": int((~test).sum())} | m
        )
    return BlockedCV(oof, pd.DataFrame(rows), mx.regression_metrics(y.to_numpy(), oof.to_numpy(), 0))


def check_gates(
    model: _Baseline,
    metrics: Mapping[str, float],
    *,
    X_reporting: pd.DataFrame | None = None,
    m: int | None = None,
) -> dict[str, mx.GateResult]:
    """ASHRAE 14, EnPI Lite and NMEC gates of a fitted model.

    ASHRAE 14 and NMEC read ``metrics`` (pass out-of-sample figures: accuracy is judged out of sample) at the
    model's resolution. The NMEC FSU is computed at 90 % confidence for 10 % savings with that CV(RMSE), the
    baseline's n, ρ and p (``model.fit_stats_``, ``model.n_params_``) and m reporting points (default one
    year at the model's resolution). EnPI Lite reads the model's own OLS inference (R², F-test and driver
    p-values), and the reporting-period driver means of ``X_reporting`` against the training ranges; it is
    not applicable (passed None) to models without p-values (TOWT, gradient boosting, hour-of-week mean).
    """
    res = getattr(model, "resolution", "hourly")
    out = {"ashrae14": mx.ashrae14_gate(metrics["cv_rmse"], metrics["nmbe"], res)}
    if hasattr(model, "pvalues_"):
        drivers = {k: v for k, v in model.pvalues_.items() if k != "const"}
        means = None
        if X_reporting is not None and len(X_reporting):
            means = {k: float(v) for k, v in model.drivers_frame(X_reporting).mean().items()}
        out["enpi_lite"] = mx.enpi_lite_gate(model.rsquared_, model.f_pvalue_, drivers, model.driver_ranges_, means)
    else:
        out["enpi_lite"] = mx.GateResult(
            "enpi_lite", None, {}, f"not applicable: {type(model).__name__} has no OLS driver p-values"
        )
    fs = model.fit_stats_
    m = m or mx.POINTS_PER_YEAR.get(res, fs["n"])
    lim = mx.NMEC_LIMITS
    try:
        value = mx.fsu(metrics["cv_rmse"], fs["n"], m, lim["savings_fraction"], fs["rho"],
                       n_params=model.n_params_, confidence=lim["confidence"])  # fmt: skip
    except ValueError:
        value = math.nan
    gate = mx.nmec_gate(metrics["cv_rmse"], metrics["nmbe"], value)
    gate.figures |= {"m": m, "n": fs["n"], "rho": fs["rho"], "n_params": model.n_params_}
    out["nmec"] = gate
    return out


def evaluate(
    model: _Baseline,
    X_train: pd.DataFrame,
    y_train: object,
    X_test: pd.DataFrame,
    y_test: object,
    n_params: int | None = None,
    *,
    m: int | None = None,
) -> dict[str, object]:
    """Fit ``model`` on the training block and report in-sample and out-of-sample metrics (never only
    in-sample), and the gates on the out-of-sample figures (:func:`check_gates`, X_test as the reporting
    drivers). In-sample metrics are over every training row given (outliers included) with p = ``n_params``
    (default ``model.n_params_``); out-of-sample with p = 0.

    Returns {'in_sample': {...}, 'out_of_sample': {...}, 'gates': {name: GateResult}, 'model': model}.
    """
    model.fit(X_train, y_train)
    p = model.n_params_ if n_params is None else n_params
    ins = mx.regression_metrics(_target(y_train, len(X_train)), model.predict(X_train).to_numpy(), p)
    oos = mx.regression_metrics(_target(y_test, len(X_test)), model.predict(X_test).to_numpy(), 0)
    return {"in_sample": ins, "out_of_sample": oos, "gates": check_gates(model, oos, X_reporting=X_test, m=m),
            "model": model}  # fmt: skip


# ================================================================================================ savings
@dataclass
class SavingsResult:
    """Avoided energy of a reporting period with its uncertainty (kWh; ``*_pct`` in percent of expected)."""

    expected_kwh: float
    actual_kwh: float
    avoided_kwh: float
    avoided_pct: float
    m: int
    confidence: float
    t: float
    cv_rmse: float
    n: int
    rho: float
    n_params: int
    fsu: float
    half_width_kwh: float
    half_width_abs_kwh: float | None
    lower_kwh: float
    upper_kwh: float
    lower_pct: float
    upper_pct: float
    cusum: pd.Series = field(repr=False)

    @property
    def contains_zero(self) -> bool:
        """Whether the interval includes no saving at all."""
        return self.lower_kwh <= 0 <= self.upper_kwh

    def to_dict(self) -> dict[str, object]:
        """The figures (without the CUSUM series), JSON-able."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "cusum"}
        return _jsonable(out | {"contains_zero": self.contains_zero})


def savings(
    actual: object,
    expected: object,
    *,
    baseline: _Baseline | Mapping[str, float] | None = None,
    cv_rmse: float | None = None,
    n: int | None = None,
    rho: float | None = None,
    n_params: int | None = None,
    baseline_mean: float | None = None,
    confidence: float = 0.90,
) -> SavingsResult:
    """M&V savings of a reporting period: expected (baseline on the reporting drivers) vs actual.

    ``actual`` and ``expected`` are aligned by position (or by index when both are Series), at the
    baseline's resolution; pairs with a NaN are left out (m = pairs kept). Avoided = expected - actual (kWh),
    avoided_pct = 100 · avoided / expected. CUSUM = running Σ(expected - actual) in kWh, in the given order.

    The uncertainty (ASHRAE 14 FSU, :func:`enms.metrics.savings_uncertainty`) needs the baseline's CV(RMSE),
    n, ρ and p: from ``baseline`` (a fitted model: its ``fit_stats_`` and ``n_params_``; or a metrics dict
    with cv_rmse, n, rho, n_params, y_mean), each overridable by the keyword (e.g. an out-of-sample CV(RMSE)).
    half_width_kwh = FSU × avoided; lower / upper = avoided ∓ half-width (kWh and % of expected).
    """
    if isinstance(actual, pd.Series) and isinstance(expected, pd.Series):
        frame = pd.concat({"actual": actual.astype(float), "expected": expected.astype(float)}, axis=1, join="inner")
    else:
        a = np.asarray(actual, dtype=float).reshape(-1)
        e = np.asarray(expected, dtype=float).reshape(-1)
        if a.shape != e.shape:
            raise ValueError(f"actual and expected differ in length ({len(a)} vs {len(e)})")
        index = (
            actual.index
            if isinstance(actual, pd.Series)
            else (expected.index if isinstance(expected, pd.Series) else None)
        )
        frame = pd.DataFrame({"actual": a, "expected": e}, index=index)
    frame = frame[np.isfinite(frame["actual"]) & np.isfinite(frame["expected"])]
    if frame.empty:
        raise ValueError("no reporting point with both actual and expected energy")
    stats_ = {}
    if isinstance(baseline, _Baseline):
        baseline._check_fitted()
        stats_ = dict(baseline.fit_stats_) | {"n_params": baseline.n_params_}
    elif baseline is not None:
        stats_ = dict(baseline)
    cv = stats_.get("cv_rmse") if cv_rmse is None else cv_rmse
    n = stats_.get("n") if n is None else n
    rho = stats_.get("rho", 0.0) if rho is None else rho
    n_params = int(stats_.get("n_params", 0) if n_params is None else n_params)
    baseline_mean = stats_.get("y_mean") if baseline_mean is None else baseline_mean
    if cv is None or n is None:
        raise ValueError("savings needs the baseline's cv_rmse and n: pass baseline= or cv_rmse= and n=")

    exp_total, act_total = float(frame["expected"].sum()), float(frame["actual"].sum())
    avoided = exp_total - act_total
    m = len(frame)
    unc = mx.savings_uncertainty(cv, int(n), m, float(rho), n_params=n_params, confidence=confidence,
                                 saving=avoided, expected=exp_total, baseline_mean=baseline_mean)  # fmt: skip
    half = unc["half_width_kwh"]
    pct = 100.0 / exp_total if exp_total else math.nan
    cusum = (frame["expected"] - frame["actual"]).cumsum().rename("cusum_kwh")
    return SavingsResult(
        expected_kwh=exp_total,
        actual_kwh=act_total,
        avoided_kwh=avoided,
        avoided_pct=avoided * pct,
        m=m,
        confidence=confidence,
        t=unc["t"],
        cv_rmse=float(cv),
        n=int(n),
        rho=float(rho),
        n_params=n_params,
        fsu=unc["fsu"],
        half_width_kwh=half,
        half_width_abs_kwh=unc.get("half_width_abs_kwh"),
        lower_kwh=avoided - half,
        upper_kwh=avoided + half,
        lower_pct=(avoided - half) * pct,
        upper_pct=(avoided + half) * pct,
        cusum=cusum,
    )


# ================================================================================================ persistence
def model_card(model: _Baseline) -> dict[str, object]:
    """The JSON side of an artefact: class, type, parameters, feature names, coefficients, intercept and
    metadata (the model's summary and library versions). Deterministic for a given fit (no timestamp)."""
    import sklearn
    import statsmodels

    model._check_fitted()
    return _jsonable(
        {
            "model_class": type(model).__name__,
            "model_type": model.model_type,
            "params": model.get_params(),
            "feature_names": list(model.feature_names_in_),
            "coefficients": model.coefficients(),
            "intercept": getattr(model, "intercept_", None),
            "metadata": {
                "summary": model.summary(),
                "versions": {
                    "numpy": np.__version__,
                    "pandas": pd.__version__,
                    "scikit-learn": sklearn.__version__,
                    "statsmodels": statsmodels.__version__,
                },
            },
        }
    )


def _artefact_paths(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".joblib", ".json") else path
    return Path(f"{stem}.joblib"), Path(f"{stem}.json")


def save_model(model: _Baseline, path: str | Path) -> dict[str, Path]:
    """Write ``<path>.joblib`` (the fitted estimator) and ``<path>.json`` (:func:`model_card`).

    ``path`` may end in .joblib / .json or have no suffix. Returns {'joblib': ..., 'json': ...}.
    """
    jl, js = _artefact_paths(path)
    card = model_card(model)
    jl.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, jl)
    js.write_text(json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"joblib": jl, "json": js}


def load_model(path: str | Path) -> _Baseline:
    """Load a model written by :func:`save_model` (path with or without suffix). joblib unpickles: load
    only artefacts this pipeline wrote. The JSON card, when present, must name the same class."""
    jl, js = _artefact_paths(path)
    model = joblib.load(jl)
    if not isinstance(model, _Baseline):
        raise TypeError(f"{jl} does not hold an enms baseline (got {type(model).__name__})")
    if js.exists():
        card = json.loads(js.read_text(encoding="utf-8"))
        if card.get("model_class") != type(model).__name__:
            raise ValueError(f"{js} describes {card.get('model_class')}, {jl} holds {type(model).__name__}")
    return model
