"""The ISO 50001 step: SEU models, EnPI baselines and monthly performance, adjustments and targets."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from enms.baselines.run import prepare_series
from enms.iso50001.adjustments import ADJUSTMENT_COLUMNS, adjustments_table, daily_factors
from enms.iso50001.enpi import BASELINE_COLUMNS, PERFORMANCE_COLUMNS, MonthlyInputs, baseline_row, performance_rows
from enms.iso50001.seus import (
    MODEL_COLUMNS,
    active_series,
    fit_seu_model,
    matched_members,
    missing_seus,
    model_row,
    seu_daily,
    seu_status,
)
from enms.iso50001.targets import target_progress
from enms.localtime import local_midnight, wall_clock


def unit_costs(machine_month: pd.DataFrame, machine_ids: list[str], energy_type: str) -> tuple[dict[str, float],
                                                                                                 str | None]:
    """Local month ('YYYY-MM') → the members' average unit cost (Σ energy_cost / Σ energy_kwh, currency per kWh;
    NaN when a member's cost is unknown), and the currency."""
    rows = machine_month[machine_month["machine_id"].astype(str).isin(machine_ids)
                         & (machine_month["energy_type"] == energy_type)]
    if rows.empty:
        return {}, None
    grouped = rows.groupby("period")
    cost = grouped["energy_cost"].sum(min_count=1).where(grouped["energy_cost"].count() == grouped.size())
    per_kwh = (cost / grouped["energy_kwh"].sum()).to_dict()
    currencies = rows["currency"].dropna().unique()
    return per_kwh, (str(currencies[0]) if len(currencies) == 1 else None)


def _last_whole_day(window: pd.Series, zone: str) -> pd.Timestamp:
    """The last local date (naive midnight) the extract window covers whole in ``zone``."""
    return wall_clock(local_midnight(window["end"], zone, after=False), zone) - pd.Timedelta(days=1)


def run(extract: Mapping[str, pd.DataFrame], baselines: Mapping[str, pd.DataFrame],
        kpis: Mapping[str, pd.DataFrame], *, quality: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The ISO 50001 frames of one run, from the extract, quality, baselines and kpis products.

    * ``seu_models``: per SEU whose members all have an active baseline, its daily ISO 50006 regression for the
      ``seus`` row (:func:`enms.iso50001.seus.model_row`), with energy_type and machine_names for display;
    * ``seu_status``: every active SEU, 'modelled', 'not modelled' (why) or 'failed' (the fit's error);
    * ``seus_missing``: series with an active baseline and no SEU (:func:`enms.iso50001.seus.missing_seus`);
    * ``enpi_baselines`` and ``enpi_performance`` (complete local months after the baseline);
    * ``adjustments``: every baseline adjustment, applied or not and why; ``targets``: progress per target.

    The extract's ``seus``, ``baseline_adjustments`` and ``energy_targets`` are the EnMS's (empty, with their
    columns, where it lacks the tables: :mod:`enms.io.extract`). ``quality`` gives the normal-operation mask and
    temperature the baselines step used (the SEU model trains on the same days:
    :func:`enms.baselines.run.prepare_series`).
    """
    seus = extract["seus"]
    sources, machines = extract["energy_sources"], extract["machines"]
    rows = baselines["energy_baselines_rows"]
    active = active_series(rows, sources)
    status = seu_status(seus, sources, active, machines)
    modelled = status[status["status"] == "modelled"]
    names = dict(zip(modelled["seu_id"], modelled["name"], strict=True))
    adjustments = adjustments_table(extract["baseline_adjustments"], names)
    members = matched_members(seus, sources)
    info = machines.assign(machine_id=machines["machine_id"].astype(str)).set_index("machine_id")
    window = extract["window"].iloc[0]
    series = {(s.machine_id, s.energy_type): s for s in prepare_series(extract, quality)} if names else {}
    machine_month = kpis.get("machine_month", pd.DataFrame(columns=["machine_id", "energy_type", "period",
                                                                    "energy_kwh", "energy_cost", "currency"]))
    models, enpi_baselines, performance, failed = [], [], [], {}
    seu_rows = seus.assign(id=seus["id"].astype(str)).set_index("id")
    for seu_id, energy_type in zip(modelled["seu_id"], modelled["energy_type"], strict=True):
        machine_ids = members.loc[members["seu_id"] == seu_id, "machine_id"].tolist()
        zone = info.loc[machine_ids[0], "timezone"]
        daily = seu_daily([series[(m, energy_type)] for m in machine_ids])
        try:
            model = fit_seu_model(daily)
        except Exception as exc:  # noqa: BLE001 - one SEU that cannot be fitted never stops the others
            failed[seu_id] = f"{type(exc).__name__}: {exc}"
            continue
        seu = seu_rows.loc[seu_id].copy()
        seu["id"] = seu_id
        models.append(model_row(seu, model, daily, zone, info.loc[machine_ids, "machine_name"].tolist())
                      | {"energy_type": energy_type})
        base = baseline_row(seu_id, daily)
        enpi_baselines.append(base)
        applied = adjustments[adjustments["applied"] & (adjustments["seu_id"] == seu_id)]
        costs, currency = unit_costs(machine_month, machine_ids, energy_type)
        inputs = MonthlyInputs(seu_id, names[seu_id], base["id"], base["baseline_year"],
                               _last_whole_day(window, zone), daily_factors(daily["date"], applied), costs, currency)
        performance.append(performance_rows(daily, model, inputs))
    if failed:
        hit = status["seu_id"].isin(failed)
        status.loc[hit, "status"] = "failed"
        status.loc[hit, "reason"] = status.loc[hit, "seu_id"].map(failed)
    enpi_baselines_frame = pd.DataFrame(enpi_baselines, columns=BASELINE_COLUMNS)
    performance_frame = (pd.concat(performance, ignore_index=True) if performance
                         else pd.DataFrame(columns=PERFORMANCE_COLUMNS))
    seu_factory = {s: str(info.loc[members.loc[members["seu_id"] == s, "machine_id"].iloc[0], "factory_id"])
                   for s in names if s not in failed}
    factory_names = dict(zip(machines["factory_id"].astype(str), machines["factory_name"], strict=False))
    targets = target_progress(extract["energy_targets"], performance_frame,
                              enpi_baselines_frame, {s: names[s] for s in seu_factory}, seu_factory, factory_names)
    return {
        "seu_models": pd.DataFrame(models, columns=MODEL_COLUMNS),
        "seu_status": status,
        "seus_missing": missing_seus(seus, rows, sources, machines),
        "enpi_baselines": enpi_baselines_frame,
        "enpi_performance": performance_frame,
        "targets": targets,
        "adjustments": adjustments.reindex(columns=ADJUSTMENT_COLUMNS),
    }

