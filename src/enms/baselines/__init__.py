"""Energy baselines (ISO 50006 / IPMVP / ASHRAE Guideline 14 / CalTRACK): the estimators, their validation
and gates, M&V savings, artefacts, and the step that fits every machine and energy source (:func:`run`).

Modules: ``base`` (the public :class:`Baseline`), ``ols`` (least squares and outlier screening of the linear
models), one module per model family (``regression``, ``changepoint``, ``towt``, ``gbm``, ``naive``),
``features`` (driver frames and the leak guard), ``validation``, ``savings``, ``persistence`` and ``run``.
"""

from enms.baselines.base import Baseline
from enms.baselines.changepoint import ChangePointBaseline
from enms.baselines.features import (
    DEFAULT_BASE_C,
    TARGET_DERIVED_COLUMNS,
    TARGET_PATTERNS,
    check_drivers,
    cooling_degrees,
    daily_drivers,
    degree_days,
    heating_degrees,
    hourly_drivers,
)
from enms.baselines.gbm import GradientBoostingBaseline
from enms.baselines.naive import HourOfWeekMeanBaseline
from enms.baselines.ols import BALANCE_POINT_GRID
from enms.baselines.persistence import load_model, model_card, save_model, save_models
from enms.baselines.regression import RegressionBaseline
from enms.baselines.run import (
    STATUS_COLUMNS,
    BaselinesResult,
    FleetResult,
    Series,
    candidates_for,
    fit_fleet,
    fit_isolated,
    fit_series,
    naive_comparison,
    prepare_series,
    run,
    truth_check,
)
from enms.baselines.savings import SavingsResult, savings
from enms.baselines.towt import TOWT_KNOTS_C, TOWTBaseline
from enms.baselines.validation import BlockedCV, blocked_cv, check_gates, evaluate, holdout_split, nmec_fsu

__all__ = [
    "BALANCE_POINT_GRID",
    "DEFAULT_BASE_C",
    "STATUS_COLUMNS",
    "TARGET_DERIVED_COLUMNS",
    "TARGET_PATTERNS",
    "TOWT_KNOTS_C",
    "Baseline",
    "BaselinesResult",
    "BlockedCV",
    "ChangePointBaseline",
    "FleetResult",
    "GradientBoostingBaseline",
    "HourOfWeekMeanBaseline",
    "RegressionBaseline",
    "SavingsResult",
    "Series",
    "TOWTBaseline",
    "blocked_cv",
    "candidates_for",
    "check_drivers",
    "check_gates",
    "cooling_degrees",
    "daily_drivers",
    "degree_days",
    "evaluate",
    "fit_fleet",
    "fit_isolated",
    "fit_series",
    "heating_degrees",
    "holdout_split",
    "hourly_drivers",
    "load_model",
    "model_card",
    "naive_comparison",
    "nmec_fsu",
    "prepare_series",
    "run",
    "savings",
    "save_model",
    "save_models",
    "truth_check",
]
