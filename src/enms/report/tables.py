"""The report's display tables (pandas ``Styler``): units in the headers, thousands separators, sensible
decimals, no index; and the KPI step's monthly views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from enms import kpis
from enms.localtime import wall_clock
from enms.report.content import tariff_schedule
from enms.report.scope import Scope
from enms.report.text import (
    ANOMALY_LABELS,
    BASELINE_MODELS,
    ENERGY_LABELS,
    NA,
    NO_DEMAND_CHARGE,
    duration_text,
    energy_label,
    fmt_local,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_sig,
    quantity_text,
    sec_text,
)
from enms.units import NATIVE_UNITS


def styled(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, caption: str | None = None,
           left: tuple[str, ...] = (), wrap: tuple[str, ...] = ()) -> Styler:
    """A display table: no index, missing values as ``–``, numbers right-aligned (columns in ``left`` left),
    cells on one line (except the columns in ``wrap``)."""
    styler = frame.style.format(formats or {}, na_rep=NA).hide(axis="index")
    styles = [{"selector": "th", "props": "text-align: left; padding: 4px 10px; white-space: nowrap;"},
              {"selector": "td", "props": "padding: 3px 10px;"},
              {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; "
                                               "padding-bottom: 4px;"}]
    styler = styler.set_table_styles(styles)
    styler = styler.set_properties(subset=[c for c in frame.columns if c not in wrap], **{"white-space": "nowrap"})
    numeric = [c for c in frame.columns if c not in left]
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    if left:
        styler = styler.set_properties(subset=[c for c in frame.columns if c in left], **{"text-align": "left"})
    if wrap:
        styler = styler.set_properties(subset=[c for c in frame.columns if c in wrap],
                                       **{"white-space": "normal", "min-width": "16em"})
    if caption:
        styler = styler.set_caption(caption)
    return styler


def energy_table(summary: Mapping[str, Any]) -> Styler:
    """Energy, cost and CO₂ per energy type, with a total of cost and CO₂ (money and CO₂ can be added; energy
    types cannot)."""
    scope: Scope = summary["scope"]
    energy = summary["energy"]
    cur = scope.currency
    rows = [{"Energy type": energy_label(r["energy_type"]), "Energy (kWh)": r["energy_kwh"],
             "Quantity": r["energy_native"], "Unit": r["native_unit"],
             f"Energy cost ({cur})": r["energy_cost"], f"Demand charge ({cur})": r["demand_charge"],
             f"Total cost ({cur})": r["total_cost"], "CO₂ (t)": r["carbon_t"]} for r in energy.to_dict("records")]
    rows.append({"Energy type": "Total", "Energy (kWh)": np.nan, "Quantity": np.nan, "Unit": "",
                 f"Energy cost ({cur})": energy["energy_cost"].sum(min_count=1),
                 f"Demand charge ({cur})": energy["demand_charge"].sum(min_count=1),
                 f"Total cost ({cur})": summary["total_cost"], "CO₂ (t)": summary["carbon_t"]})
    frame = pd.DataFrame(rows)
    money = {c: (lambda v: fmt_number(v)) for c in frame.columns if c.endswith(f"({cur})")}
    return styled(frame, {"Energy (kWh)": fmt_number, "Quantity": fmt_number, "CO₂ (t)": lambda v: fmt_number(v, 1),
                          **money}, left=("Energy type", "Unit")).apply(
        lambda r: ["font-weight: bold" if r["Energy type"] == "Total" else "" for _ in r], axis=1)


def performance_table(perf: Mapping[str, Any], by: str = "energy") -> Styler | None:
    """Expected vs actual with avoided energy and its interval, per energy type (``by="energy"``) or per machine
    and energy type (``by="machine"``)."""
    frame = perf["by_energy"] if by == "energy" else perf["series"]
    if frame.empty:
        return None
    level = f"{100 * perf['confidence']:.0f} %"
    out = pd.DataFrame()
    if by != "energy":
        out["Machine"] = frame["machine_name"]
    out["Energy type"] = frame["energy_type"].map(energy_label)
    if by != "energy":
        out["Status"] = frame["status"].replace({"reporting": "counted"})
    out["Hours compared"] = frame["m"]
    out["Expected (kWh)"] = frame["expected_kwh"]
    out["Actual (kWh)"] = frame["actual_kwh"]
    out["EnPI (actual ÷ expected)"] = frame["enpi"]
    out["Avoided (kWh)"] = frame["avoided_kwh"]
    out["Avoided (%)"] = frame["avoided_pct"]
    out[f"{level} interval (%)"] = [
        f"{fmt_pct(lo, sign=True)} to {fmt_pct(hi, sign=True)}" if pd.notna(lo) else NA
        for lo, hi in zip(frame["lower_pct"], frame["upper_pct"], strict=True)]
    out["Significant"] = np.where(frame["lower_pct"].isna(), NA, np.where(frame["contains_zero"], "no", "yes"))
    empty = frame["m"] == 0
    out.loc[empty, ["Expected (kWh)", "Actual (kWh)", "EnPI (actual ÷ expected)", "Avoided (kWh)",
                    "Avoided (%)"]] = np.nan
    return styled(out, {"Hours compared": fmt_number, "Expected (kWh)": fmt_number, "Actual (kWh)": fmt_number,
                        "EnPI (actual ÷ expected)": lambda v: fmt_number(v, 3),
                        "Avoided (kWh)": lambda v: fmt_number(v).replace("-", "−"),
                        "Avoided (%)": lambda v: fmt_pct(v, sign=True)},
                  left=("Machine", "Energy type", "Status", "Significant"))


def anomalies_table(incidents: pd.DataFrame | None, scope: Scope, machine: bool = True) -> Styler | None:
    """Incidents as a plant manager reads them: machine, what, when (local), how long, severity, excess, waste."""
    if incidents is None or incidents.empty:
        return None
    hours = (incidents["end"] - incidents["start"]) / pd.Timedelta(hours=1)
    out = pd.DataFrame()
    if machine:
        out["Machine"] = incidents["machine_name"]
    out["Energy type"] = incidents["energy_type"].map(energy_label)
    out["What"] = incidents["anomaly_type"].map(lambda t: ANOMALY_LABELS.get(t, str(t).replace("_", " ")))
    out["Started (local)"] = [fmt_local(wall_clock(s, scope.timezone)) for s in incidents["start"]]
    out["Duration"] = [duration_text(h) for h in hours]
    out["Severity"] = incidents["severity"].str.capitalize()
    out["Above expected (%)"] = incidents["deviation_percent"]
    out["Wasted energy (kWh)"] = incidents["wasted_kwh"]
    out[f"Cost ({scope.currency})"] = incidents["wasted_cost"]
    return styled(out, {"Above expected (%)": lambda v: fmt_pct(v, 0), "Wasted energy (kWh)": fmt_number,
                        f"Cost ({scope.currency})": fmt_number},
                  left=("Machine", "Energy type", "What", "Started (local)", "Duration", "Severity"))


def forecast_table(forecast: Mapping[str, Any] | None) -> Styler | None:
    """Next week's forecast per energy type with its band."""
    if forecast is None:
        return None
    totals = forecast["totals"]
    out = pd.DataFrame({"Energy type": totals["energy_type"].map(energy_label),
                        "Forecast (kWh)": totals["predicted_kwh"], "Low (kWh)": totals["lower_kwh"],
                        "High (kWh)": totals["upper_kwh"]})
    return styled(out, {c: fmt_number for c in out.columns[1:]}, left=("Energy type",))


