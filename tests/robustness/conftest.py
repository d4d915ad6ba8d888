"""The bad-input corpus run (tests/corpus.py plants the defects), built once per session and shared by its tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus import DEFECTS, REPORT_MONTH, SOURCE, plant_defects


@pytest.fixture(scope="session")
def bad_products(tmp_path_factory) -> Path:
    """The products folder of a whole pipeline run (extract through publish) over the test plant with every
    defect of :data:`DEFECTS` planted; Compressor-1 runs beside them as the clean reference."""
    from enms.cli import main
    from enms.environments import settings
    from enms.pipeline import dag_from_settings

    assert main(["demo", "--env", "test"]) == 0
    values = settings("test")
    folder = tmp_path_factory.mktemp("robustness")
    warehouse = folder / "bad.duckdb"
    shutil.copyfile(values["warehouse"].removeprefix("duckdb:"), warehouse)
    plant_defects(warehouse)
    products = folder / "products"
    values |= {"warehouse": f"duckdb:{warehouse}", "products": str(products), "reports": str(products / "reports"),
               "machines": ",".join([SOURCE, *(d.machine for d in DEFECTS)]),
               "report": {**values["report"], "period": REPORT_MONTH}}
    dag_from_settings(values, ["Demo Manufacturing Plant"]).build()
    return products
