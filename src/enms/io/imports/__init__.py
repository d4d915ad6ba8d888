"""`enms import`: a user's own meter, weather, production and mode files into the warehouse (EnMS schema).

``files`` reads CSV or Parquet (long or wide) into one row per reading; ``validate`` checks timestamps (local
time and DST), values, duplicates and intervals row by row; ``check`` applies them to one file before the
warehouse is opened; ``build`` derives the factory, machines and rows the EnMS requires; ``run`` writes them in
one transaction (the statements are in :mod:`enms.io.warehouse.imports`).
"""

from enms.io.imports.check import KINDS, Request, check
from enms.io.imports.files import FileLayoutError, Layout
from enms.io.imports.run import Outcome, open_target, run
from enms.io.imports.validate import ImportProblems

__all__ = ["KINDS", "FileLayoutError", "ImportProblems", "Layout", "Outcome", "Request", "check", "open_target",
           "run"]