def demand_table(factory_kpis: pd.DataFrame, scope: Scope) -> Styler:
    """Peak 15-minute demand with its local time, load factor and demand charge (electricity)."""
    elec = factory_kpis[factory_kpis["energy_type"] == "electricity"]
    if elec.empty:
        return styled(pd.DataFrame({"": ["no electricity data in this period"]}))
    row = elec.iloc[0]
    rate = row["demand_charge"] / row["coincident_peak_kw"] if row["coincident_peak_kw"] else np.nan
    frame = pd.DataFrame([
        {"Figure": "Peak 15-minute demand", "Value": f"{fmt_number(row['peak_kw'], 1)} kW"},
        {"Figure": "… in the 15 minutes from (local time)", "Value": fmt_local(row["peak_start_local"])},
        {"Figure": "Average power", "Value": f"{fmt_number(row['energy_kwh'] / row['hours'], 1)} kW"},
        {"Figure": "Load factor (average ÷ peak)", "Value": fmt_pct(100 * row["load_factor"], 0)},
        {"Figure": "Demand charge rate", "Value": (NO_DEMAND_CHARGE if not scope.has_demand_charge else
                                                   f"{fmt_number(rate, 2)} {scope.currency}/kW"
                                                   if pd.notna(rate) else "only billed for whole months")},
        {"Figure": "Demand charge", "Value": fmt_money(row["demand_charge"], scope.currency)},
    ])
    return styled(frame, left=("Figure",))


