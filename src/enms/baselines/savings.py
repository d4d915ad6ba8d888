"""M&V savings of a reporting period (IPMVP option C / ASHRAE 14): avoided energy against a baseline, with
its fractional savings uncertainty and the CUSUM."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enms import metrics as mx
from enms.baselines.base import Baseline, jsonable
from enms.settings import CONFIDENCE


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
        return jsonable(out | {"contains_zero": self.contains_zero})


def _pairs(actual: object, expected: object) -> pd.DataFrame:
    """actual and expected (kWh) side by side: aligned by index when both are Series, else by position; the
    pairs with a NaN left out."""
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
    return frame


def savings(
    actual: object,
    expected: object,
    *,
    baseline: Baseline | Mapping[str, float] | None = None,
    cv_rmse: float | None = None,
    n: int | None = None,
    rho: float | None = None,
    n_params: int | None = None,
    baseline_mean: float | None = None,
    confidence: float = CONFIDENCE,
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
    frame = _pairs(actual, expected)
    stats_ = {}
    if isinstance(baseline, Baseline):
        baseline.check_fitted()
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
