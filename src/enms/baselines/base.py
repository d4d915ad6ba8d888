"""The public base of every baseline estimator, and the helpers its model families share.

Estimators in the scikit-learn spirit: ``fit(X, y)`` returns self, ``predict(X)`` returns a Series named
``expected`` on X's index, ``summary()`` returns a JSON-able dict, fitted state ends in ``_``, objects pickle.
X is a driver frame from :mod:`enms.baselines.features` (rows in time order), y the energy of those rows (kWh).

* Every ``fit`` calls :func:`enms.baselines.features.check_drivers` on the columns it uses: a driver derived
  from the target (load factor, power, energy, ...) is refused with an error naming it.
* ``predict`` validates its columns: a missing one is a ``ValueError`` naming it, never a zero. A row with a
  NaN driver is predicted NaN (never imputed). ``fit`` drops rows with a NaN in y or in a column it uses.
* ``n_params_`` counts the intercept and every searched balance point (ASHRAE's p); it is the p of the
  in-sample CV(RMSE) / NMBE in ``fit_stats_`` (metrics of the retained training rows) and of ``nmbe_all_`` (the
  NMBE over every training row with a prediction, the dropped outliers included: trimming that drops mostly high
  hours shows there as under-prediction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from enms import metrics as mx
from enms.baselines.features import check_drivers
from enms.frames import numeric, require_columns
from enms.settings import SPIKE_FACTOR

DRIVERS_OF_X = "X (the model's drivers; a missing driver is never filled)"
"""How a driver frame is named in a missing-column error."""


# ------------------------------------------------------------------------------------------------ helpers
def as_frame(X: object) -> pd.DataFrame:
    """X itself when it is a DataFrame of named drivers; a TypeError otherwise."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame of named drivers, got {type(X).__name__}")
    return X


def target_values(y: object, n: int) -> np.ndarray:
    """y as a flat float array of ``n`` values (a ValueError for another length)."""
    arr = np.asarray(y, dtype=float).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"y has {len(arr)} values for {n} rows of X")
    return arr


def driver_values(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The ``columns`` of X as a float matrix (n, len(columns)); non-numeric values are NaN."""
    if not columns:
        return np.empty((len(X), 0))
    return np.column_stack([numeric(X, c) for c in columns])


def hour_of_week_codes(values: np.ndarray) -> np.ndarray:
    """Local hour-of-week values (0..167, 0 = Monday 00:00) as integers, -1 where missing."""
    ok = np.isfinite(values)
    if np.any(ok & ((values < 0) | (values > 167) | (values != np.round(values)))):
        raise ValueError("hour_of_week must hold integers 0..167 (local, 0 = Monday 00:00)")
    return np.where(ok, values, -1).astype(np.int64)


def outlier_rows(keep: np.ndarray, score: np.ndarray, threshold: float, budget: int) -> np.ndarray:
    """Rows (positions in ``keep``'s frame) to drop: |score| > threshold, largest first, within budget."""
    rows = np.flatnonzero(keep)
    bad = np.flatnonzero(np.abs(score) > threshold)
    if len(bad) == 0 or budget <= 0:
        return np.empty(0, dtype=np.int64)
    bad = bad[np.argsort(-np.abs(score[bad]), kind="stable")][:budget]
    return rows[bad]


def implausible_rows(y: np.ndarray, ok: np.ndarray, factor: float | None = SPIKE_FACTOR,
                     quantile: float = 0.995) -> np.ndarray:
    """The rows of ``ok`` whose energy (kWh) the quality screen would call implausible: negative, or above
    ``factor`` × the ``quantile`` of the ``ok`` rows (its spike rule). Both tails are judged on the data, never on
    a residual, so a right-skewed load is not trimmed of its high hours. ``factor`` None flags nothing."""
    out = np.zeros(len(y), dtype=bool)
    if factor is None or not ok.any():
        return out
    top = float(np.quantile(y[ok], quantile))
    out[ok] = (y[ok] < 0) | ((top > 0) & (y[ok] > factor * top))
    return out


def outlier_method(factor: float | None, threshold: float | None, screen: str) -> str:
    """How a model's outliers are dropped, for its summary: the implausible-energy rule, then ``screen`` (a
    format string of the residual ``threshold``) when a threshold is set."""
    parts = [f"drop energy < 0 or > {factor} x its 99.5th percentile"] if factor is not None else []
    if threshold is not None:
        parts.append("drop " + screen.format(threshold))
    return "; ".join(parts) or "none"


def jsonable(obj: object) -> object:
    """Plain JSON types (NaN/inf -> None, numpy -> python, frames -> records)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, (list, tuple, set, np.ndarray)):
        return [jsonable(v) for v in obj]
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
        return jsonable(obj.to_dict())
    return str(obj)


# ------------------------------------------------------------------------------------------------ base class
class Baseline(BaseEstimator):
    """Shared machinery of the baselines: leak guard, column checks, fit statistics and summary."""

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
        X = as_frame(X)
        check_drivers(self._driver_columns(), getattr(self, "target_derived", ()))
        require_columns(X, self._required_columns(), DRIVERS_OF_X)
        return X, target_values(y, len(X))

    def check_fitted(self) -> None:
        """A RuntimeError unless ``fit`` has run."""
        if not hasattr(self, "n_params_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X, y) first")

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Expected energy of each row of X in kWh (NaN where a driver is NaN)."""
        self.check_fitted()
        X = as_frame(X)
        require_columns(X, self.feature_names_in_, DRIVERS_OF_X)
        return pd.Series(self._predict_values(X), index=X.index, name="expected", dtype=float)

    def _finish_fit(self, X: pd.DataFrame, y: np.ndarray, used: np.ndarray, outliers: np.ndarray) -> None:
        """Record the training rows, outliers, the in-sample metrics of the retained rows and the NMBE over
        the retained and dropped rows together (``nmbe_all_``).

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
        trained = used | outliers
        all_hours = mx.regression_metrics(y[trained], self._predict_values(X.loc[trained]), self.n_params_)
        self.nmbe_all_ = all_hours["nmbe"]
        self.training_start_ = self.training_end_ = None
        labels = X.index[outliers]
        for start, end, step in (("bucket", "bucket", pd.Timedelta(hours=1)), ("day_start", "day_end", None),
                                 ("date", "date", pd.Timedelta(days=1))):  # fmt: skip
            if start in X.columns and end in X.columns and used.any():
                self.training_start_ = jsonable(X.loc[used, start].min())
                self.training_end_ = jsonable(X.loc[used, end].max() + (step or pd.Timedelta(0)))
                labels = X.loc[outliers, start]
                break
        self.outliers_ = [jsonable(v) for v in labels]

    def summary(self) -> dict[str, object]:
        """What the fit found: type, resolution, features, coefficients, fit statistics, outliers, ..."""
        self.check_fitted()
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
            "nmbe_all": self.nmbe_all_,
            "outliers": self.outliers_[:100],
            "n_dropped_missing": self.n_dropped_missing_,
            "training_start": self.training_start_,
            "training_end": self.training_end_,
            "fit_stats": self.fit_stats_,
        }
        out.update(self._extra_summary())
        return jsonable(out)
