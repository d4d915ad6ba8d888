"""The report's ISO 50001 section: the factory's significant energy uses (SEUs) month by month against their daily
baseline with the ISO status, the EnMS's targets, the baseline adjustments, and the health of the models.

Pure functions over the ``performance`` step's products (:func:`enms.iso50001.run`, :func:`enms.monitoring.run`)
and the extract frames; nothing is computed here that the step did not decide.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from enms.report.scope import Scope, factory_machines
from enms.report.tables import styled
from enms.report.text import energy_label

HEADING = "### ISO 50001: significant energy uses"
INTRO = ("Each significant energy use (SEU) the EnMS declares is compared month by month with its daily baseline "
         "(ISO 50006 regression over the baseline year, approved baseline adjustments applied). **Deviation** = "
         "actual − expected: negative is energy saved. The status: **excellent** when the saving exceeds the "
         "baseline's 90 % uncertainty, **on track** while any excess stays within it, **requires attention** when "
         "a significant excess is at most 5 %, **critical** above 5 %.")
STATUS_LABELS = {"excellent": "excellent", "on_track": "on track", "requires_attention": "requires attention",
                 "critical": "critical"}


def _factory_seus(extract: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame:
    """The EnMS's SEUs with at least one machine of the factory (id, name)."""
    seus = extract.get("seus")
    if seus is None or seus.empty:
        return pd.DataFrame(columns=["id", "name"])
    ids = set(factory_machines(extract, scope)["machine_id"].astype(str))
    mine = seus["machine_ids"].map(lambda members: bool(ids.intersection(map(str, members))))
    return seus.loc[mine, ["id", "name"]].astype({"id": str})


def seu_month_table(performance: Mapping[str, pd.DataFrame], extract: Mapping[str, pd.DataFrame],
                    scope: Scope) -> pd.DataFrame:
    """The factory's SEU months from the start of the report's local year to the report's end: SEU, month,
    actual and expected kWh, deviation (kWh, %), the 90 % uncertainty (± %), year-to-date savings (kWh and
    money) and the ISO status."""
    rows = performance["enpi_performance"]
    seus = set(_factory_seus(extract, scope)["id"])
    first = pd.Timestamp(scope.start.year, 1, 1).date()
    mine = rows[rows["seu_id"].astype(str).isin(seus) & (pd.to_datetime(rows["period_start"]).dt.date >= first)
                & (pd.to_datetime(rows["period_start"]).dt.date < scope.end)]
    return mine.sort_values(["seu_name", "period_start"]).reset_index(drop=True)


def seu_month_styled(table: pd.DataFrame) -> Styler:
    """The display table of :func:`seu_month_table` (energy in kWh; gas in kWh-equivalent)."""
    money = table["currency"].dropna().unique()
    out = pd.DataFrame({
        "SEU": table["seu_name"], "Month": pd.to_datetime(table["period_start"]).dt.strftime("%Y-%m"),
        "Actual kWh": table["actual_energy_kwh"], "Expected kWh": table["expected_energy_kwh"],
        "Deviation kWh": table["deviation_kwh"], "Deviation %": table["deviation_percent"],
        "± % (90 %)": table["uncertainty_pct"], "Savings YTD kWh": table["cumulative_savings_kwh"],
        f"Savings YTD {money[0] if len(money) == 1 else ''}".strip(): table["cumulative_savings_usd"],
        "Status": table["iso_status"].map(STATUS_LABELS),
    })
    numbers = {c: "{:,.0f}" for c in out.columns if "kWh" in c or c.startswith("Savings YTD")}
    numbers |= {"Deviation %": "{:+.1f}", "± % (90 %)": "{:.1f}"}
    return styled(out, numbers, left=("SEU", "Month", "Status"))


def _targets(performance: Mapping[str, pd.DataFrame], seu_names: set[str], scope: Scope) -> Styler | None:
    targets = performance.get("targets")
    if targets is None or targets.empty:
        return None
    mine = targets[targets["scope"].isin(seu_names | {scope.factory_name})]
    if mine.empty:
        return None
    out = pd.DataFrame({
        "Target": mine["target_description"], "For": mine["scope"], "Year": mine["target_year"],
        "Reduction %": mine["target_reduction_percent"], "Savings YTD %": mine["ytd_savings_pct"],
        "Progress %": mine["progress_pct"], "Status": mine["status"], "Note": mine["note"],
    })
    return styled(out, {"Reduction %": "{:.1f}", "Savings YTD %": "{:+.1f}", "Progress %": "{:.0f}"},
                  left=("Target", "For", "Status", "Note"), wrap=("Target", "Note"))


