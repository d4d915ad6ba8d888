"""Time-of-week-and-temperature (TOWT) hourly baseline, the CalTRACK hourly method."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from enms.baselines.base import Baseline, driver_values, hour_of_week_codes, implausible_rows, outlier_method
from enms.baselines.features import cooling_degrees, heating_degrees
from enms.baselines.ols import least_squares, screen_outliers
from enms.settings import SPIKE_FACTOR

TOWT_KNOTS_C = tuple(round((f - 32.0) * 5.0 / 9.0, 3) for f in (30, 45, 55, 65, 75, 90))
"""CalTRACK hourly temperature knots 30, 45, 55, 65, 75, 90 °F, in °C."""
_OCCUPANCY_BASES_C = (10.0, round((65.0 - 32.0) * 5.0 / 9.0, 3))
"""CalTRACK occupancy model balance points: 50 °F heating, 65 °F cooling, in °C."""


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


class TOWTBaseline(Baseline):
    """Time-of-week-and-temperature hourly model, the CalTRACK hourly method.

    Per occupancy group (occupied, unoccupied) a separate OLS of y on 168 hour-of-week indicators (those seen
    in the group; no intercept) plus piecewise-linear temperature segments with knots ``knots_c`` (30, 45,
    55, 65, 75, 90 °F in °C), bins with fewer than ``min_bin_hours`` hours merged, plus optional linear
    ``drivers`` (e.g. production).

    Occupancy (``occupancy='caltrack'``, default): estimated from the baseline data as CalTRACK does: fit
    y ~ 1 + max(0, 10 °C - T) + max(0, T - 18.33 °C) (50 / 65 °F), and call an hour of week occupied when
    more than ``occupancy_threshold`` (65 %) of its residuals are positive; the lookup is part of the fitted
    model, so it needs only hour_of_week at prediction. ``occupancy='column'`` uses a per-row boolean column
    instead (e.g. the mode-history ``occupied`` of :func:`enms.baselines.features.hourly_drivers`).

    Without an outdoor temperature (``temperature=None``: a meter imported without weather) it is the
    time-of-week model: the same groups and indicators without temperature segments, occupancy from y ~ 1.

    An hour of week absent from a group's training rows is predicted with that group's mean hour-of-week
    effect. CalTRACK's month-weighted segmentation is not applied (one model for the baseline year).
    Outliers: only the hours the quality screen would call implausible (:func:`enms.baselines.base.implausible_rows`:
    negative, or above ``implausible_factor`` × the 99.5th percentile of the training hours) are dropped by
    default. Dropping |externally studentised residual| > ``outlier_threshold`` within each group (see
    :mod:`enms.baselines.ols`) is available but off: real hourly residuals are right-skewed, so it drops mostly high
    hours and the model under-predicts (6.7 % over all training hours on gamma noise, against 0 % without it).
    """

    model_type = "towt"

    def __init__(
        self,
        *,
        temperature: str | None = "outdoor_temp_c",
        hour_of_week: str = "hour_of_week",
        drivers: Sequence[str] = (),
        knots_c: Sequence[float] = TOWT_KNOTS_C,
        min_bin_hours: int = 20,
        occupancy: str = "caltrack",
        occupancy_column: str = "occupied",
        occupancy_threshold: float = 0.65,
        outlier_threshold: float | None = None,
        implausible_factor: float | None = SPIKE_FACTOR,
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
        self.implausible_factor = implausible_factor
        self.max_outlier_fraction = max_outlier_fraction
        self.max_outlier_iter = max_outlier_iter
        self.target_derived = target_derived

    def _driver_columns(self) -> list[str]:
        cols = [self.hour_of_week, *([self.temperature] if self.temperature else []), *self.drivers]
        return cols + ([self.occupancy_column] if self.occupancy == "column" else [])

    def _temperatures(self, X: pd.DataFrame) -> np.ndarray:
        """Outdoor temperature per row (°C); zeros for the time-of-week model (no temperature)."""
        return driver_values(X, [self.temperature])[:, 0] if self.temperature else np.zeros(len(X))

    def _temperature_features(self, t: np.ndarray, ends: Sequence[float]) -> np.ndarray:
        return _segments(t, ends) if self.temperature else np.empty((len(t), 0))

    def _occupied(self, X: pd.DataFrame, how: np.ndarray) -> np.ndarray:
        if self.occupancy == "column":
            return X[self.occupancy_column].fillna(False).astype(bool).to_numpy()
        return self.occupied_how_[np.clip(how, 0, 167)] & (how >= 0)

    def _group_design(self, group: dict, how: np.ndarray, t: np.ndarray, extra: np.ndarray) -> np.ndarray:
        onehot = (how[:, None] == np.asarray(group["hows"])[None, :]).astype(float)
        return np.column_stack([onehot, self._temperature_features(t, group["endpoints"]), extra])

    def fit(self, X: pd.DataFrame, y: object) -> TOWTBaseline:
        if self.occupancy not in ("caltrack", "column"):
            raise ValueError(f"occupancy must be 'caltrack' or 'column', got {self.occupancy!r}")
        X, y = self._start_fit(X, y)
        how = hour_of_week_codes(driver_values(X, [self.hour_of_week])[:, 0])
        t = self._temperatures(X)
        extra = driver_values(X, list(self.drivers))
        usable = np.isfinite(y) & (how >= 0) & np.isfinite(t) & np.all(np.isfinite(extra), axis=1)
        ok = usable & ~implausible_rows(y, usable, self.implausible_factor)

        if self.occupancy == "caltrack":
            degrees = ([heating_degrees(t[ok], _OCCUPANCY_BASES_C[0]), cooling_degrees(t[ok], _OCCUPANCY_BASES_C[1])]
                       if self.temperature else [])
            D = np.column_stack([np.ones(ok.sum()), *degrees])
            _, resid, _, _ = least_squares(D, y[ok])
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
                "endpoints": (_segment_endpoints(t[rows], self.knots_c, self.min_bin_hours)
                              if self.temperature else []),
            }
            gkeep = screen_outliers(rows, y, lambda k, g=group: self._group_design(g, how[k], t[k], extra[k]),
                                    self.outlier_threshold, self.max_outlier_fraction, self.max_outlier_iter)
            beta, _, _, _ = least_squares(self._group_design(group, how[gkeep], t[gkeep], extra[gkeep]), y[gkeep])
            k = len(group["hows"])
            n_seg = len(group["endpoints"]) + 1 if self.temperature else 0
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
        self._finish_fit(X, y, keep, usable & ~keep)
        return self

    def _predict_values(self, X: pd.DataFrame) -> np.ndarray:
        how = hour_of_week_codes(driver_values(X, [self.hour_of_week])[:, 0])
        t = self._temperatures(X)
        extra = driver_values(X, list(self.drivers))
        occ = self._occupied(X, how)
        out = np.full(len(X), np.nan)
        for label, flag in (("occupied", True), ("unoccupied", False)):
            group = self.groups_.get(label)
            rows = (occ == flag) & (how >= 0)
            if group is None or not rows.any():
                continue
            effect = np.full(168, float(np.mean(group["how_coef"])))
            effect[group["hows"]] = group["how_coef"]
            value = effect[how[rows]] + self._temperature_features(t[rows], group["endpoints"]) @ np.asarray(
                group["temp_coef"], dtype=float)
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
            "outlier_method": outlier_method(self.implausible_factor, self.outlier_threshold,
                                             "|externally studentised residual| > {}, refit (per group)"),
        }
        if self.occupancy == "caltrack":
            out["occupied_hours_of_week"] = np.flatnonzero(self.occupied_how_).tolist()
        return out
