"""The anomalies step for a whole plant: detectors fitted on the baseline year, applied to all data, merged
into incidents with cost, filtered by the current machine status, and (where the warehouse holds the
simulator's truth) evaluated at the event level against it and against the EnMS's old method.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from enms.anomalies.cost import add_costs
from enms.anomalies.data_quality import data_quality_incidents
from enms.anomalies.detectors import Detector, OldIsolationForest, ResidualScaler, default_detectors
from enms.anomalies.evaluation import evaluation_table
from enms.anomalies.events import EVENT_COLUMNS, combine_events, suppress_current_maintenance
from enms.anomalies.frame import by_series, detection_frame, machine_bound
from enms.frames import stacked
from enms.localtime import baseline_boundary
from enms.parallel import run_each
from enms.settings import DETECTION_TARGETS, INCIDENT_GAP_HOURS
from enms.units import canonical_energy_types

LOOKBACK = pd.Timedelta(days=8)
"""History a run needs before its window so that events, CUSUM state and the 7-day base-load median are the same
whatever the window start (the capped CUSUM forgets within cap·h/k = 48 h; the base-load median needs 7 days)."""

COMBINED = ("residual_zscore", "residual_cusum", "left_running_rule", "base_load_creep")
"""Detectors whose events form the plant manager's combined list."""

ALERT_EXCLUDED_ENERGY_TYPES = ("steam",)
"""Energy types that raise no consumption alert: steam is the boiler's OUTPUT (more steam = more demand from the
plant, not waste); its fuel (natural gas) and the boiler's electricity carry the boiler's own faults."""

STATUS_COLUMNS = ["machine_id", "machine_name", "energy_type", "status", "reason", "n_reference_hours"]
"""The anomalies step's ``status`` product: one row per machine and energy type; status 'detected', 'not
detected' (no expected energy from a baseline, or no eligible reference hour), 'excluded' (an energy type that
raises no alert: steam) or 'failed' (a detector raised on it); n_reference_hours: its eligible hours in the
reference window."""


def run_detectors(frame: pd.DataFrame, reference: pd.DataFrame, detectors: Mapping[str, Detector] | None = None,
                  *, combined: Sequence[str] = COMBINED, gap_hours: int = INCIDENT_GAP_HOURS,
                  exclude_energy_types: Sequence[str] = ALERT_EXCLUDED_ENERGY_TYPES) -> dict[str, pd.DataFrame]:
    """Fit each detector on ``reference`` and detect on ``frame`` → {method: events, 'combined': incidents}.

    Series of ``exclude_energy_types`` (steam) are left out of both."""
    frame = frame[~frame["energy_type"].isin(exclude_energy_types)]
    reference = reference[~reference["energy_type"].isin(exclude_energy_types)]
    scaler = ResidualScaler().fit(reference)
    detectors = dict(detectors or default_detectors(scaler))
    out = {name: det.fit(reference).detect(frame) for name, det in detectors.items()}
    framez = frame.assign(z=scaler.transform(frame))
    out["combined"] = combine_events({k: out[k] for k in combined if k in out}, framez, gap_hours=gap_hours)
    return out


def detect_by_series(frame: pd.DataFrame, reference: pd.DataFrame, detectors: Mapping[str, Detector] | None = None,
                     *, combined: Sequence[str] = COMBINED, gap_hours: int = INCIDENT_GAP_HOURS,
                     exclude_energy_types: Sequence[str] = ALERT_EXCLUDED_ENERGY_TYPES, n_jobs: int = 1,
                     scheduler: str = "", progress: Callable[[str], None] | None = None
                     ) -> tuple[dict[str, pd.DataFrame], list[dict[str, object]]]:
    """:func:`run_detectors` on each series of ``frame`` alone → ({method: events, 'combined': incidents}, one
    status row per series: machine_id, energy_type, status, reason, n_reference_hours).

    A series of ``exclude_energy_types`` is 'excluded', one without an eligible reference hour 'not detected', one
    on which a detector raises 'failed' (the error in its reason); none of them changes another series' events.
    ``detectors`` (unfitted) are copied for each series. The series run in this process, over ``n_jobs``
    processes or on the Dask cluster of ``scheduler``, telling ``progress`` (:func:`enms.parallel.run_each`)."""
    references = dict(by_series(reference))
    calls = [(key, part, references.get(key, reference.iloc[0:0]), detectors, combined, gap_hours,
              exclude_energy_types) for key, part in by_series(frame)]
    lists: dict[str, list[pd.DataFrame]] = {}
    status = []
    for row, found in run_each(_detect_series, calls, n_jobs=n_jobs, scheduler=scheduler, progress=progress):
        status.append(row)
        for method, events in found.items():
            lists.setdefault(method, []).append(events)
    methods = [*(detectors or default_detectors()), "combined"]
    events = {m: stacked(lists.get(m, []), _no_events(lists.get(m, []), m)) for m in methods}
    return events, status


