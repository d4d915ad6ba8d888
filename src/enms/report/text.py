"""The report's words and numbers: labels, number formats (thousands separators, signed percentages, local
times) and the Markdown sentences of the title, the executive summary, the notes and the footer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from enms.localtime import wall_clock
from enms.report.scope import Scope
from enms.settings import CONFIDENCE

ENERGY_LABELS = {"electricity": "Electricity", "natural_gas": "Natural gas", "steam": "Steam"}
"""Display names of the energy types, in the report's order (electricity, natural gas, steam)."""
ANOMALY_LABELS = {
    "excess_consumption": "Excess consumption",
    "drift": "Slow drift",
    "multivariate": "Unusual operating pattern",
    "left_running": "Left running",
    "base_load_creep": "Base-load creep",
}
BASELINE_MODELS = {
    "towt": "TOWT (time of week and temperature)",
    "gradient_boosting": "gradient boosting",
    "regression_ols": "OLS regression (ISO 50006)",
    "change_point": "change-point (temperature)",
    "hour_of_week_mean": "hour-of-week mean",
}
MACHINE_TYPES = {"hvac": "HVAC", "injection_molding": "Injection molding", "motor": "Motor (conveyor)"}
DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
"""Day names by weekday number, 0 = Sunday (as the tariffs' ``applicable_days``)."""
NA = "–"
"""How a missing value is shown."""
NO_DEMAND_CHARGE = "no demand charge in this tariff"
"""What the report says where the factory's tariffs carry no demand charge (NULL in the EnMS's tariffs)."""


def fmt_number(value: object, decimals: int = 0) -> str:
    """``12,345.6``; ``–`` for a missing value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return NA
    return f"{value:,.{decimals}f}"


def fmt_sig(value: object, digits: int = 3) -> str:
    """About ``digits`` significant figures with thousands separators (0.0582, 2.49, 1,234)."""
    if value is None or pd.isna(value):
        return NA
    value = float(value)
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def fmt_pct(value: object, decimals: int = 1, sign: bool = False) -> str:
    """``12.3 %`` (``+12.3 %`` with ``sign``); a value that rounds to zero is ``0.0 %``, never ``−0.0 %``."""
    if value is None or pd.isna(value):
        return NA
    value = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{value:+,.{decimals}f}" if sign and value != 0 else f"{value:,.{decimals}f}"
    return text.replace("-", "−") + " %"


def fmt_money(value: object, currency: str, decimals: int = 0) -> str:
    """``1,625 USD``; a negative amount with a true minus sign."""
    if value is None or pd.isna(value):
        return NA
    return f"{fmt_number(value, decimals)} {currency}".replace("-", "−")


def fmt_local(stamp: object, with_day: bool = True) -> str:
    """``Thu 15 Oct 2026, 13:15`` (a naive local time)."""
    if stamp is None or pd.isna(stamp):
        return NA
    stamp = pd.Timestamp(stamp)
    day = DAY_NAMES[(stamp.day_of_week + 1) % 7] + " " if with_day else ""
    return f"{day}{stamp.day} {stamp:%b %Y, %H:%M}"


def energy_label(energy_type: str) -> str:
    """``natural_gas`` → ``Natural gas``."""
    return ENERGY_LABELS.get(energy_type, str(energy_type).replace("_", " ").capitalize())


def quantity_text(row: Mapping) -> str:
    """``7,200 kWh``, or ``720 m³ (7,596 kWh)`` for an energy type metered in another unit."""
    unit = row.get("native_unit")
    if unit in (None, "kWh") or pd.isna(unit):
        return f"{fmt_number(row['energy_kwh'])} kWh"
    return f"{fmt_number(row['energy_native'])} {unit} ({fmt_number(row['energy_kwh'])} kWh)"


def sec_text(row: Mapping) -> str:
    """``0.0582 kWh/unit``, or ``2.61 kWh/unit (0.236 m³/unit)`` for an energy type with another native unit."""
    if pd.isna(row.get("sec_kwh_per_unit")):
        return NA
    text = f"{fmt_sig(row['sec_kwh_per_unit'])} kWh/unit"
    unit = row.get("native_unit")
    if isinstance(unit, str) and unit != "kWh" and pd.notna(row.get("sec_native_per_unit")):
        text += f" ({fmt_sig(row['sec_native_per_unit'])} {unit}/unit)"
    return text


def duration_text(hours: float) -> str:
    """``5 h`` below two days, else ``2.5 days``."""
    if pd.isna(hours):
        return NA
    return f"{hours:,.0f} h" if hours < 48 else f"{hours / 24:,.1f} days"


def day_text(value: object) -> str:
    """``5 Oct 2026``."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def hours_text(start_hour: object, end_hour: object) -> str:
    """A tariff's local hours: ``21:00–09:00``, or ``all day``."""
    if pd.isna(start_hour) or pd.isna(end_hour) or int(start_hour) == int(end_hour) or (
            int(start_hour) <= 0 and int(end_hour) >= 24):
        return "all day"
    return f"{int(start_hour):02d}:00–{int(end_hour) % 24:02d}:00"


