"""Out-of-sample validation of a baseline: the held-out final block, leave-one-block-out (blocked)
cross-validation, the gates (ASHRAE 14, DOE EnPI Lite, NMEC) and a train/test evaluation."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms import metrics as mx
from enms.baselines.base import Baseline, as_frame, target_values
from enms.frames import require_columns


def _time_column(X: pd.DataFrame, time_col: str | None) -> pd.Series:
    if time_col is not None:
        require_columns(X, [time_col], "X")
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
    return pd.Series(target_values(y, len(X)), index=X.index, name="y")


def holdout_split(
    X: pd.DataFrame, y: object, weeks: int = 8, *, time_col: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Hold out the last ``weeks`` weeks of the baseline as a time block: (X_train, X_test, y_train, y_test).

    The test block is every row whose time (``time_col``, default the local ``date``, else local_time,
    bucket, day_start or a DatetimeIndex) is after last time - ``weeks`` weeks.
    """
    X = as_frame(X)
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


def _fresh(model_factory: object) -> Baseline:
    if hasattr(model_factory, "fit"):
        return copy.deepcopy(model_factory)
    if callable(model_factory):
        return model_factory()
    raise TypeError("model_factory must be an unfitted estimator or a callable returning one")


def blocked_cv(
    model_factory: Callable[[], Baseline] | Baseline,
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
    X = as_frame(X)
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


def nmec_fsu(model: Baseline, cv_rmse: float, m: int | None = None) -> tuple[float, int]:
    """The FSU the NMEC gate reads (90 % confidence, 10 % savings) of a fitted model with CV(RMSE)
    ``cv_rmse``, its baseline's n, ρ and p, over m reporting points (default one year at the model's
    resolution); NaN where it cannot be computed. Returns (FSU, m)."""
    fs = model.fit_stats_
    m = m or mx.POINTS_PER_YEAR.get(getattr(model, "resolution", "hourly"), fs["n"])
    lim = mx.NMEC_LIMITS
    try:
        value = mx.fsu(cv_rmse, fs["n"], m, lim["savings_fraction"], fs["rho"],
                       n_params=model.n_params_, confidence=lim["confidence"])  # fmt: skip
    except ValueError:
        value = math.nan
    return value, m


def check_gates(
    model: Baseline,
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
    value, m = nmec_fsu(model, metrics["cv_rmse"], m)
    gate = mx.nmec_gate(metrics["cv_rmse"], metrics["nmbe"], value)
    fs = model.fit_stats_
    gate.figures |= {"m": m, "n": fs["n"], "rho": fs["rho"], "n_params": model.n_params_}
    out["nmec"] = gate
    return out


def evaluate(
    model: Baseline,
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
    ins = mx.regression_metrics(target_values(y_train, len(X_train)), model.predict(X_train).to_numpy(), p)
    oos = mx.regression_metrics(target_values(y_test, len(X_test)), model.predict(X_test).to_numpy(), 0)
    return {"in_sample": ins, "out_of_sample": oos, "gates": check_gates(model, oos, X_reporting=X_test, m=m),
            "model": model}  # fmt: skip
