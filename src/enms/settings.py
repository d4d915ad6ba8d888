"""Defaults and targets, once. The env files override the run-time ones (see env.yaml); the rest are the
method's fixed choices, named here so that no module repeats a number."""

from __future__ import annotations

N_JOBS = 2
"""Worker processes for per-series work (baselines, forecasts)."""

# Quality
SPIKE_FACTOR = 2.0
"""An hour above this multiple of the machine's 99.5th-percentile hourly energy is a spike (a data error)."""

ENERGY_POWER_TOLERANCE = 0.25
"""An hour whose energy falls short of its average power × the time its readings cover by more than this fraction
is untrusted ('energy below power'): readings stored without energy get the schema's default 0 kWh
(``energy_kwh NOT NULL DEFAULT 0``), so a half-empty hour would otherwise look complete."""

# Baselines
HOLDOUT_WEEKS = 8
"""Final weeks of the baseline period held out as a time block (reported; selection uses blocked CV)."""
CV_BY = "month"
"""Blocks of the leave-one-block-out cross-validation: ``month`` or ``week``."""

MIN_BASELINE_DAYS = 90
"""Local days with at least one usable (normal-operation) hour a machine's baseline period needs before a fit is
tried: the final ``HOLDOUT_WEEKS`` (8 weeks, 56 days) are held out as a time block, and the monthly blocked
cross-validation needs at least one more month of training days before it (56 + 30 ≈ 90)."""

# Anomalies
INCIDENT_GAP_HOURS = 2
"""Unflagged hours allowed inside one event, and between the events one incident merges (also what the
write-back treats as the same incident)."""

# Intervals
CONFIDENCE = 0.90
"""Confidence of savings intervals (ASHRAE 14 / IPMVP reporting) and of the forecast intervals."""

# Anomaly detection targets on the demo plant's injected faults (event level)
DETECTION_TARGETS = {"target_recall": 0.9, "precision": 0.8, "false_alarms_per_machine_month": 1.0}

# Reading interval
INTERVAL_TOLERANCE = 0.05
"""Relative difference above which the reading interval measured from the data (quality step) replaces the
machine's declared ``data_interval_seconds`` for completeness (declared 10 s, data every 60 s: 60 s is used)."""

# Model monitoring
TRAINING_TRIGGERS = ("scheduled", "manual")
"""What may start a pipeline run, recorded with every model it trains (model_training_history.trigger_type; a
retraining after drift is 'drift_detected')."""