def _adjustments(performance: Mapping[str, pd.DataFrame], seu_ids: set[str], names: Mapping[str, str]
                 ) -> Styler | None:
    adjustments = performance.get("adjustments")
    if adjustments is None or adjustments.empty:
        return None
    mine = adjustments[adjustments["seu_id"].astype(str).isin(seu_ids)]
    if mine.empty:
        return None
    out = pd.DataFrame({
        "SEU": mine["seu_id"].astype(str).map(names), "Type": mine["adjustment_type"].str.replace("_", " "),
        "From": mine["adjustment_date"].astype(str), "Factor": mine["adjustment_factor"],
        "Approved by": mine["approved_by"], "Applied": mine["applied"].map({True: "yes", False: "no"}),
        "Why": mine["why"],
    })
    return styled(out, {"Factor": "{:.4f}"}, left=("SEU", "Type", "From", "Approved by", "Applied", "Why"),
                  wrap=("Why",))


def _model_health(performance: Mapping[str, pd.DataFrame], extract: Mapping[str, pd.DataFrame],
                  scope: Scope) -> list[str | Styler]:
    drift = performance.get("drift")
    if drift is None or drift.empty:
        return []
    ids = set(factory_machines(extract, scope)["machine_id"].astype(str))
    mine = drift[drift["machine_id"].astype(str).isin(ids)]
    if mine.empty:
        return []
    drifting = mine[mine["drifting"].astype(bool)]
    sentence = ("**Model health.** Every active baseline is checked on recent normal hours against its validation "
                "error. " + (f"{len(drifting)} of {len(mine)} {'drifts' if len(drifting) == 1 else 'drift'}: the "
                             "model no longer fits the machine, an alert is raised for the EnMS and a retrained "
                             "model waits for approval."
                             if len(drifting) else f"None of the {len(mine)} drifts."))
    out = pd.DataFrame({
        "Machine": mine["machine_name"], "Energy type": mine["energy_type"].map(energy_label),
        "Model": mine["model"], "Validation CV(RMSE) %": 100 * mine["validation_cv_rmse"],
        "Recent CV(RMSE) %": 100 * mine["recent_cv_rmse"], "Drifting": mine["drifting"].map({True: "yes",
                                                                                           False: "no"}),
        "Why": mine["reason"],
    })
    table = styled(out, {"Validation CV(RMSE) %": "{:.1f}", "Recent CV(RMSE) %": "{:.1f}"},
                   left=("Machine", "Energy type", "Model", "Drifting", "Why"), wrap=("Why",))
    return [sentence, table]


def iso50001_section(performance: Mapping[str, pd.DataFrame] | None, extract: Mapping[str, pd.DataFrame],
                     scope: Scope) -> list[str | Styler]:
    """The report's ISO 50001 section (heading, sentences and tables); [] without the step's products."""
    if not performance:
        return []
    seus = _factory_seus(extract, scope)
    names = dict(zip(seus["id"], seus["name"], strict=True))
    months = seu_month_table(performance, extract, scope)
    items: list[str | Styler] = [f"{HEADING}\n{INTRO}"]
    if months.empty:
        items.append("No significant energy use of this factory has a complete month after its baseline year in "
                     "this period." if names else "The EnMS declares no significant energy use for this factory.")
    else:
        items.append(seu_month_styled(months))
    missing = performance.get("seus_missing")
    if missing is not None and not missing.empty:
        here = missing[missing["machine_id"].astype(str).isin(
            set(factory_machines(extract, scope)["machine_id"].astype(str)))]
        if len(here):
            listed = ", ".join(f"{m} ({energy_label(e)})" for m, e in zip(here["machine_name"], here["energy_type"],
                                                                           strict=True))
            items.append(f"Not an SEU in the EnMS, so not tracked here: {listed}. `enms seus --create` creates "
                         "them when the energy team decides they are significant.")
    for heading, table in (("**Targets** (the EnMS's energy_targets):", _targets(performance, set(names.values()),
                                                                                 scope)),
                           ("**Baseline adjustments** (non-routine; only approved ones change the expected energy):",
                            _adjustments(performance, set(names), names))):
        if table is not None:
            items += [heading, table]
    return items + _model_health(performance, extract, scope)
