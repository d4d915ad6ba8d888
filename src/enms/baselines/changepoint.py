"""Change-point temperature baselines: the CalTRACK daily method (ASHRAE 3P/4P/5P, with the intercept-only
mean model as the fallback)."""

from __future__ import annotations

from collections.abc import Sequence

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

_FORMS = ("intercept", "3p_heating", "3p_cooling", "4p", "5p")
_FORM_BALANCE_POINTS = {"intercept": 0, "3p_heating": 1, "3p_cooling": 1, "4p": 1, "5p": 2}


class ChangePointBaseline(OLSBaseline):
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
            cols.append(degree_term("hdd", V[:, 0], heating, self.resolution))
        if cooling is not None:
            cols.append(degree_term("cdd", V[:, 0], cooling, self.resolution))
        return np.column_stack(cols)

    def _names(self, heating: float | None, cooling: float | None) -> list[str]:
        return (
            ["const", *self.drivers]
            + (["hdd"] if heating is not None else [])
            + (["cdd"] if cooling is not None else [])
        )

    def _candidates(self, form: str, size: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The form's candidates as positions on a grid of ``size`` balance points: (heating, cooling), each an
        index array or None where the form has no such term."""
        every = np.arange(size)
        if form == "intercept":
            return None, None
        if form == "3p_heating":
            return every, None
        if form == "3p_cooling":
            return None, every
        if form == "4p":
            return every, every
        if form == "5p":
            return np.nonzero(np.triu(np.ones((size, size), dtype=bool), k=1))
        raise ValueError(f"unknown change-point form {form!r}; use {', '.join(_FORMS)}")

    def _select(self, V: np.ndarray, y: np.ndarray) -> tuple[dict[str, object], list[dict[str, object]]]:
        """Best qualifying candidate overall, and the best candidate of each form."""
        n, t, g = len(y), V[:, 0], balance_grid(self.grid)
        tables = {k: degree_table(k, t, g, self.resolution) for k in DEGREE_TERMS}
        enough = {k: np.count_nonzero(table > 0, axis=1) >= self.min_degree_days for k, table in tables.items()}
        base = [np.ones(n), *(V[:, 1 + i] for i in range(len(self.drivers)))]
        chosen, per_form = None, []
        forms = list(dict.fromkeys(["intercept", *self.forms]))
        for form in forms:
            heating, cooling = self._candidates(form, g.size)
            terms = [(k, i) for k, i in (("hdd", heating), ("cdd", cooling)) if i is not None]
            has_days = np.logical_and.reduce([enough[k][i] for k, i in terms]) if terms else np.ones(1, bool)
            if not has_days.any():
                per_form.append({"form": form, "qualified": False, "reason": "too few days with degree-days > 0"})
                continue
            terms = [(k, i[has_days]) for k, i in terms]
            count = int(has_days.sum())
            designs = np.stack([*(np.broadcast_to(c, (count, n)) for c in base),
                                *(tables[k][i] for k, i in terms)], axis=2)
            position = dict(terms)
            cands = [(float(g[position["hdd"][j]]) if "hdd" in position else None,
                      float(g[position["cdd"][j]]) if "cdd" in position else None) for j in range(count)]
            beta, sse, pv = batch_fit(designs, y, pvalues=True)
            k = designs.shape[2] + _FORM_BALANCE_POINTS[form]
            sst = float(np.sum((y - y.mean()) ** 2))
            adj = 1.0 - (sse / sst if sst > 0 else 0.0) * (n - 1) / max(n - k, 1)
            bic = n * np.log(np.maximum(sse, 1e-300) / n) + k * np.log(n)
            deg = [j for j, name in enumerate(self._names(*cands[0])) if name in DEGREE_TERMS]
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

    def _chosen_bps(self, V: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
        chosen, _ = self._select(V, y)
        return chosen["heating_bp"], chosen["cooling_bp"]

    def fit(self, X: pd.DataFrame, y: object) -> ChangePointBaseline:
        """Fit on the driver frame X and the energy y (kWh per row); returns self."""
        if self.criterion not in ("adj_r2", "bic"):
            raise ValueError(f"criterion must be 'adj_r2' or 'bic', got {self.criterion!r}")
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}, got {self.resolution!r}")
        X, y = self._start_fit(X, y)
        V = driver_values(X, self._driver_columns())
        ok = np.isfinite(y) & np.all(np.isfinite(V), axis=1)
        keep = self._screen(ok, y, lambda k: self._design(V[k], *self._chosen_bps(V[k], y[k])))
        chosen, per_form = self._select(V[keep], y[keep])
        h, c = chosen["heating_bp"], chosen["cooling_bp"]
        self._fit_ols(pd.DataFrame(self._design(V[keep], h, c), columns=self._names(h, c), index=X.index[keep]),
                      y[keep])
        self.form_ = chosen["form"]
        self.balance_points_ = {"heating": h, "cooling": c}
        self.candidates_ = pd.DataFrame([{k: v for k, v in r.items() if k != "_score"} for r in per_form])
        self.n_params_ = int(chosen["n_params"])
        self._finish_fit(X, y, keep, ok & ~keep)
        return self

    def drivers_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The chosen form's drivers for X (degree terms at the fitted balance points)."""
        self.check_fitted()
        require_columns(as_frame(X), self.feature_names_in_, DRIVERS_OF_X)
        D = self._design(
            driver_values(X, self._driver_columns()), self.balance_points_["heating"], self.balance_points_["cooling"]
        )
        return pd.DataFrame(D[:, 1:], columns=list(self.coef_), index=X.index)

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        bp = self.balance_points_
        D = self._design(driver_values(X, self._driver_columns()), bp["heating"], bp["cooling"])
        return D @ np.array([self.intercept_, *self.coef_.values()])

    def _extra_summary(self) -> dict[str, object]:
        return {
            "form": self.form_,
            "balance_points": self.balance_points_,
            "criterion": self.criterion,
            **self._inference(),
            "candidates": self.candidates_,
            "outlier_method": f"drop |externally studentised residual| > {self.outlier_threshold}, reselect (OLS)",
        }