def tariff_table(split: pd.DataFrame, factory_kpis: pd.DataFrame, scope: Scope) -> Styler:
    """The tariff split with the demand charge and the total, as displayed."""
    cur = scope.currency
    rows = [{"Tariff": r["name"], "Applies (local time)": r["when"], f"Rate ({cur}/kWh)": r["rate_per_kwh"],
             "Electricity (kWh)": r["energy_kwh"], "Share (%)": r["share_pct"], f"Cost ({cur})": r["cost"]}
            for r in split.to_dict("records")]
    elec = factory_kpis[factory_kpis["energy_type"] == "electricity"]
    charge = elec["demand_charge"].iloc[0] if len(elec) else np.nan
    rows.append({"Tariff": "Demand charge", "Applies (local time)": ("month's peak 15-minute demand"
                                                                     if scope.has_demand_charge else NO_DEMAND_CHARGE),
                 f"Rate ({cur}/kWh)": np.nan, "Electricity (kWh)": np.nan, "Share (%)": np.nan,
                 f"Cost ({cur})": charge})
    rows.append({"Tariff": "Total", "Applies (local time)": "", f"Rate ({cur}/kWh)": np.nan,
                 "Electricity (kWh)": split["energy_kwh"].sum(), "Share (%)": 100.0,
                 f"Cost ({cur})": split["cost"].sum() + (0.0 if pd.isna(charge) else charge)})
    frame = pd.DataFrame(rows)
    return styled(frame, {f"Rate ({cur}/kWh)": lambda v: fmt_number(v, 3), "Electricity (kWh)": fmt_number,
                          "Share (%)": lambda v: fmt_number(v, 1), f"Cost ({cur})": fmt_number},
                  left=("Tariff", "Applies (local time)")).apply(
        lambda r: ["font-weight: bold" if r["Tariff"] == "Total" else "" for _ in r], axis=1)


