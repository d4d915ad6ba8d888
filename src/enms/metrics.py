"""M&V metrics, savings uncertainty (FSU) and the gates a baseline must pass, plus the selection helper.

Definitions follow ``docs/domain.md`` (ASHRAE Guideline 14, IPMVP, DOE EnPI Lite, NMEC practice). With n
points, p model parameters (intercept and searched balance points included), y actual, ŷ predicted, ȳ the
mean of y:

* CV(RMSE) = sqrt(Σ(y - ŷ)² / (n - p)) / ȳ; NMBE = Σ(y - ŷ) / ((n - p) · ȳ) (positive: the model
  under-predicts); RMSE = sqrt(Σ(y - ŷ)² / n) and MAE = Σ|y - ŷ| / n (plain means); PNRMSE = RMSE / IQR(y);
  R² = 1 - SSE / SST; adjusted R² = 1 - (1 - R²)(n - 1)/(n - max(p, 1)).
* ρ: lag-1 autocorrelation of the residuals in the order given (mean-centred sample autocorrelation);
  n' = n (1 - ρ) / (1 + ρ).
* FSU = 1.26 · t · CV(RMSE) · sqrt((n / n') · (1 + 2/n) · (1/m)) / F, with t the two-sided Student t at the
  confidence level with n - p degrees of freedom (ASHRAE 14's choice), m the reporting points (same
  resolution as the baseline), F the expected savings fraction.

Ratios (CV(RMSE), NMBE, FSU, fractions) are plain fractions: 0.12 means 12 %; gate reasons print them in %.
Pairs with a NaN on either side are ignored. Out-of-sample figures use p = 0 (a prediction error loses no
degree of freedom); in-sample figures use the model's p.

Pure core: no warehouse, notebook or Ploomber import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from enms.settings import CONFIDENCE

__all__ = [
    "ASHRAE14_LIMITS",
    "GateResult",
    "adjusted_r2",
    "ashrae14_gate",
    "autocorrelation",
    "caltrack_sufficiency_gate",
    "cv_rmse",
    "effective_n",
    "enpi_lite_gate",
    "fsu",
    "gate_columns",
    "mae",
    "nmbe",
    "nmec_gate",
    "pnrmse",
    "r2",
    "regression_metrics",
    "rmse",
    "savings_uncertainty",
    "select_baseline",
    "t_value",
]

#: ASHRAE Guideline 14 calibration limits (CV(RMSE), |NMBE|) per data resolution. Daily data get the hourly
#: limits (the guideline states hourly and monthly only).
ASHRAE14_LIMITS = {"hourly": (0.30, 0.10), "daily": (0.30, 0.10), "monthly": (0.15, 0.05)}
#: NMEC practice: CV(RMSE) < 25 %, |NMBE| < 0.5 %, FSU < 50 % (90 % confidence, 10 % savings).
NMEC_LIMITS = {"cv_rmse": 0.25, "nmbe": 0.005, "fsu": 0.50, "confidence": 0.90, "savings_fraction": 0.10}
#: Reporting points in a year per resolution (NMEC's default m).
POINTS_PER_YEAR = {"hourly": 8760, "daily": 365, "monthly": 12}


# ------------------------------------------------------------------------------------------------ basics
def _pairs(y: object, y_hat: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).reshape(-1)
    y_hat = np.asarray(y_hat, dtype=float).reshape(-1)
    if y.shape != y_hat.shape:
        raise ValueError(f"actual and predicted differ in length ({len(y)} vs {len(y_hat)})")
    ok = np.isfinite(y) & np.isfinite(y_hat)
    return y[ok], y_hat[ok]


def _dof(n: int, n_params: int) -> int:
    if n - n_params <= 0:
        raise ValueError(f"n - p must be positive (n = {n}, p = {n_params})")
    return n - n_params


def cv_rmse(y: object, y_hat: object, n_params: int = 0) -> float:
    """CV(RMSE) = sqrt(Σ(y - ŷ)² / (n - p)) / ȳ (fraction)."""
    y, y_hat = _pairs(y, y_hat)
    return math.sqrt(float(np.sum((y - y_hat) ** 2)) / _dof(len(y), n_params)) / float(np.mean(y))


def nmbe(y: object, y_hat: object, n_params: int = 0) -> float:
    """NMBE = Σ(y - ŷ) / ((n - p) · ȳ) (fraction; positive when the model under-predicts)."""
    y, y_hat = _pairs(y, y_hat)
    return float(np.sum(y - y_hat)) / (_dof(len(y), n_params) * float(np.mean(y)))


def rmse(y: object, y_hat: object) -> float:
    """sqrt(Σ(y - ŷ)² / n)."""
    y, y_hat = _pairs(y, y_hat)
    return math.sqrt(float(np.mean((y - y_hat) ** 2)))


def mae(y: object, y_hat: object) -> float:
    """Σ|y - ŷ| / n."""
    y, y_hat = _pairs(y, y_hat)
    return float(np.mean(np.abs(y - y_hat)))


def r2(y: object, y_hat: object) -> float:
    """1 - SSE / SST (NaN when y is constant)."""
    y, y_hat = _pairs(y, y_hat)
    sst = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - y_hat) ** 2)) / sst if sst > 0 else float("nan")


def adjusted_r2(y: object, y_hat: object, n_params: int = 1) -> float:
    """1 - (1 - R²)(n - 1)/(n - p), p counting the intercept (at least 1)."""
    y, y_hat = _pairs(y, y_hat)
    n = len(y)
    return 1.0 - (1.0 - r2(y, y_hat)) * (n - 1) / _dof(n, max(n_params, 1))


def pnrmse(y: object, y_hat: object) -> float:
    """RMSE / IQR(y) (NaN when the IQR is 0)."""
    y, y_hat = _pairs(y, y_hat)
    iqr = float(np.subtract(*np.percentile(y, [75, 25])))
    return rmse(y, y_hat) / iqr if iqr > 0 else float("nan")


def autocorrelation(residuals: object) -> float:
    """Lag-1 autocorrelation ρ = Σ_{i≥2}(e_i - ē)(e_{i-1} - ē) / Σ(e_i - ē)² of residuals in time order."""
    e = np.asarray(residuals, dtype=float).reshape(-1)
    e = e[np.isfinite(e)]
    if len(e) < 3:
        return float("nan")
    d = e - e.mean()
    den = float(np.sum(d**2))
    return float(np.sum(d[1:] * d[:-1])) / den if den > 0 else 0.0


def effective_n(n: float, rho: float) -> float:
    """n' = n (1 - ρ) / (1 + ρ): the independent points n autocorrelated residuals are worth."""
    if rho is None or not np.isfinite(rho):
        raise ValueError(f"rho must be a finite number, got {rho}")
    if rho >= 1:
        return 0.0
    return n * (1.0 - rho) / (1.0 + rho)