def days_text(days: list[int]) -> str:
    """Weekday numbers (0 = Sunday) as runs from Monday: ``Mon–Fri``, ``Sat–Sun``, ``every day``."""
    days = sorted(int(d) for d in days)
    if days == list(range(7)):
        return "every day"
    order = [1, 2, 3, 4, 5, 6, 0]  # Monday first
    ranked = sorted(days, key=order.index)
    runs, run = [], [ranked[0]] if ranked else []
    for day in ranked[1:]:
        if order.index(day) == order.index(run[-1]) + 1:
            run.append(day)
        else:
            runs.append(run)
            run = [day]
    if run:
        runs.append(run)
    return ", ".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}–{DAY_NAMES[r[-1]]}" for r in runs)


def performance_sentence(row: Mapping, confidence: float = CONFIDENCE) -> str:
    """One energy type's (or machine's) result in plain words, with its interval in the same direction: saved
    (or used more than the baseline expects) in kWh and %, or no significant change when the interval holds 0."""
    avoided, pct = row["avoided_kwh"], row["avoided_pct"]
    if pd.isna(avoided):
        return "no comparison possible"
    level = f"{100 * confidence:.0f} % interval"
    if row.get("contains_zero"):
        return (f"**no significant change**: {fmt_pct(-pct, sign=True)} against the baseline "
                f"({fmt_number(-avoided, 0).replace('-', '−')} kWh; the {level}, "
                f"{fmt_pct(-row['upper_pct'], sign=True)} to {fmt_pct(-row['lower_pct'], sign=True)}, "
                "includes zero)")
    if avoided >= 0:
        return (f"**saved {fmt_number(avoided)} kWh**, {fmt_pct(pct)} of the expected energy "
                f"({level} {fmt_pct(row['lower_pct'])} to {fmt_pct(row['upper_pct'])})")
    return (f"**used {fmt_number(-avoided)} kWh more** than the baseline expects, {fmt_pct(-pct, sign=True)} "
            f"({level} {fmt_pct(-row['upper_pct'], sign=True)} to {fmt_pct(-row['lower_pct'], sign=True)})")


def headlines(summary: Mapping[str, Any]) -> list[str]:
    """The summary's sentences: energy, cost, carbon, performance, anomalies, forecast."""
    scope: Scope = summary["scope"]
    energy = summary["energy"]
    lines = []
    parts = [f"{energy_label(r['energy_type']).lower()} {quantity_text(r)}" for r in energy.to_dict("records")]
    note = (" Energy types are reported separately and never added (steam is made from the boiler's gas)."
            if len(parts) > 1 else "")
    lines.append("**Energy:** " + "; ".join(parts) + "." + note)
    elec = energy[energy["energy_type"] == "electricity"]
    demand = ""
    if not scope.has_demand_charge:
        demand = f" ({NO_DEMAND_CHARGE})"
    elif len(elec) and pd.notna(elec["demand_charge"].iloc[0]):
        demand = f", of which {fmt_money(elec['demand_charge'].iloc[0], scope.currency)} demand charge"
    lines.append(f"**Cost:** {fmt_money(summary['total_cost'], scope.currency)}{demand}.")
    lines.append(f"**CO₂:** {fmt_number(summary['carbon_t'], 1)} t CO₂e.")
    perf = summary.get("performance")
    if perf is not None:
        lines.extend(performance_lines(perf, scope))
    if summary.get("anomalies") is not None:
        count = summary["anomaly_count"]
        if count:
            lines.append(f"**Anomalies:** {count} incident{'s' if count != 1 else ''} overlapping the period, "
                         f"{fmt_money(summary['wasted_cost'], scope.currency)} of wasted energy in total; the "
                         "most costly are listed below.")
        else:
            lines.append("**Anomalies:** no incident detected in the period.")
    forecast = summary.get("forecast")
    if forecast is not None:
        parts = [f"{energy_label(r['energy_type']).lower()} {fmt_number(r['predicted_kwh'])} kWh"
                 for r in forecast["totals"].to_dict("records")]
        lines.append(f"**Next week's forecast** ({fmt_local(forecast['start_local'])} to "
                     f"{fmt_local(forecast['end_local'])}): " + "; ".join(parts) + ".")
    return lines


def performance_lines(perf: Mapping[str, Any], scope: Scope) -> list[str]:
    """Sentences on the performance against the baseline, saying when there is no M&V result."""
    status = perf["status"]
    reporting = scope.reporting_start_local
    if status == "baseline":
        return [f"**Performance vs baseline:** none yet. This period lies in the **baseline year**, which runs "
                f"until {reporting.day} {reporting:%B %Y}: the baseline models learn from these months, so there "
                "is no savings result to report. The machine charts compare actual energy with the models' "
                "out-of-sample predictions, only as a check of the models."]
    lines = []
    if status == "mixed":
        lines.append(f"**Performance vs baseline** covers only the days from {reporting.day} {reporting:%B %Y}, "
                     "when the baseline year ended.")
    by_energy = perf["by_energy"]
    if by_energy.empty:
        lines.append("**Performance vs baseline:** no machine has an active baseline with data in this period.")
        return lines
    for row in by_energy.to_dict("records"):
        lines.append(f"**Performance vs baseline, {energy_label(row['energy_type']).lower()}:** "
                     f"{performance_sentence(row, perf['confidence'])}.")
    highlights = machine_highlights(perf)
    if highlights:
        lines.append(highlights)
    inactive = perf["series"][perf["series"]["status"] == "inactive baseline"]
    if len(inactive):
        names = ", ".join(sorted(inactive["machine_name"].unique()))
        lines.append(f"Not counted (baseline failed its quality gates): {names}.")
    return lines