def machines_overview(period: Mapping[str, pd.DataFrame], perf: Mapping[str, Any] | None,
                      incidents: pd.DataFrame | None, scope: Scope) -> Styler:
    """One row per machine and energy type: energy, share of the factory's energy of that type, cost, CO₂, SEC,
    EnPI and avoided %, incidents and their cost."""
    order = {name: i for i, name in enumerate(ENERGY_LABELS)}
    table = period["machine"].assign(order=period["machine"]["energy_type"].map(order)).sort_values(
        ["machine_name", "order"], ignore_index=True)
    factory = period["factory"].set_index("energy_type")["energy_kwh"]
    out = pd.DataFrame({
        "Machine": table["machine_name"], "Energy type": table["energy_type"].map(energy_label),
        "Energy (kWh)": table["energy_kwh"],
        "Share of factory (%)": 100.0 * table["energy_kwh"] / table["energy_type"].map(factory),
        f"Cost ({scope.currency})": table["total_cost"], "CO₂ (t)": table["carbon_kg"] / 1000.0,
        "SEC (kWh/unit)": table["sec_kwh_per_unit"],
    })
    if perf is not None:
        series = perf["series"].set_index(["machine_id", "energy_type"])
        key = pd.MultiIndex.from_arrays([table["machine_id"], table["energy_type"]])
        counted = series["status"].reindex(key).to_numpy() == "reporting"
        out["EnPI"] = np.where(counted, series["enpi"].reindex(key).to_numpy(), np.nan)
        out["Avoided (%)"] = np.where(counted, series["avoided_pct"].reindex(key).to_numpy(), np.nan)
    if incidents is not None:
        per = incidents.groupby(["machine_id", "energy_type"]).agg(n=("start", "size"), cost=("wasted_cost", "sum"))
        key = pd.MultiIndex.from_arrays([table["machine_id"], table["energy_type"]])
        out["Incidents"] = per["n"].reindex(key).fillna(0).astype(int).to_numpy()
        out[f"Wasted ({scope.currency})"] = per["cost"].reindex(key).fillna(0.0).to_numpy()
    return styled(out, {"Energy (kWh)": fmt_number, "Share of factory (%)": lambda v: fmt_number(v, 1),
                        f"Cost ({scope.currency})": fmt_number, "CO₂ (t)": lambda v: fmt_number(v, 1),
                        "SEC (kWh/unit)": fmt_sig, "EnPI": lambda v: fmt_number(v, 3),
                        "Avoided (%)": lambda v: fmt_pct(v, sign=True), "Incidents": fmt_number,
                        f"Wasted ({scope.currency})": fmt_number}, left=("Machine", "Energy type"))


def machine_kpi_table(machine_kpis: pd.DataFrame, perf: Mapping[str, Any] | None, scope: Scope) -> Styler:
    """One machine's KPIs per energy type, as displayed (a transposed table: one column per energy type)."""
    cur = scope.currency
    rows: dict[str, list[str]] = {}
    series = perf["series"].set_index(["machine_id", "energy_type"]) if perf is not None else None
    for r in machine_kpis.to_dict("records"):
        label = energy_label(r["energy_type"])
        values = {
            "Energy": quantity_text(r),
            "Production (units)": fmt_number(r["production_units"]),
            "SEC, producing hours": sec_text(r),
            "Peak 15-minute demand": (f"{fmt_number(r['peak_kw'], 1)} kW, {fmt_local(r['peak_start_local'])}"
                                      if pd.notna(r["peak_kw"]) else NA),
            "Load factor": fmt_pct(100 * r["load_factor"], 0) if pd.notna(r["load_factor"]) else NA,
            f"Cost ({cur})": fmt_number(r["total_cost"]),
            "CO₂ (kg)": fmt_number(r["carbon_kg"]),
        }
        if series is not None:
            key = (r["machine_id"], r["energy_type"])
            if key in series.index and series.loc[key, "status"] == "reporting":
                s = series.loc[key]
                values["EnPI (actual ÷ expected)"] = fmt_number(s["enpi"], 3)
                level = f"{100 * perf['confidence']:.0f} % interval"
                values["Avoided energy"] = (f"{fmt_number(s['avoided_kwh']).replace('-', '−')} kWh "
                                            f"({fmt_pct(s['avoided_pct'], sign=True)}; {level} "
                                            f"{fmt_pct(s['lower_pct'], sign=True)} to "
                                            f"{fmt_pct(s['upper_pct'], sign=True)})")
            elif key in series.index:
                status = series.loc[key, "status"]
                values["EnPI (actual ÷ expected)"] = NA
                values["Avoided energy"] = "none yet: baseline year" if status == "baseline period" else status
        for name, value in values.items():
            rows.setdefault(name, []).append(value)
        rows.setdefault("_columns", []).append(label)
    columns = rows.pop("_columns", [])
    frame = pd.DataFrame([[name, *values] for name, values in rows.items()], columns=["KPI", *columns])
    return styled(frame, left=("KPI", *columns), wrap=tuple(columns) if len(columns) > 1 else ())


