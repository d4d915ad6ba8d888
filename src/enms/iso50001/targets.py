"""Energy targets (``energy_targets``) beside the EnPI performance: the target energy and the year-to-date
progress of an SEU, or of a factory as the sum of its modelled SEUs."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

TARGET_COLUMNS = ["target_id", "target_type", "scope", "target_year", "target_description", "baseline_year",
                  "baseline_energy_kwh", "target_reduction_percent", "target_energy_kwh", "months",
                  "ytd_actual_kwh", "ytd_expected_kwh", "ytd_savings_kwh", "ytd_savings_pct", "progress_pct",
                  "status", "deadline", "note"]


def _number(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def target_progress(targets: pd.DataFrame, performance: pd.DataFrame, enpi_baselines: pd.DataFrame,
                    seu_names: Mapping[str, str], seu_factory: Mapping[str, str],
                    factory_names: Mapping[str, str]) -> pd.DataFrame:
    """One row per target (:data:`TARGET_COLUMNS`), for the report.

    Scope: the SEU (``target_type`` 'seu') or the factory's modelled SEUs summed (``seu_factory``: seu_id →
    factory_id). baseline_energy_kwh: the target's own, else our ``enpi_baselines`` figure (summed over the
    scope). target_energy_kwh: the target's own, else baseline × (1 − reduction % / 100). Year to date: the
    ``enpi_performance`` months of target_year (kWh): actual, expected, savings = expected − actual and
    savings % of expected; progress_pct = 100 · savings % / reduction % (100 = on target so far).
    """
    rows = []
    months = performance.assign(year=pd.to_datetime(performance["period_start"]).dt.year)
    for target in targets.itertuples(index=False):
        is_seu = target.target_type == "seu" or (target.target_type is None and pd.notna(target.seu_id))
        if is_seu:
            seus = [str(target.seu_id)] if str(target.seu_id) in seu_names else []
            scope = seu_names.get(str(target.seu_id), f"SEU {target.seu_id}")
        else:
            seus = [s for s, f in seu_factory.items() if f == str(target.factory_id)]
            scope = factory_names.get(str(target.factory_id), f"factory {target.factory_id}")
        year = months[months["seu_id"].isin(seus) & (months["year"] == int(target.target_year))]
        actual, expected = float(year["actual_energy_kwh"].sum()), float(year["expected_energy_kwh"].sum())
        pct = _number(target.target_reduction_percent)
        baseline = _number(target.baseline_energy_kwh)
        if math.isnan(baseline) and seus:
            ours = enpi_baselines[enpi_baselines["seu_id"].isin(seus)]["baseline_energy_kwh"]
            baseline = float(ours.sum()) if ours.notna().all() and len(ours) else math.nan
        goal = _number(target.target_energy_kwh)
        if math.isnan(goal):
            goal = baseline * (1 - pct / 100)
        saved_pct = 100 * (expected - actual) / expected if expected > 0 else math.nan
        note = ("no modelled SEU in its scope" if not seus
                else f"{len(seus)} SEU{'s' if len(seus) > 1 else ''}, {year['period_start'].nunique()} month(s) "
                     f"of {int(target.target_year)} with EnPI performance")
        rows.append({
            "target_id": str(target.id), "target_type": "seu" if is_seu else "factory", "scope": scope,
            "target_year": int(target.target_year), "target_description": target.target_description,
            "baseline_year": target.baseline_year, "baseline_energy_kwh": baseline,
            "target_reduction_percent": pct, "target_energy_kwh": goal, "months": int(year["period_start"].nunique()),
            "ytd_actual_kwh": actual if len(year) else math.nan,
            "ytd_expected_kwh": expected if len(year) else math.nan,
            "ytd_savings_kwh": expected - actual if len(year) else math.nan, "ytd_savings_pct": saved_pct,
            "progress_pct": 100 * saved_pct / pct if pct > 0 else math.nan,
            "status": target.status, "deadline": target.deadline, "note": note,
        })
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)
