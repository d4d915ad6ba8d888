"""The naive reference baseline: the mean energy of each local hour of week."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from enms.baselines.base import Baseline, driver_values, hour_of_week_codes


class HourOfWeekMeanBaseline(Baseline):
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
        """Fit on the driver frame X and the energy y (kWh per row); returns self."""
        X, y = self._start_fit(X, y)
        how = hour_of_week_codes(driver_values(X, [self.hour_of_week])[:, 0])
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
        how = hour_of_week_codes(driver_values(X, [self.hour_of_week])[:, 0])
        return np.where(how >= 0, self.means_[np.clip(how, 0, 167)], np.nan)

    def coefficients(self) -> dict[str, float]:
        return {f"how_{h:03d}": float(v) for h, v in enumerate(self.means_)}