def gates_table(candidates: pd.DataFrame | None, machines: pd.DataFrame, scope: Scope) -> Styler | None:
    """The baseline of each machine and energy type of the factory: the selected model, its out-of-sample
    accuracy and the gates it passed or failed (a gate that does not apply to the model is left out)."""
    if candidates is None or candidates.empty:
        return None
    own = machines[machines["factory_id"] == scope.factory_id]["machine_id"]
    chosen = candidates[candidates["machine_id"].isin(own) & candidates["selected"].astype(bool)]
    if chosen.empty:
        return None
    gates = {"ashrae14_passed": "ASHRAE 14", "enpi_lite_passed": "EnPI Lite", "nmec_passed": "NMEC",
             "caltrack_sufficiency_passed": "CalTRACK"}

    def verdicts(row: pd.Series) -> str:
        parts = []
        for column, name in gates.items():
            value = row.get(column)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            parts.append(f"{name} {'✓' if bool(value) else '✗ FAILED'}")
        return ", ".join(parts)

    out = pd.DataFrame({
        "Machine": chosen["machine_name"], "Energy type": chosen["energy_type"].map(energy_label),
        "Model": chosen["model"].map(lambda m: BASELINE_MODELS.get(m, str(m).replace("_", " "))),
        "Resolution": chosen["resolution"], "CV(RMSE) (%)": 100 * chosen["cv_rmse_oos"],
        "NMBE (%)": 100 * chosen["nmbe_oos"], "R²": chosen["r2_oos"],
        "Gates": chosen.apply(verdicts, axis=1),
        "Active": np.where(chosen["is_active"].astype(bool), "yes", "no"),
    }).sort_values(["Machine", "Energy type"])
    return styled(out, {"CV(RMSE) (%)": lambda v: fmt_number(v, 1),
                        "NMBE (%)": lambda v: fmt_number(v, 2).replace("-", "−"),
                        "R²": lambda v: fmt_number(v, 3)},
                  left=("Machine", "Energy type", "Model", "Resolution", "Gates", "Active"))


def tariffs_appendix_table(tariffs: pd.DataFrame, scope: Scope) -> Styler:
    """The tariffs valid in the period in local time."""
    schedule = tariff_schedule(tariffs, scope)
    cur = scope.currency
    charge = pd.to_numeric(schedule["demand_charge_per_kw"], errors="coerce")
    out = pd.DataFrame({"Tariff": schedule["name"], "Applies (local time)": schedule["when"],
                        f"Rate ({cur}/kWh)": schedule["rate_per_kwh"],
                        f"Demand charge ({cur}/kW)": charge.astype(object).where(charge.notna(), NO_DEMAND_CHARGE),
                        "Valid": schedule["valid"]})
    return styled(out, {f"Rate ({cur}/kWh)": lambda v: fmt_number(v, 3),
                        f"Demand charge ({cur}/kW)": lambda v: v if isinstance(v, str) else fmt_number(v, 2)},
                  left=("Tariff", "Applies (local time)", "Valid"))