def _detect_series(key: tuple[str, str], part: pd.DataFrame, own: pd.DataFrame,
                   detectors: Mapping[str, Detector] | None, combined: Sequence[str], gap_hours: int,
                   exclude_energy_types: Sequence[str]) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    """One series of :func:`detect_by_series`: its status row and its events per method (none unless detected)."""
    row = {"machine_id": key[0], "energy_type": key[1], "n_reference_hours": int(own["eligible"].sum())}
    if key[1] in exclude_energy_types:
        return row | {"status": "excluded", "reason": f"{key[1]} raises no consumption alert"}, {}
    if row["n_reference_hours"] == 0:
        return row | {"status": "not detected", "reason": "no eligible reference hour in the baseline period "
                                                          "(normal operation with expected energy)"}, {}
    try:
        found = run_detectors(part, own, copy.deepcopy(detectors), combined=combined, gap_hours=gap_hours,
                              exclude_energy_types=exclude_energy_types)
    except Exception as exc:  # noqa: BLE001 - a detector failing on one series never stops the others
        return row | {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}, {}
    return row | {"status": "detected", "reason": ""}, found


def _no_events(lists: list[pd.DataFrame], method: str) -> pd.DataFrame:
    """The events of a method that found none: a series' empty (typed) list, else an empty frame of its columns."""
    if lists:
        return lists[0]
    return pd.DataFrame(columns=[*EVENT_COLUMNS, "detectors"] if method == "combined" else EVENT_COLUMNS)


def series_status(rows: list[dict[str, object]], machines: pd.DataFrame,
                  baseline_status: pd.DataFrame | None = None) -> pd.DataFrame:
    """The step's ``status`` (:data:`STATUS_COLUMNS`): every machine × declared energy type, in ``machines``
    order; a series the detection never saw has no expected energy: 'not detected' with the baselines step's
    reason when ``baseline_status`` gives one."""
    found = {(r["machine_id"], r["energy_type"]): r for r in rows}
    why = {} if baseline_status is None else {
        (r.machine_id, r.energy_type): f"no expected energy: baseline {r.status}{f' ({r.reason})' if r.reason else ''}"
        for r in baseline_status.itertuples()}
    out = []
    for machine in machines.itertuples():
        for energy_type in machine.energy_types:
            key = (str(machine.machine_id), energy_type)
            row = found.get(key) or {"machine_id": key[0], "energy_type": energy_type, "status": "not detected",
                                     "reason": why.get(key, "no expected energy from a baseline"),
                                     "n_reference_hours": 0}
            out.append(row | {"machine_name": machine.machine_name})
    return pd.DataFrame(out, columns=STATUS_COLUMNS)


