"""The edge to the EnMS database and between steps: the warehouse (every SQL statement), the extract step's
reads, and the parquet products that carry frames from one step to the next."""

from enms.io.extract import extract
from enms.io.products import load_frames, save_frames
from enms.io.warehouse import Warehouse, connect
from enms.io.warehouse.connection import DATABASE_URL_VARIABLE, UnknownNameError, WarehouseError

__all__ = [
    "DATABASE_URL_VARIABLE",
    "UnknownNameError",
    "Warehouse",
    "WarehouseError",
    "connect",
    "extract",
    "load_frames",
    "save_frames",
]
