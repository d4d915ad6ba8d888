"""The report's "data issues": the hours of the period whose energy was not counted as the meters stored it
(quality's ``unusable``: spikes and negative values excluded, energy short of its power replaced by power × time,
duplicated readings scaled back, partial hours kept as measured), one sentence per machine, energy type and action,
shown under the energy and cost table."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from enms import kpis
from enms.quality import PARTIAL
from enms.report.scope import Scope, factory_machines
from enms.report.text import energy_label, fmt_number


def data_issues_in_period(unusable: pd.DataFrame | None, frames: Mapping[str, pd.DataFrame],
                          scope: Scope) -> pd.DataFrame:
    """The factory's untrusted hours inside the period, summarised as :func:`enms.kpis.data_issues` (per machine,
    energy type, local month and action); empty without any."""
    if unusable is None or unusable.empty:
        return kpis.data_issues(None, frames["machines"])
    machines = factory_machines(frames, scope)
    mine = unusable[unusable["machine_id"].astype(str).isin(machines["machine_id"].astype(str))
                    & (unusable["bucket"] >= scope.start_utc) & (unusable["bucket"] < scope.end_utc)]
    return kpis.data_issues(mine, machines)


def data_issues_markdown(issues: pd.DataFrame) -> str:
    """'**Data issues.**' and one line per machine, energy type and action, e.g. '1 hour of Compressor-1
    electricity excluded (spike ×1): 10,000 kWh read, 0 kWh counted; 2026-10-07 14:00 1,000 × its
    99.5th-percentile hour (local time)'; '' when there are none."""
    if issues.empty:
        return ""
    totals = issues.groupby(["machine_name", "energy_type", "action"], sort=True).agg(
        hours=("hours", "sum"), kwh_read=("kwh_read", "sum"), kwh_used=("kwh_used", "sum"),
        reasons=("reasons", "; ".join), detail=("detail", lambda d: "; ".join(x for x in d if x))).reset_index()
    lines = []
    for row in totals.itertuples(index=False):
        hours = f"{row.hours} hour{'s' if row.hours != 1 else ''}"
        counted = (f"{fmt_number(row.kwh_read)} kWh read and counted" if row.kwh_read == row.kwh_used
                   else f"{fmt_number(row.kwh_read)} kWh read, {fmt_number(row.kwh_used)} kWh counted")
        seen = f"; {row.detail} (local time)" if row.detail else ""
        action = "kept as measured" if row.action == PARTIAL else row.action
        lines.append(f"- {hours} of {row.machine_name} {energy_label(row.energy_type).lower()} {action} "
                     f"({row.reasons}): {counted}{seen}.")
    return ("**Data issues.** Hours whose energy was not counted as the meters stored it; the figures above "
            "count them as said here:\n" + "\n".join(lines))
