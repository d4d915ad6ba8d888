"""Model monitoring: every active model's metrics, the baselines' drift verdict, the training history with its
triggers, the retraining of a drifting baseline, model alerts, and the data-quality log, shaped like the EnMS's
``model_performance_metrics``, ``model_training_history``, ``model_alerts`` and ``data_quality_log`` tables.

Pure core: the products of the earlier steps in, frames out (:func:`run`); the publish step writes them.
"""

from enms.monitoring.data_quality import LOG_COLUMNS, data_quality_log
from enms.monitoring.drift import CRITICAL_MARGIN, DRIFT_COLUMNS, DRIFT_MARGIN, DriftVerdict, drift_verdict, robust_cv
from enms.monitoring.run import run

__all__ = ["CRITICAL_MARGIN", "DRIFT_COLUMNS", "DRIFT_MARGIN", "LOG_COLUMNS", "DriftVerdict", "data_quality_log",
           "drift_verdict", "robust_cv", "run"]