def t_value(confidence: float = CONFIDENCE, dof: float = math.inf) -> float:
    """Two-sided Student t at ``confidence`` with ``dof`` degrees of freedom (the normal quantile for inf)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    q = 1.0 - (1.0 - confidence) / 2.0
    return float(stats.norm.ppf(q)) if not np.isfinite(dof) else float(stats.t.ppf(q, dof))


def regression_metrics(y: object, y_hat: object, n_params: int = 0) -> dict[str, float]:
    """Every metric of one prediction: n, n_params, y_mean, cv_rmse, nmbe, rmse, mae, r2, adj_r2, pnrmse,
    rho (lag-1 autocorrelation of y - ŷ) and n_eff."""
    y, y_hat = _pairs(y, y_hat)
    n = len(y)
    out: dict[str, float] = {"n": n, "n_params": int(n_params), "y_mean": float(np.mean(y)) if n else math.nan}
    if n - max(n_params, 1) <= 0:
        names = ("cv_rmse", "nmbe", "rmse", "mae", "r2", "adj_r2", "pnrmse", "rho", "n_eff")
        return out | dict.fromkeys(names, math.nan)
    rho = autocorrelation(y - y_hat)
    out |= {
        "cv_rmse": cv_rmse(y, y_hat, n_params),
        "nmbe": nmbe(y, y_hat, n_params),
        "rmse": rmse(y, y_hat),
        "mae": mae(y, y_hat),
        "r2": r2(y, y_hat),
        "adj_r2": adjusted_r2(y, y_hat, n_params),
        "pnrmse": pnrmse(y, y_hat),
        "rho": rho,
        "n_eff": effective_n(n, rho) if np.isfinite(rho) else math.nan,
    }
    return out


# ------------------------------------------------------------------------------------------------ FSU
def _fsu_core(cv: float, n: int, m: int, rho: float, n_params: int, confidence: float) -> tuple[float, float, float]:
    """(1.26 · t · CV · sqrt((n/n')(1 + 2/n)(1/m)), t, n')."""
    if m <= 0:
        raise ValueError(f"m (reporting points) must be positive, got {m}")
    n_eff = effective_n(n, rho)
    t = t_value(confidence, _dof(n, n_params))
    ratio = math.inf if n_eff <= 0 else n / n_eff
    return 1.26 * t * cv * math.sqrt(ratio * (1.0 + 2.0 / n) / m), t, n_eff


def fsu(
    cv_rmse: float,
    n: int,
    m: int,
    savings_fraction: float,
    rho: float = 0.0,
    *,
    n_params: int = 0,
    confidence: float = CONFIDENCE,
) -> float:
    """Fractional savings uncertainty (ASHRAE Guideline 14) of a saving of fraction F = ``savings_fraction``.

    FSU = 1.26 · t · CV(RMSE) · sqrt((n / n') · (1 + 2/n) · (1/m)) / F, n' = n (1 - ρ)/(1 + ρ), t two-sided
    at ``confidence`` with n - p degrees of freedom; ``cv_rmse`` and ``rho`` describe the baseline model (n
    points), m is the number of reporting points. A negative ρ is used as given (it lowers the FSU).
    """
    if savings_fraction == 0:
        return math.inf
    core, _, _ = _fsu_core(cv_rmse, n, m, rho, n_params, confidence)
    return core / abs(savings_fraction)


def savings_uncertainty(
    cv_rmse: float,
    n: int,
    m: int,
    rho: float = 0.0,
    *,
    n_params: int = 0,
    confidence: float = CONFIDENCE,
    saving: float | None = None,
    expected: float | None = None,
    baseline_mean: float | None = None,
) -> dict[str, float]:
    """The ± kWh half-width of a saving at ``confidence`` (90 % default).

    * ``half_width_kwh`` = FSU × saving = 1.26 · t · CV · sqrt((n/n')(1 + 2/n)(1/m)) × expected, with
      ``expected`` the total expected (baseline-predicted) energy of the m reporting points and F =
      saving / expected (finite even when the saving is 0);
    * ``half_width_abs_kwh``: the absolute form, independent of F: 1.26 · t · RMSE' · sqrt(m (n/n')(1 + 2/n))
      with RMSE' = CV · ȳ_baseline the (n - p) RMSE of the baseline (needs ``baseline_mean``). Both agree when
      the reporting period's mean expected energy equals the baseline mean.

    Returns t, n_eff, relative (the factor before × expected), fsu (when saving and expected are given),
    half_width_kwh, lower_kwh, upper_kwh (saving ∓ half-width), half_width_abs_kwh.
    """
    core, t, n_eff = _fsu_core(cv_rmse, n, m, rho, n_params, confidence)
    out = {"t": t, "n_eff": n_eff, "relative": core, "confidence": confidence, "m": m}
    if expected is not None:
        half = core * abs(expected)
        out["half_width_kwh"] = half
        if saving is not None:
            fraction = saving / expected if expected else math.nan
            out["fsu"] = core / abs(fraction) if fraction else math.inf
            out["lower_kwh"], out["upper_kwh"] = saving - half, saving + half
    if baseline_mean is not None:
        out["half_width_abs_kwh"] = core * m * abs(baseline_mean)
    return out


# ------------------------------------------------------------------------------------------------ gates
@dataclass
class GateResult:
    """One gate's verdict: ``passed`` is True/False, or None where the gate does not apply to the model."""

    name: str
    passed: bool | None
    figures: dict[str, object] = field(default_factory=dict)
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _pct(x: float) -> str:
    return "nan" if x is None or not np.isfinite(x) else f"{100 * x:.2f} %"


def _verdict(name: str, figures: dict, failures: list[str], notes: Sequence[str] = ()) -> GateResult:
    passed = not failures
    reason = "; ".join(failures) if failures else "passed"
    if notes:
        reason += " (" + "; ".join(notes) + ")"
    return GateResult(name, passed, figures, reason)


def ashrae14_gate(cv_rmse: float, nmbe: float, resolution: str = "hourly") -> GateResult:
    """ASHRAE Guideline 14: hourly CV(RMSE) ≤ 30 % and |NMBE| ≤ 10 %; monthly ≤ 15 % and ≤ 5 %.

    ``resolution`` 'daily' uses the hourly limits. A NaN figure fails.
    """
    if resolution not in ASHRAE14_LIMITS:
        raise ValueError(f"resolution must be one of {sorted(ASHRAE14_LIMITS)}, got {resolution!r}")
    cv_max, nmbe_max = ASHRAE14_LIMITS[resolution]
    figures = {"resolution": resolution, "cv_rmse": cv_rmse, "nmbe": nmbe, "cv_rmse_max": cv_max, "nmbe_max": nmbe_max}
    failures = []
    if not (np.isfinite(cv_rmse) and cv_rmse <= cv_max):
        failures.append(f"CV(RMSE) {_pct(cv_rmse)} > {_pct(cv_max)}")
    if not (np.isfinite(nmbe) and abs(nmbe) <= nmbe_max):
        failures.append(f"|NMBE| {_pct(abs(nmbe))} > {_pct(nmbe_max)}")
    return _verdict("ashrae14", figures, failures)


def enpi_lite_gate(
    r2: float,
    f_pvalue: float,
    driver_pvalues: Mapping[str, float],
    baseline_ranges: Mapping[str, Sequence[float]] | None = None,
    reporting_means: Mapping[str, float] | None = None,
) -> GateResult:
    """DOE EnPI Lite: R² ≥ 0.5; overall F-test p < 0.10; every driver p < 0.20 and at least one < 0.10;
    every reporting-period driver mean inside the baseline's [min, max] of that driver.

    The range rule is checked only when both ``baseline_ranges`` and ``reporting_means`` are given
    (otherwise the figures say 'not assessed'). A model without drivers fails.
    """
    pv = {str(k): float(v) for k, v in driver_pvalues.items()}
    figures: dict[str, object] = {"r2": r2, "f_pvalue": f_pvalue, "driver_pvalues": pv}
    failures = []
    if not (np.isfinite(r2) and r2 >= 0.5):
        failures.append(f"R² {r2:.4f} < 0.5")
    if not (np.isfinite(f_pvalue) and f_pvalue < 0.10):
        failures.append(f"F-test p {f_pvalue:.4g} ≥ 0.10")
    if not pv:
        failures.append("no driver")
    else:
        weak = [f"{k} p {v:.4g} ≥ 0.20" for k, v in pv.items() if not (np.isfinite(v) and v < 0.20)]
        failures += weak
        if not any(np.isfinite(v) and v < 0.10 for v in pv.values()):
            failures.append(f"no driver with p < 0.10 (smallest {min(pv.values()):.4g})")
    notes = []
    if baseline_ranges is not None and reporting_means is not None:
        outside = {}
        for k, mean in reporting_means.items():
            lo, hi = baseline_ranges[k]
            if not (np.isfinite(mean) and lo <= mean <= hi):
                outside[k] = mean
                failures.append(f"reporting mean of {k} {mean:.4g} outside baseline range [{lo:.4g}, {hi:.4g}]")
        figures["reporting_means"] = dict(reporting_means)
        figures["baseline_ranges"] = {k: list(v) for k, v in baseline_ranges.items()}
        figures["reporting_in_range"] = not outside
    else:
        figures["reporting_in_range"] = None
        notes.append("reporting-period driver range not assessed")
    return _verdict("enpi_lite", figures, failures, notes)


def nmec_gate(cv_rmse: float, nmbe: float, fsu_value: float) -> GateResult:
    """NMEC practice: CV(RMSE) < 25 %, |NMBE| < 0.5 %, FSU < 50 % (compute the FSU at 90 % confidence for
    10 % savings, see :func:`fsu`)."""
    lim = NMEC_LIMITS
    figures = {
        "cv_rmse": cv_rmse,
        "nmbe": nmbe,
        "fsu": fsu_value,
        "cv_rmse_max": lim["cv_rmse"],
        "nmbe_max": lim["nmbe"],
        "fsu_max": lim["fsu"],
    }
    failures = []
    if not (np.isfinite(cv_rmse) and cv_rmse < lim["cv_rmse"]):
        failures.append(f"CV(RMSE) {_pct(cv_rmse)} ≥ {_pct(lim['cv_rmse'])}")
    if not (np.isfinite(nmbe) and abs(nmbe) < lim["nmbe"]):
        failures.append(f"|NMBE| {_pct(abs(nmbe))} ≥ {_pct(lim['nmbe'])}")
    if not (np.isfinite(fsu_value) and fsu_value < lim["fsu"]):
        failures.append(f"FSU {_pct(fsu_value)} ≥ {_pct(lim['fsu'])} (90 % confidence, 10 % savings)")
    return _verdict("nmec", figures, failures)


def caltrack_sufficiency_gate(sufficient: bool, reasons: str = "", figures: Mapping | None = None) -> GateResult:
    """CalTRACK data sufficiency as a gate (the verdict of ``enms.quality.caltrack_sufficiency``)."""
    ok = bool(sufficient)
    return GateResult("caltrack_sufficiency", ok, dict(figures or {}), "passed" if ok else (reasons or "insufficient"))


def gate_columns(gates: Iterable[GateResult]) -> dict[str, object]:
    """Flatten gates into ``{name}_passed`` / ``{name}_reason`` / ``{name}_figures`` (JSON) entries for a
    candidates table."""
    out: dict[str, object] = {}
    for g in gates:
        out[f"{g.name}_passed"] = g.passed
        out[f"{g.name}_reason"] = g.reason
        out[f"{g.name}_figures"] = json.dumps(g.to_dict()["figures"], sort_keys=True, default=str)
    return out


# ------------------------------------------------------------------------------------------------ selection
def select_baseline(
    candidates: pd.DataFrame,
    *,
    score: str = "cv_rmse_oos",
    keys: Sequence[str] = ("machine_id", "energy_type"),
    gates: Sequence[str] | None = None,
    model: str = "model",
) -> pd.DataFrame:
    """Choose one baseline per ``keys`` group by the lowest ``score`` (out-of-sample CV(RMSE)).

    ``gates`` names the gates that decide activation (columns ``{gate}_passed``; default: every column ending
    in ``_passed``). A gate value of None/NA means 'not applicable' and does not block. The selected model is
    the best-scoring candidate that passes its gates; when none passes, the best-scoring one is still selected
    (stored) but not activated. Rows with a NaN score are never selected.

    Returns a copy with ``selected`` (exactly one per group with a finite score), ``is_active`` (selected and
    passing: at most one per group) and ``activation_reason`` ('' when active; the failed gates with their
    reasons, or why another candidate was chosen).
    """
    for col in (*keys, score):
        if col not in candidates.columns:
            raise ValueError(f"candidates lacks column {col!r}")
    gate_cols = (
        [f"{g}_passed" for g in gates]
        if gates is not None
        else [c for c in candidates.columns if c.endswith("_passed")]
    )
    missing = [c for c in gate_cols if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates lacks gate column(s): {', '.join(missing)}")
    out = candidates.copy().reset_index(drop=True)
    passing = np.ones(len(out), dtype=bool)
    failed_text = [""] * len(out)
    for col in gate_cols:
        name = col.removesuffix("_passed")
        values = out[col].astype(object)
        fail = values.map(lambda v: v is not None and not pd.isna(v) and not bool(v)).to_numpy(bool)
        passing &= ~fail
        reasons = out[f"{name}_reason"] if f"{name}_reason" in out.columns else pd.Series("", index=out.index)
        for i in np.flatnonzero(fail):
            failed_text[i] += ("; " if failed_text[i] else "") + f"{name}: {reasons.iloc[i]}"
    scores = pd.to_numeric(out[score], errors="coerce").to_numpy(float)
    out["selected"] = False
    out["is_active"] = False
    out["activation_reason"] = ""
    grouped = out.groupby(list(keys), sort=False, dropna=False).indices
    for idx in grouped.values():
        idx = np.asarray(idx)
        finite = idx[np.isfinite(scores[idx])]
        if len(finite) == 0:
            out.loc[idx, "activation_reason"] = f"no finite {score}"
            continue
        ok = finite[passing[finite]]
        pool = ok if len(ok) else finite
        best = pool[np.argmin(scores[pool])]
        out.loc[best, "selected"] = True
        out.loc[best, "is_active"] = bool(passing[best])
        label = str(out.loc[best, model]) if model in out.columns else str(best)
        for i in idx:
            if i == best:
                reason = "" if passing[i] else f"failed gates: {failed_text[i]}"
            elif not np.isfinite(scores[i]):
                reason = f"no finite {score}"
            elif not passing[i]:
                reason = f"failed gates: {failed_text[i]}"
            else:
                reason = f"not selected: {score} {scores[i]:.4g} vs {scores[best]:.4g} of {label}"
            out.loc[i, "activation_reason"] = reason
    return out