def machine_highlights(perf: Mapping[str, Any], n: int = 2) -> str:
    """The machines that moved most against their baselines (significant changes only): the ``n`` largest
    excesses and the ``n`` largest savings in kWh, as one sentence ('' when none)."""
    series = perf["series"]
    series = series[(series["status"] == "reporting") & ~series["contains_zero"]]

    def name(row: Mapping) -> str:
        kind = "" if row["energy_type"] == "electricity" else f" ({energy_label(row['energy_type']).lower()})"
        return f"{row['machine_name']}{kind}"

    worst = series[series["avoided_kwh"] < 0].nsmallest(n, "avoided_kwh")
    best = series[series["avoided_kwh"] > 0].nlargest(n, "avoided_kwh")
    parts = []
    if len(worst):
        parts.append("**Look at:** " + "; ".join(
            f"{name(r)} used {fmt_number(-r['avoided_kwh'])} kWh ({fmt_pct(-r['avoided_pct'])}) more than expected"
            for r in worst.to_dict("records")) + ".")
    if len(best):
        parts.append("**Doing better:** " + "; ".join(
            f"{name(r)} saved {fmt_number(r['avoided_kwh'])} kWh ({fmt_pct(r['avoided_pct'])})"
            for r in best.to_dict("records")) + ".")
    return " ".join(parts)


def title_markdown(scope: Scope, code_version: str = "") -> str:
    """The report's title block."""
    where = f", {scope.location}" if scope.location else ""
    coverage = ""
    if scope.coverage < 0.999:
        coverage = (f"\n\n**Note:** the data cover only {fmt_pct(100 * scope.coverage, 0)} of this period; "
                    "totals are for the hours with data.")
    last = (pd.Timestamp(scope.end) - pd.Timedelta(days=1)).date()
    return (f"# Energy report: {scope.factory_name}\n\n"
            f"**{scope.label}** · {scope.start.day} {scope.start:%b %Y} to {last.day} {last:%b %Y} inclusive · "
            f"times in local time, **{scope.timezone}**{where} · money in {scope.currency}{coverage}")


def energy_note(summary: Mapping[str, Any]) -> str:
    """The note above the energy table: units, what steam and the demand charge mean (only what applies)."""
    types = set(summary["energy"]["energy_type"])
    parts = ["**Energy, cost and CO₂ by energy type.**"]
    if "natural_gas" in types:
        parts.append("Gas is metered in m³ (its kWh are kWh-equivalents, 10.55 kWh per m³).")
    if "steam" in types:
        parts.append("Steam is metered in kg (2.26 kWh per kg); it has no cost or CO₂ of its own: the gas that "
                     "makes it is already counted.")
    if summary["scope"].has_demand_charge:
        parts.append("The demand charge is billed on each whole month's highest 15-minute demand;")
    else:
        parts.append(f"There is {NO_DEMAND_CHARGE} (its demand charge is not set): the cost is the energy cost;")
    parts.append("energy types are never added together, money and CO₂ are.")
    return " ".join(parts)


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The executive summary's sentences as a Markdown list."""
    return "\n".join(f"- {line}" for line in summary["headlines"])


def forecast_markdown(forecast: Mapping[str, Any]) -> str:
    """The heading and the explanation of the forecast section."""
    partial = (forecast["daily"]["hours"] < 23).any()
    return (f"### Next week's forecast\nMade {fmt_local(forecast['made_local'])} for the 7 days from "
            f"{fmt_local(forecast['start_local'])} to {fmt_local(forecast['end_local'])} (local time). The band is "
            "the sum of the hourly 90 % intervals, so it is a conservative range"
            + ("; pale bars are days the forecast covers only in part." if partial else "."))


def footer_markdown(scope: Scope, code_version: str = "", enms_version: str = "", generated: object = None) -> str:
    """Provenance: package version, source fingerprint, data window, generation time (UTC)."""
    generated = pd.Timestamp.now(tz="UTC") if generated is None else pd.Timestamp(generated)
    first = wall_clock(scope.data_start_utc, scope.timezone)
    last = wall_clock(scope.data_end_utc, scope.timezone)
    return (f"*Generated {generated:%Y-%m-%d %H:%M} UTC by enms {enms_version or '?'} (source fingerprint "
            f"{code_version or 'not set'}); data from {first:%d %b %Y %H:%M} to {last:%d %b %Y %H:%M} local time; "
            f"report file {scope.filename}.*")
