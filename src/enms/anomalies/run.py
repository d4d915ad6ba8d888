"""The anomalies step for a whole plant: detectors fitted on the baseline year, applied to all data, merged
into incidents with cost, filtered by the current machine status, and (where the warehouse holds the
simulator's truth) evaluated at the event level against it and against the EnMS's old method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from enms.anomalies.cost import add_costs
from enms.anomalies.detectors import Detector, OldIsolationForest, ResidualScaler, default_detectors
from enms.anomalies.evaluation import evaluation_table
from enms.anomalies.events import combine_events, suppress_current_maintenance
from enms.anomalies.frame import detection_frame, machine_bound
from enms.localtime import baseline_boundary
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


@dataclass
class Detection:
    """What the anomalies step produces."""

    frame: pd.DataFrame  # hourly residuals, eligibility and sensors per machine and energy type
    events: dict[str, pd.DataFrame]  # per detector, and 'combined'
    incidents: pd.DataFrame  # combined events with wasted kWh and cost, current maintenance removed
    suppressed: pd.DataFrame  # combined events withheld because the machine is in maintenance now
    evaluation: pd.DataFrame  # event-level scores per window, detector and fault type (empty without truth)

    def series(self, machine_id: str, energy_type: str, truth: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The hourly frame, incidents and injected faults (if any) of one machine and energy type."""
        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:
                return frame
            return frame[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)]

        return pick(self.frame), pick(self.incidents), pick(truth)

    def timelines(self, machines: pd.DataFrame, truth: pd.DataFrame
                  ) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
        """(title, timezone, hourly frame, incidents, injected faults) of every machine × energy type in
        ``machines`` order: the arguments of :func:`enms.plots.anomaly_timeline`."""
        return [(f"{machine.machine_name} ({energy_type})", machine.timezone,
                 *self.series(machine.machine_id, energy_type, truth))
                for machine in machines.itertuples() for energy_type in machine.energy_types]


def run(extract: Mapping[str, pd.DataFrame], quality: Mapping[str, pd.DataFrame],
        expected_hourly: pd.DataFrame) -> Detection:
    """Run every detector on the plant. The reference (clean) window is the baseline year's eligible hours, up
    to each factory's local baseline boundary; the simulator's truth, when present, is read only by the
    evaluation."""
    frame = detection_frame(expected_hourly, extract["mode_hourly"], quality["normal_mask"],
                            extract["production_hourly"], extract["environment_hourly"], extract["machines"])
    window = extract["window"].iloc[0]
    baseline_ends = _baseline_ends(frame, window)
    reference = frame[frame["bucket"] < machine_bound(frame, baseline_ends)]
    events = run_detectors(frame, reference)
    kept, suppressed = suppress_current_maintenance(events["combined"], frame, extract["machine_status"])
    incidents = add_costs(kept, frame, extract["machines"], extract["factories"], extract["tariffs"],
                          extract["energy_sources"])
    truth = extract.get("fault_truth", pd.DataFrame())
    evaluation = _evaluate(frame, events, truth, window, baseline_ends) if not truth.empty else pd.DataFrame()
    return Detection(frame, events, incidents, suppressed, evaluation)


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
