"""Unit tests of enms.metrics: metrics, FSU and gates against hand computation, and model selection."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from enms import metrics as mx

# A tiny baseline fit with p = 2 parameters, n = 8 points, ȳ = 10, worked by hand:
#   y  = [8, 12, 9, 11, 10, 13, 7, 10]        Σy = 80, ȳ = 10
#   e  = y - ŷ = [1, 2, 1, -1, -2, -1, 1, 3]   Σe = 4, Σe² = 22, Σ|e| = 12
#   SST = Σ(y - ȳ)² = 4 + 4 + 1 + 1 + 0 + 9 + 9 + 0 = 28
#   CV(RMSE) = sqrt(22 / (8 - 2)) / 10 = sqrt(3.6667) / 10 = 0.191485
#   NMBE     = 4 / ((8 - 2) · 10) = 0.066667
#   RMSE     = sqrt(22 / 8) = 1.658312;  MAE = 12 / 8 = 1.5
#   R²       = 1 - 22/28 = 0.214286;  adjusted R² = 1 - (22/28)(7/6) = 0.083333
#   IQR(y)   (linear percentiles of [7, 8, 9, 10, 10, 11, 12, 13]) = 11.25 - 8.75 = 2.5; PNRMSE = 0.663325
#   ρ: ē = 0.5, d = e - ē = [.5, 1.5, .5, -1.5, -2.5, -1.5, .5, 2.5], Σd² = 20,
#      Σ d_i d_{i-1} = .75 + .75 - .75 + 3.75 + 3.75 - .75 + 1.25 = 8.75  ->  ρ = 8.75 / 20 = 0.4375
#   n' = 8 (1 - 0.4375) / (1 + 0.4375) = 3.130435;  n / n' = 1.4375 / 0.5625 = 2.555556
#   t (two-sided 90 %, 6 degrees of freedom) = 1.943180 (Student t table)
#   FSU (m = 4 reporting points, F = 10 %) = 1.26 · 1.943180 · 0.191485 · sqrt(2.555556 · 1.25 · 0.25) / 0.1
#                                          = 1.26 · 1.943180 · 0.191485 · 0.893650 / 0.1 = 4.189740
Y = np.array([8, 12, 9, 11, 10, 13, 7, 10], dtype=float)
E = np.array([1, 2, 1, -1, -2, -1, 1, 3], dtype=float)
Y_HAT = Y - E
P = 2


def test_metrics_match_hand_computation() -> None:
    assert mx.cv_rmse(Y, Y_HAT, P) == pytest.approx(0.191485, abs=1e-6)
    assert mx.nmbe(Y, Y_HAT, P) == pytest.approx(0.066667, abs=1e-6)
    assert mx.rmse(Y, Y_HAT) == pytest.approx(1.658312, abs=1e-6)
    assert mx.mae(Y, Y_HAT) == pytest.approx(1.5)
    assert mx.r2(Y, Y_HAT) == pytest.approx(0.214286, abs=1e-6)
    assert mx.adjusted_r2(Y, Y_HAT, P) == pytest.approx(0.083333, abs=1e-6)
    assert mx.pnrmse(Y, Y_HAT) == pytest.approx(0.663325, abs=1e-6)
    assert mx.autocorrelation(E) == pytest.approx(0.4375)
    assert mx.effective_n(8, 0.4375) == pytest.approx(3.130435, abs=1e-6)
    assert mx.t_value(0.90, 6) == pytest.approx(1.943180, abs=1e-6)


def test_regression_metrics_bundle_and_nan_pairs_ignored() -> None:
    y = np.append(Y, np.nan)
    y_hat = np.append(Y_HAT, 5.0)
    m = mx.regression_metrics(y, y_hat, P)
    assert m["n"] == 8 and m["n_params"] == P
    assert m["cv_rmse"] == pytest.approx(0.191485, abs=1e-6)
    assert m["rho"] == pytest.approx(0.4375)
    assert m["n_eff"] == pytest.approx(3.130435, abs=1e-6)
    assert m["y_mean"] == pytest.approx(10.0)


def test_fsu_matches_hand_computation() -> None:
    value = mx.fsu(0.191485, n=8, m=4, savings_fraction=0.10, rho=0.4375, n_params=P, confidence=0.90)
    assert value == pytest.approx(4.189740, rel=1e-5)
    # no autocorrelation, large n: t -> 1.645 and n/n' -> 1
    plain = mx.fsu(0.2, n=10_000, m=100, savings_fraction=0.2, rho=0.0)
    assert plain == pytest.approx(1.26 * 1.644854 * 0.2 * math.sqrt(1.0002 / 100) / 0.2, rel=1e-4)


def test_savings_uncertainty_kwh_forms() -> None:
    # F = 100 / 1000 = 10 %: half-width = FSU × saving = 4.189740 × 100 kWh
    out = mx.savings_uncertainty(0.191485, 8, 4, 0.4375, n_params=P, saving=100.0, expected=1000.0, baseline_mean=250.0)
    assert out["fsu"] == pytest.approx(4.189740, rel=1e-5)
    assert out["half_width_kwh"] == pytest.approx(418.9740, rel=1e-5)
    assert out["lower_kwh"] == pytest.approx(100 - 418.9740, rel=1e-5)
    assert out["upper_kwh"] == pytest.approx(100 + 418.9740, rel=1e-5)
    # absolute form: relative × m × ȳ_baseline = 0.4189740 × 4 × 250, whatever the saving
    assert out["half_width_abs_kwh"] == pytest.approx(0.4189740 * 1000, rel=1e-5)
    zero = mx.savings_uncertainty(0.191485, 8, 4, 0.4375, n_params=P, saving=0.0, expected=1000.0)
    assert zero["fsu"] == math.inf and zero["half_width_kwh"] == pytest.approx(418.9740, rel=1e-5)


def test_ashrae14_gate() -> None:
    cv, nmbe = mx.cv_rmse(Y, Y_HAT, P), mx.nmbe(Y, Y_HAT, P)
    hourly = mx.ashrae14_gate(cv, nmbe, "hourly")  # 19.15 % ≤ 30 %, 6.67 % ≤ 10 %
    assert hourly.passed is True and hourly.figures["cv_rmse"] == pytest.approx(cv)
    monthly = mx.ashrae14_gate(cv, nmbe, "monthly")  # 19.15 % > 15 %, 6.67 % > 5 %
    assert monthly.passed is False
    assert "CV(RMSE) 19.15 % > 15.00 %" in monthly.reason and "|NMBE| 6.67 % > 5.00 %" in monthly.reason
    assert mx.ashrae14_gate(float("nan"), 0.0).passed is False
    with pytest.raises(ValueError, match="resolution"):
        mx.ashrae14_gate(0.1, 0.0, "weekly")


def test_nmec_gate() -> None:
    cv, nmbe = mx.cv_rmse(Y, Y_HAT, P), mx.nmbe(Y, Y_HAT, P)
    fsu = mx.fsu(cv, 8, 4, 0.10, 0.4375, n_params=P)
    gate = mx.nmec_gate(cv, nmbe, fsu)  # CV 19.15 % < 25 % passes; NMBE 6.67 % and FSU 418.97 % fail
    assert gate.passed is False
    assert "CV(RMSE)" not in gate.reason
    assert "|NMBE| 6.67 % ≥ 0.50 %" in gate.reason and "FSU 418.97 % ≥ 50.00 %" in gate.reason
    assert mx.nmec_gate(0.10, 0.001, 0.2).passed is True


def test_enpi_lite_gate() -> None:
    ok = mx.enpi_lite_gate(0.6, 0.01, {"production": 0.001, "hdd": 0.15})
    assert ok.passed is True and ok.figures["reporting_in_range"] is None
    weak = mx.enpi_lite_gate(0.6, 0.01, {"production": 0.001, "hdd": 0.25})
    assert weak.passed is False and "hdd p 0.25 ≥ 0.20" in weak.reason
    none_strong = mx.enpi_lite_gate(0.6, 0.01, {"production": 0.15})
    assert none_strong.passed is False and "no driver with p < 0.10" in none_strong.reason
    low = mx.enpi_lite_gate(0.4, 0.2, {"production": 0.01})
    assert "R² 0.4000 < 0.5" in low.reason and "F-test p 0.2 ≥ 0.10" in low.reason
    ranges = {"production": (100.0, 200.0), "hdd": (0.0, 20.0)}
    outside = mx.enpi_lite_gate(0.6, 0.01, {"production": 0.001}, ranges, {"production": 250.0, "hdd": 5.0})
    assert outside.passed is False and "reporting mean of production 250 outside" in outside.reason
    inside = mx.enpi_lite_gate(0.6, 0.01, {"production": 0.001}, ranges, {"production": 150.0, "hdd": 5.0})
    assert inside.passed is True and inside.figures["reporting_in_range"] is True


def test_select_baseline_prefers_best_passing_and_records_reasons() -> None:
    rows = [
        # machine a: the best score fails its gates -> the next passing one is selected and active
        {"machine_id": "a", "energy_type": "electricity", "model": "gbm", "cv_rmse_oos": 0.10},
        {"machine_id": "a", "energy_type": "electricity", "model": "towt", "cv_rmse_oos": 0.12},
        {"machine_id": "a", "energy_type": "electricity", "model": "naive", "cv_rmse_oos": 0.30},
        # machine b: nothing passes -> best stored (selected) but not active
        {"machine_id": "b", "energy_type": "electricity", "model": "towt", "cv_rmse_oos": 0.40},
        {"machine_id": "b", "energy_type": "electricity", "model": "naive", "cv_rmse_oos": 0.50},
    ]
    table = pd.DataFrame(rows)
    table["ashrae14_passed"] = [True, True, False, False, False]
    table["ashrae14_reason"] = ["passed", "passed", "CV(RMSE) 30.50 % > 30.00 %", "CV 40", "CV 50"]
    table["nmec_passed"] = [False, True, False, False, False]
    table["nmec_reason"] = ["|NMBE| 2.00 % ≥ 0.50 %", "passed", "x", "y", "z"]
    table["enpi_lite_passed"] = [None, None, None, None, None]  # not applicable: never blocks
    out = mx.select_baseline(table)
    a = out[out["machine_id"] == "a"].set_index("model")
    assert a["selected"].tolist() == [False, True, False] and a["is_active"].tolist() == [False, True, False]
    assert "nmec: |NMBE| 2.00 % ≥ 0.50 %" in a.loc["gbm", "activation_reason"]
    b = out[out["machine_id"] == "b"].set_index("model")
    assert b.loc["towt", "selected"] and not b.loc["towt", "is_active"]
    assert b.loc["towt", "activation_reason"].startswith("failed gates: ashrae14: CV 40")
    assert out.groupby("machine_id")["is_active"].sum().to_dict() == {"a": 1, "b": 0}
    only_ashrae = mx.select_baseline(table, gates=["ashrae14"])
    assert only_ashrae.loc[0, "is_active"]  # gbm passes ASHRAE 14 alone


def test_gate_columns_and_sufficiency_gate() -> None:
    gates = [mx.ashrae14_gate(0.1, 0.0), mx.caltrack_sufficiency_gate(False, "hours present 80.00% < 90%")]
    cols = mx.gate_columns(gates)
    figures = json.loads(cols.pop("ashrae14_figures"))
    assert figures["cv_rmse"] == 0.1 and figures["cv_rmse_max"] == 0.30
    assert cols == {
        "ashrae14_passed": True,
        "ashrae14_reason": "passed",
        "caltrack_sufficiency_passed": False,
        "caltrack_sufficiency_reason": "hours present 80.00% < 90%",
        "caltrack_sufficiency_figures": "{}",
    }
    assert gates[0].to_dict()["name"] == "ashrae14"
