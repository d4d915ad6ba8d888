"""ISO 50006 multivariate regression baseline (OLS on daily local-day drivers, degree terms at searched or
configured balance points)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from enms.baselines.base import DRIVERS_OF_X, as_frame, driver_values
from enms.baselines.ols import (
    BALANCE_POINT_GRID,
    DEGREE_TERMS,
    RESOLUTIONS,
    OLSBaseline,
    balance_grid,
    batch_fit,
    degree_table,
    degree_term,
)
from enms.frames import require_columns


class RegressionBaseline(OLSBaseline):
    """ISO 50006 multivariate regression (statsmodels OLS) on daily local-day drivers.

    ``drivers``: the columns the caller picks (e.g. production, hdd, cdd, operating_hours). 'hdd' / 'cdd'
    are degree terms computed from the ``temperature`` column (daily mean °C) at their balance point:
    ``balance_point='search'`` (grid 10-24 °C by 0.5, minimising SSE; with both terms the heating base is
    at most the cooling base; a base needs ``min_degree_days`` rows with degrees > 0), a number (configured
    for both), a mapping {'hdd': 15.5, 'cdd': 'search'}, or None (take X's hdd / cdd columns as they are).
    ``resolution='hourly'`` computes degree-hours (/24) instead. Outliers: see :mod:`enms.baselines.ols`.

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
        terms = [d for d in self.drivers if d in DEGREE_TERMS]
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
                cols.append(degree_term(d, V[:, names.index(self.temperature)], bps[d], self.resolution))
            else:
                cols.append(V[:, names.index(d)])
        return np.column_stack(cols)

    def _search(self, V: np.ndarray, y: np.ndarray, spec: Mapping[str, str | float]) -> dict[str, float]:
        fixed = {k: float(v) for k, v in spec.items() if v != "search"}
        searched = [k for k, v in spec.items() if v == "search"]
        if not searched:
            return fixed
        grid = balance_grid(self.grid)
        t = V[:, self._driver_columns().index(self.temperature)]
        tables = {k: degree_table(k, t, grid, self.resolution) for k in searched}
        enough = {k: np.count_nonzero(table > 0, axis=1) >= self.min_degree_days for k, table in tables.items()}
        if len(searched) == 2:  # heating base at most the cooling base, heating base outermost
            h, c = np.nonzero(np.triu(np.ones((grid.size, grid.size), dtype=bool)))
            index = {"hdd": h, "cdd": c}
        else:
            index = {searched[0]: np.arange(grid.size)}
        qualified = np.logical_and.reduce([enough[k][i] for k, i in index.items()])
        if not qualified.any():
            raise ValueError(
                f"no balance point of {', '.join(searched)} on the grid has {self.min_degree_days} rows with "
                "degree-days > 0: drop the term or configure its base"
            )
        index = {k: i[qualified] for k, i in index.items()}
        n_combos, names = qualified.sum(), self._driver_columns()
        columns = [np.ones((n_combos, len(V)))]
        for d in self.drivers:
            if d in index:
                columns.append(tables[d][index[d]])
            else:
                value = degree_term(d, t, fixed[d], self.resolution) if d in fixed else V[:, names.index(d)]
                columns.append(np.broadcast_to(value, (n_combos, len(V))))
        _, sse, _ = batch_fit(np.stack(columns, axis=2), y)
        best = int(np.argmin(sse))
        return fixed | {k: float(grid[index[k][best]]) for k in ("hdd", "cdd") if k in index}

    # ---- fit / predict
    def fit(self, X: pd.DataFrame, y: object) -> RegressionBaseline:
        """Fit on the driver frame X and the energy y (kWh per row); returns self."""
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}, got {self.resolution!r}")
        X, y = self._start_fit(X, y)
        spec = self._bp_spec()
        V = driver_values(X, self._driver_columns())
        ok = np.isfinite(y) & np.all(np.isfinite(V), axis=1)
        keep = self._screen(ok, y, lambda k: self._design(V[k], self._search(V[k], y[k], spec)))
        bps = self._search(V[keep], y[keep], spec)
        names = ["const", *self.drivers]
        self._fit_ols(pd.DataFrame(self._design(V[keep], bps), columns=names, index=X.index[keep]), y[keep])
        self.balance_points_ = {k: bps[k] for k in spec}
        self.n_params_ = len(names) + sum(1 for v in spec.values() if v == "search")
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def drivers_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's drivers for X (degree terms at the fitted balance points), e.g. for EnPI Lite means."""
        self.check_fitted()
        require_columns(as_frame(X), self.feature_names_in_, DRIVERS_OF_X)
        D = self._design(driver_values(X, self._driver_columns()), self.balance_points_)
        return pd.DataFrame(D[:, 1:], columns=list(self.drivers), index=X.index)

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        D = self._design(driver_values(X, self._driver_columns()), self.balance_points_)
        beta = np.array([self.intercept_, *(self.coef_[d] for d in self.drivers)])
        return D @ beta

    def _extra_summary(self) -> dict[str, object]:
        return {
            "drivers": list(self.drivers),
            "balance_points": self.balance_points_,
            **self._inference(),
            "outlier_method": f"drop |externally studentised residual| > {self.outlier_threshold}, refit (OLS)",
        }
