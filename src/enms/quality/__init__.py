"""Data quality of the extracted hourly products.

Coverage, gaps, duplicates, outlier screening, CalTRACK data sufficiency (and whether a baseline can be fitted),
the mask of usable hours (normal operation with trusted energy: the one notion every later step obeys) and the
hours whose energy value is not trusted (``unusable``), per machine and energy type; `run` does all of it for the
quality step.

Pure core: pandas frames in, pandas frames out. Nothing here reads the warehouse, a notebook or Ploomber.

Conventions (every public function):

* ``bucket`` is the start of an hourly bucket, tz-aware (UTC in the extract products); intervals are
  half-open ``[start, end)``. ``start`` / ``end`` are tz-aware timestamps on whole UTC hours. Returned
  bucket-like columns are ``datetime64[us, UTC]``.
* "Local" means the wall clock of the machine's factory (the IANA ``timezone`` of ``machines``); local days
  have their real length (23, 24 or 25 hours with DST).
* A machine/energy-type hour is *present* when its row exists with ``total_readings > 0`` and a non-null
  ``total_energy_kwh``; it is *complete* when, in addition, its readings equal the number the machine's
  ``data_interval_seconds`` allows in an hour (3600 / interval); :func:`run` uses the interval measured from
  the data instead where the two disagree (``intervals``). Rows sharing ``(machine_id, energy_type,
  bucket)`` are duplicates: each such bucket is reported, and counts once (with its largest reading count).
* Energy types are taken as spelled (the extract step reads ``'energy'`` and ``'electrical'`` as electricity,
  :func:`enms.units.canonical_energy_types`); rows of energy types a machine does not declare, or of machines
  absent from ``machines``, are ignored.
* A missing input column raises ``ValueError`` naming it.

Modules: ``hours`` (the hourly grid and the present/complete hours), ``intervals`` (declared and measured
reading intervals), ``coverage``, ``outliers``, ``sufficiency`` (daily presence, CalTRACK), ``operation``
(normal-operation mask, temperature), ``unusable`` (untrusted energy values and what is used instead),
``summary``, ``run``.
"""

from enms.quality.coverage import find_gaps, hourly_coverage
from enms.quality.hours import ENERGY_COLUMNS, MODE_COLUMNS, TEMPERATURE_COLUMNS
from enms.quality.intervals import INTERVAL_COLUMNS, reading_intervals, with_intervals
from enms.quality.operation import ABNORMAL_MODES, UNTRUSTED_VALUES, interpolate_temperature, normal_operation_mask
from enms.quality.outliers import find_outliers
from enms.quality.run import QualityResult, baseline_periods, run
from enms.quality.sufficiency import FIT_COLUMNS, caltrack_sufficiency, daily_presence, fit_readiness
from enms.quality.summary import SUMMARY_COVERAGE_COLUMNS, quality_summary
from enms.quality.unusable import ACTIONS, EXCLUDED, PARTIAL, REPLACED, SCALED, UNUSABLE_COLUMNS, unusable_hours

__all__ = [
    "ABNORMAL_MODES",
    "ACTIONS",
    "ENERGY_COLUMNS",
    "EXCLUDED",
    "FIT_COLUMNS",
    "INTERVAL_COLUMNS",
    "MODE_COLUMNS",
    "PARTIAL",
    "REPLACED",
    "SCALED",
    "SUMMARY_COVERAGE_COLUMNS",
    "TEMPERATURE_COLUMNS",
    "UNTRUSTED_VALUES",
    "UNUSABLE_COLUMNS",
    "QualityResult",
    "baseline_periods",
    "caltrack_sufficiency",
    "daily_presence",
    "find_gaps",
    "find_outliers",
    "fit_readiness",
    "hourly_coverage",
    "interpolate_temperature",
    "normal_operation_mask",
    "quality_summary",
    "reading_intervals",
    "run",
    "unusable_hours",
    "with_intervals",
]
