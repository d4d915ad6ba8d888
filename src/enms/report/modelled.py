"""The machines and energy types of a factory that a step could not model, with the reason, for the report.

Each analytics step models every machine and energy type on its own and records a ``status`` row per series
(baselines: fitted / not fitted / failed; anomalies: detected / not detected / excluded / failed; forecasts:
forecast / not forecast / failed). The report lists the series where one of them was not done, so a plant
manager knows which figures a machine lacks and why.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from enms.report.scope import Scope, factory_machines
from enms.report.tables import styled
from enms.report.text import energy_label

STEPS = {"baselines": ("baseline", "fitted"), "anomalies": ("anomaly detection", "detected"),
         "forecasts": ("forecast", "forecast")}
"""Step product → (what it gives the report, the status of a series it modelled)."""
BY_DESIGN = ("excluded",)
"""Statuses that are a rule, not a problem (steam raises no consumption alert): never listed."""
HEADING = "### Machines not modelled"
INTRO = ("These machines and energy types lack a baseline, anomaly detection or a forecast this run, for the reason "
         "given; every other machine was modelled as usual. A machine without a baseline has no expected energy, "
         "savings or anomalies in this report.")


def not_modelled(status: Mapping[str, pd.DataFrame], frames: Mapping[str, pd.DataFrame], scope: Scope
                 ) -> pd.DataFrame:
    """The factory's series that a step did not model: machine_name, energy_type, missing (what they lack, in
    step order) and reason, in machine name order.

    ``status``: the steps' ``status`` products by step name (:data:`STEPS`; absent ones are left out). The reason
    is each step's once (prefixed by what it concerns when they differ), without the machine and energy type
    they already name; an anomaly detection skipped for want of a baseline adds nothing to the baseline's reason.
    """
    machines = factory_machines(frames, scope)
    names = dict(zip(machines["machine_id"], machines["machine_name"], strict=True))
    found: dict[tuple[str, str], dict[str, str]] = {}
    for step, (label, done) in STEPS.items():
        frame = status.get(step)
        if frame is None:
            continue
        for row in frame[frame["machine_id"].isin(names)].itertuples():
            if row.status != done and row.status not in BY_DESIGN:
                prefix = f"{names[row.machine_id]} ({row.energy_type}): "
                found.setdefault((row.machine_id, row.energy_type), {})[label] = str(row.reason).removeprefix(prefix)
    rows = []
    for (machine_id, energy_type), reasons in found.items():
        if "baseline" in reasons and reasons.get("anomaly detection", "").startswith("no expected energy"):
            shown = {k: v for k, v in reasons.items() if k != "anomaly detection"}
        else:
            shown = reasons
        distinct = list(dict.fromkeys(shown.values()))
        reason = distinct[0] if len(distinct) == 1 else "; ".join(f"{k}: {v}" for k, v in shown.items())
        rows.append({"machine_name": names[machine_id], "energy_type": energy_type,
                     "missing": ", ".join(reasons), "reason": reason})
    columns = ["machine_name", "energy_type", "missing", "reason"]
    return pd.DataFrame(rows, columns=columns).sort_values(["machine_name", "energy_type"], ignore_index=True)


def not_modelled_table(table: pd.DataFrame) -> Styler | None:
    """The display table of :func:`not_modelled` (None when every series was modelled)."""
    if table.empty:
        return None
    out = pd.DataFrame({"Machine": table["machine_name"], "Energy type": table["energy_type"].map(energy_label),
                        "Without": table["missing"], "Reason": table["reason"]})
    return styled(out, left=tuple(out.columns), wrap=("Reason",))


def not_modelled_section(status: Mapping[str, pd.DataFrame] | None, frames: Mapping[str, pd.DataFrame],
                         scope: Scope) -> list[str | Styler]:
    """The report's section on the series not modelled: heading, sentence and table, or nothing when every
    series was modelled (or no status was given)."""
    table = not_modelled_table(not_modelled(status or {}, frames, scope))
    return [] if table is None else [f"{HEADING}\n{INTRO}", table]


INPUTS_HEADING = "### Inputs this factory's data lack"


def absent_inputs(frames: Mapping[str, pd.DataFrame], scope: Scope) -> list[str]:
    """What the factory's data lack and what the analytics did instead, one sentence each (imported meters often
    have no mode history, production, outdoor temperature or tariff): [] when nothing is missing. Only the
    extract frames given are judged."""
    ids = set(factory_machines(frames, scope)["machine_id"].astype(str))

    def lacks(name: str, column: str) -> bool:
        """Whether the frame ``name`` (when given at all) has no value of ``column`` for the factory."""
        if name not in frames:
            return False
        frame = frames[name]
        own = frame[frame["machine_id"].astype(str).isin(ids)] if "machine_id" in frame else frame
        return column not in own or own[column].notna().sum() == 0

    checks = [
        ("mode_hourly", "total_readings", "No operating-mode history: normal operation and closure days are "
         "inferred from the energy (the rule is on the quality page)."),
        ("production_hourly", "total_production_count", "No production data: the baselines and forecasts are "
         "built without production."),
        ("environment_hourly", "avg_outdoor_temp_c", "No outdoor temperature: weather-independent models (no "
         "degree days; the temperature models TOWT and change point are skipped)."),
    ]
    if not ids:
        return []
    notes = [note for name, column, note in checks if lacks(name, column)]
    tariffs = frames.get("tariffs")
    if tariffs is not None and not (tariffs["factory_id"].astype(str) == str(scope.factory_id)).any():
        notes.append("No tariff: energy costs and demand charges are not computed.")
    return notes


def absent_inputs_section(frames: Mapping[str, pd.DataFrame], scope: Scope) -> str:
    """The report's note on missing inputs (Markdown), or '' when the data have every input."""
    notes = absent_inputs(frames, scope)
    return "\n".join([INPUTS_HEADING, *(f"- {note}" for note in notes)]) if notes else ""