def carbon_appendix_table(frames: Mapping[str, pd.DataFrame], scope: Scope) -> Styler:
    """The emission factors used in the period: the electricity factor of the factory's region valid on each
    local date (falling back to 'default'), with the region and how it was chosen
    (:func:`enms.kpis.choose_carbon_region`), and the natural-gas factor per m³."""
    days = pd.date_range(pd.Timestamp(scope.start), pd.Timestamp(scope.end) - pd.Timedelta(days=1), freq="D")
    rows = pd.DataFrame({"factory_id": scope.factory_id, "local_time": days.astype("datetime64[us]")})
    factors = kpis.electricity_carbon_factors(rows, frames["factories"], frames["carbon_factors"])
    choice = kpis.choose_carbon_region(frames["factories"], scope.factory_id, frames["carbon_factors"])
    values = sorted(set(np.round(factors, 6)))
    how = "" if choice.chosen_by == "metadata" else f" (the region chosen from {choice.source})"
    if choice.chosen_by == "default":
        how = f" ({choice.note})"
    out = [{"Energy": "Electricity", "Factor": " / ".join(f"{v:.3f}" for v in values), "Unit": "kg CO₂e per kWh",
            "Source": f"grid factor of region {choice.region!r} valid on each local date{how}"}]
    sources = frames.get("energy_sources")
    if sources is not None and "natural_gas" in set(sources["name"]):
        gas = sources[sources["name"] == "natural_gas"].iloc[0]
        out.append({"Energy": "Natural gas", "Factor": f"{gas['carbon_factor']:.2f}", "Unit": "kg CO₂e per m³",
                    "Source": f"energy source table (1 m³ = {NATIVE_UNITS['natural_gas'][1]} kWh)"})
    out.append({"Energy": "Steam", "Factor": "0", "Unit": "kg CO₂e per kg",
                "Source": "made from the boiler's gas, which is already counted"})
    return styled(pd.DataFrame(out), left=("Energy", "Factor", "Unit", "Source"))



def completeness_table(completeness: pd.DataFrame) -> Styler:
    """:func:`enms.report.content.data_completeness` as displayed."""
    return styled(completeness, {"Hours with data (%)": lambda v: fmt_number(v, 1), "Gaps": fmt_number,
                                 "Longest gap (h)": fmt_number}, left=("Machine", "Energy type"))


def factory_month_view(factory_month: pd.DataFrame) -> pd.DataFrame:
    """Whole local months per factory: kWh per energy type, electricity peak (kW, local time), load factor,
    total cost, currency, CO₂ (t), and the electricity EnPI and improvement (%)."""
    monthly = factory_month[factory_month["complete"]]
    view = monthly.pivot_table(index=["factory_name", "period"], columns="energy_type", values="energy_kwh")
    view.columns = [f"{column} (kWh)" for column in view.columns]
    electricity = monthly[monthly["energy_type"] == "electricity"].set_index(["factory_name", "period"])
    view["peak (kW)"] = electricity["peak_kw"]
    view["peak at (local)"] = electricity["peak_start_local"].dt.strftime("%d %b %H:%M")
    view["load factor"] = electricity["load_factor"]
    view["total cost"] = monthly.groupby(["factory_name", "period"])["total_cost"].sum()
    view["currency"] = electricity["currency"]
    view["CO₂ (t)"] = monthly.groupby(["factory_name", "period"])["carbon_kg"].sum() / 1000
    view["EnPI"] = electricity["enpi"]
    view["improvement (%)"] = electricity["improvement_pct"]
    return view.reset_index().rename(columns={"factory_name": "factory"})


def latest_machine_month_view(machine_month: pd.DataFrame) -> pd.DataFrame:
    """Each machine's last whole local month: kWh, SEC, ratio EnPI, peak, cost, CO₂, EnPI, improvement, CUSUM."""
    last = machine_month["factory_id"].map(
        machine_month[machine_month["complete"]].groupby("factory_id")["period_start"].max())
    latest = machine_month[machine_month["complete"] & (machine_month["period_start"] == last)]
    columns = {"machine_name": "machine", "energy_type": "energy", "period": "period", "energy_kwh": "kWh",
               "sec_kwh_per_unit": "SEC (kWh/unit)", "enpi_ratio": "ratio EnPI",
               "peak_kw": "peak (kW)", "total_cost": "cost", "currency": "currency", "carbon_kg": "CO₂ (kg)",
               "enpi": "EnPI", "improvement_pct": "improvement (%)", "cusum_kwh": "CUSUM (kWh)"}
    return latest[list(columns)].rename(columns=columns)