@dataclass
class Detection:
    """What the anomalies step produces."""

    frame: pd.DataFrame  # hourly residuals, eligibility and sensors per machine and energy type
    events: dict[str, pd.DataFrame]  # per detector, and 'combined'
    incidents: pd.DataFrame  # combined events with wasted kWh and cost, current maintenance removed
    suppressed: pd.DataFrame  # combined events withheld because the machine is in maintenance now
    evaluation: pd.DataFrame  # event-level scores per window, detector and fault type (empty without truth)
    status: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STATUS_COLUMNS))  # per series

    def series(self, machine_id: str, energy_type: str, truth: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The hourly frame, incidents and injected faults (if any) of one machine and energy type."""
        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:
                return frame
            return frame[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)]

        return pick(self.frame), pick(self.incidents), pick(truth)

    def timelines(self, machines: pd.DataFrame, truth: pd.DataFrame, limit: int | None = None
                  ) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
        """(title, timezone, hourly frame, incidents, injected faults) of every machine × energy type in
        ``machines`` order that has an hourly frame (a series without a baseline has none), the first ``limit``
        (None: all): the arguments of :func:`enms.plots.anomaly_timeline`."""
        panels = []
        for machine, energy_type in ((m, e) for m in machines.itertuples() for e in m.energy_types):
            if len(panels) == limit:
                break
            panel = (f"{machine.machine_name} ({energy_type})", machine.timezone,
                     *self.series(machine.machine_id, energy_type, truth))
            if not panel[2].empty:
                panels.append(panel)
        return panels


def run(extract: Mapping[str, pd.DataFrame], quality: Mapping[str, pd.DataFrame],
        expected_hourly: pd.DataFrame, baseline_status: pd.DataFrame | None = None, *,
        scheduler: str = "", progress: Callable[[str], None] | None = None) -> Detection:
    """Run every detector on the plant, each series on its own (:func:`detect_by_series`, on the Dask cluster of
    ``scheduler`` when one is given; ``baseline_status``, the baselines step's ``status``, gives the reason of a
    series without expected energy). The reference (clean)
    window is the baseline year's eligible hours, up to each factory's local baseline boundary; the simulator's
    truth, when present, is read only by the evaluation."""
    frame = detection_frame(expected_hourly, extract["mode_hourly"], quality["normal_mask"],
                            extract["production_hourly"], extract["environment_hourly"], extract["machines"])
    window = extract["window"].iloc[0]
    baseline_ends = _baseline_ends(frame, window)
    reference = frame[frame["bucket"] < machine_bound(frame, baseline_ends)]
    events, rows = detect_by_series(frame, reference, scheduler=scheduler, progress=progress)
    status = series_status(rows, extract["machines"], baseline_status)
    kept, suppressed = suppress_current_maintenance(events["combined"], frame, extract["machine_status"])
    incidents = add_costs(kept, frame, extract["machines"], extract["factories"], extract["tariffs"],
                          extract["energy_sources"])
    flagged = data_quality_incidents(quality.get("unusable"))  # spikes, negative values: told, never silent
    if len(flagged):
        incidents = pd.concat([incidents, flagged], ignore_index=True) if len(incidents) else flagged
    truth = extract.get("fault_truth", pd.DataFrame())
    changes = _behaviour_changes(extract.get("drift_truth"))
    evaluation = (_evaluate(_before(frame, "bucket", changes), {k: _before(v, "start", changes) for k, v in
                                                                events.items()},
                            _before(truth, "start_time", changes), window, baseline_ends)
                  if not truth.empty else pd.DataFrame())
    return Detection(frame, events, incidents, suppressed, evaluation, status)


def _behaviour_changes(drift_truth: pd.DataFrame | None) -> dict[str, pd.Timestamp]:
    """machine_id → when its behaviour changed for good (the simulator's drift truth; none elsewhere)."""
    if drift_truth is None or drift_truth.empty:
        return {}
    return drift_truth.groupby(drift_truth["machine_id"].astype(str))["start_time"].min().to_dict()


def _before(rows: pd.DataFrame, column: str, changes: Mapping[str, pd.Timestamp]) -> pd.DataFrame:
    """The rows of machines before their permanent change of behaviour: after it, what deviates from the old
    baseline is the change itself (model monitoring reports it as drift), neither a fault nor a false alarm, so
    the evaluation scores a changed machine up to the change only."""
    if not changes or rows.empty:
        return rows
    cut = rows["machine_id"].astype(str).map(changes)
    return rows[cut.isna() | (rows[column] < cut)]


def _baseline_ends(frame: pd.DataFrame, window: pd.Series) -> dict[str, pd.Timestamp]:
    """machine_id → where its factory's baseline period ends (UTC): the local midnight in the machine's zone at
    or after the extract's ``baseline_end``, where the baselines step splits too."""
    zones = frame.drop_duplicates("machine_id").set_index("machine_id")["timezone"]
    return {machine: baseline_boundary(window, zone) for machine, zone in zones.items()}


def _evaluate(frame: pd.DataFrame, events: Mapping[str, pd.DataFrame], truth: pd.DataFrame, window: pd.Series,
              baseline_ends: Mapping[str, pd.Timestamp]) -> pd.DataFrame:
    """Event-level scores over the whole data and the reporting period (from each factory's baseline end);
    the old method (Isolation Forest, contamination 0.1) is fitted and scored on each window, as the EnMS did."""
    windows = {"whole": (window["start"], window["end"]), "reporting": (baseline_ends, window["end"])}
    lists = {}
    for name, (start, end) in windows.items():
        part = frame[(frame["bucket"] >= machine_bound(frame, start)) & (frame["bucket"] < end)]
        lists[name] = {**events, "old_isolation_forest": OldIsolationForest().detect(part)}
    truth = truth.assign(energy_type=canonical_energy_types(truth["energy_type"]))
    return evaluation_table(lists, truth, windows, frame)


def targets_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The issue's targets for the combined list, per window: value, goal, met, and by how much it misses."""
    rows = []
    for window, part in evaluation[evaluation["detector"] == "combined"].groupby("window", sort=False):
        scores = part.set_index("subset")
        checks = [("event recall, faults ≥ 10 % and ≥ 2 h", scores.loc["target", "recall"], ">=",
                   DETECTION_TARGETS["target_recall"]),
                  ("precision", scores.loc["all", "precision"], ">=", DETECTION_TARGETS["precision"]),
                  ("false alarms per machine-month", scores.loc["all", "false_alarms_per_machine_month"], "<=",
                   DETECTION_TARGETS["false_alarms_per_machine_month"])]
        for label, value, op, goal in checks:
            met = value >= goal if op == ">=" else value <= goal
            rows.append({"window": window, "target": f"{label} {op} {goal}", "value": value, "met": met,
                         "missed_by": 0.0 if met else abs(value - goal)})
    return pd.DataFrame(rows)
