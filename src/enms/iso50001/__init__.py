"""ISO 50001 write-back: SEU models (ISO 50006 daily regression), EnPI baselines and monthly performance with
an ``iso_status``, non-routine baseline adjustments and energy targets.

Pure core: frames in, frames out (:func:`run` is the step); the warehouse writes the frames.
Modules: ``keys`` (deterministic row ids), ``seus`` (matching, missing SEUs, the SEU model), ``enpi``
(baseline year and monthly performance, the status rule), ``adjustments``, ``targets``, ``run``.
"""

from enms.iso50001.enpi import CRITICAL_DEVIATION_PCT, iso_status
from enms.iso50001.keys import row_id
from enms.iso50001.run import run
from enms.iso50001.seus import missing_seus

__all__ = ["CRITICAL_DEVIATION_PCT", "iso_status", "missing_seus", "row_id", "run"]
