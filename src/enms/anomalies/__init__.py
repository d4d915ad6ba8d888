"""Anomaly detection that knows the machine's state, measured against injected truth at the event level.

Pure core: frames in, frames (or fitted detectors) out. Nothing here reads or writes the warehouse, imports a
notebook or Ploomber; the rows for the EnMS ``anomalies`` table are built by :mod:`enms.rows`.

* ``bucket`` is the start of a UTC hour (tz-aware); every interval is half-open ``[start, end)`` in UTC.
* A *series* is one machine × energy type (``electricity``, ``natural_gas``, ``steam``); energy types are never
  mixed. Residual = actual − expected (kWh) from the baselines step (``expected_hourly``).
* **State**: only *eligible* hours (normal per baseline, quality mask and mode history) are flagged or counted
  (:mod:`~enms.anomalies.frame`). Hours in maintenance, fault or offline are never flagged as consumption
  anomalies. The *current* ``machine_status`` is used for one thing only: a machine whose ``current_mode`` is
  maintenance gets no new alert (:func:`suppress_current_maintenance`).
* **Reference window**: detectors are fitted on the eligible hours of a clean reference window (the baseline
  year) and applied to any frame (:mod:`~enms.anomalies.detectors`).
* **Events**: flagged hours → events with severity, confidence and wasted kWh (:mod:`~enms.anomalies.events`),
  costed at the factory's local tariff (:mod:`~enms.anomalies.cost`); :func:`combine_events` merges the
  detectors' events into incidents for the plant manager; :func:`evaluate` scores event lists against the
  simulator's truth (:mod:`~enms.anomalies.evaluation`). Steam raises no alert (the boiler's output).
* :func:`run` is the step (what the notebook calls), returning a :class:`Detection`.

Modules: ``frame`` (the hourly detection frame), ``detectors``, ``events``, ``cost``, ``evaluation``, ``run``.
"""

from enms.anomalies.cost import add_costs
from enms.anomalies.detectors import (
    BaseLoadCreep,
    Detector,
    IsolationForestDetector,
    LeftRunningRule,
    OldIsolationForest,
    ResidualCusum,
    ResidualScaler,
    ResidualZScore,
    default_detectors,
)
from enms.anomalies.evaluation import Scores, evaluate, evaluation_table, machine_months, match_events
from enms.anomalies.events import (
    ANOMALY_TYPES,
    EVENT_COLUMNS,
    SEVERITIES,
    build_events,
    combine_events,
    confidence_score,
    severity_from_z,
    suppress_current_maintenance,
)
from enms.anomalies.frame import detection_frame
from enms.anomalies.run import (
    ALERT_EXCLUDED_ENERGY_TYPES,
    COMBINED,
    LOOKBACK,
    STATUS_COLUMNS,
    Detection,
    detect_by_series,
    run,
    run_detectors,
    series_status,
    targets_table,
)

__all__ = [
    "ALERT_EXCLUDED_ENERGY_TYPES",
    "ANOMALY_TYPES",
    "COMBINED",
    "EVENT_COLUMNS",
    "LOOKBACK",
    "SEVERITIES",
    "STATUS_COLUMNS",
    "BaseLoadCreep",
    "Detection",
    "Detector",
    "IsolationForestDetector",
    "LeftRunningRule",
    "OldIsolationForest",
    "ResidualCusum",
    "ResidualScaler",
    "ResidualZScore",
    "Scores",
    "add_costs",
    "build_events",
    "combine_events",
    "confidence_score",
    "default_detectors",
    "detect_by_series",
    "detection_frame",
    "evaluate",
    "evaluation_table",
    "machine_months",
    "match_events",
    "run",
    "run_detectors",
    "series_status",
    "severity_from_z",
    "suppress_current_maintenance",
    "targets_table",
]
