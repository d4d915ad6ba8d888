"""The Ploomber pipeline on the small test plant (data/enms-test.duckdb, built by `make test-data`).

`make test` builds the pipeline with env.test.yaml before pytest runs (nbval then checks the executed
notebooks); these tests assert on those products, and on incremental builds in a scratch products folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ploomber.constants import TaskStatus
from ploomber.executors import Serial
from ploomber.spec import DAGSpec

from enms.products import load_frames

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = ROOT / "data" / "enms-test.duckdb"
PRODUCTS = ROOT / "products" / "test"

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(not TEST_DB.exists(), reason=f"{TEST_DB} absent: run `make test-data` (make test does)"),
]


def build_dag(products: Path, **overrides):
    env = {"warehouse": f"duckdb:{TEST_DB}", "products": str(products), "start": "", "end": "",
           "machines": "", "factories": "", "code_version": "", "quality": {"spike_factor": 2}, **overrides}
    dag = DAGSpec(str(ROOT / "pipeline.yaml"), env=env).to_dag()
    dag.executor = Serial(build_in_subprocess=False)
    return dag


def outdated(dag) -> set[str]:
    """Tasks a build would run (rendering marks up-to-date ones Skipped)."""
    dag.render()
    return {name for name in dag if dag[name].exec_status != TaskStatus.Skipped}


@pytest.fixture(scope="module")
def extracted() -> dict[str, pd.DataFrame]:
    return load_frames(PRODUCTS / "extract")


def test_extract_holds_every_machine_and_energy_type(extracted):
    machines = extracted["machines"]
    assert len(machines) == 8 and machines["factory_name"].nunique() == 2
    hourly = extracted["energy_hourly"]
    types = hourly.groupby("machine_id")["energy_type"].nunique()
    boiler = machines.loc[machines["machine_name"] == "Boiler-1", "machine_id"].item()
    assert types[boiler] == 3 and (types.drop(boiler) == 1).all()
    assert hourly["total_energy_kwh"].notna().all() and (hourly["total_energy_kwh"] >= 0).all()
    assert str(hourly["bucket"].dtype) == "datetime64[us, UTC]"
    # 15-minute energy sums to the hourly energy (same readings, finer buckets).
    fifteen = extracted["energy_15min"]["total_energy_kwh"].sum()
    assert fifteen == pytest.approx(hourly["total_energy_kwh"].sum(), rel=1e-9)
    window = extracted["window"].iloc[0]
    assert (window["end"] - window["start"]) >= pd.Timedelta(days=395)
    assert len(extracted["fault_truth"]) >= 20 and len(extracted["efficiency_measures"]) >= 1


def test_quality_products(extracted):
    quality = load_frames(PRODUCTS / "quality")
    summary = quality["summary"]
    assert len(summary) == 10  # 7 machines with one energy type + the boiler's three
    assert summary["coverage_pct"].between(90, 100).all()
    assert (summary["gap_count"] > 0).all(), "the simulator's outages must show up as gaps"
    mask = quality["normal_mask"]
    hours = (extracted["window"].iloc[0]["end"] - extracted["window"].iloc[0]["start"]) / pd.Timedelta(hours=1)
    assert len(mask) == 8 * hours
    assert 0.5 < mask["is_normal"].mean() < 0.99
    reasons = set(mask.loc[~mask["is_normal"], "reason"].str.split("; ").explode())
    assert {"maintenance", "fault", "offline", "incomplete energy"} <= reasons
    html = (PRODUCTS / "quality.html").read_text()
    assert "CalTRACK" in html and "image/png" in html
    assert "load_frames(" not in html, "code cells must be hidden in the HTML"


def test_second_build_rebuilds_nothing_and_a_parameter_rebuilds_only_its_task(tmp_path):
    dag = build_dag(tmp_path)
    dag.build()
    assert outdated(build_dag(tmp_path)) == set()
    changed = build_dag(tmp_path, quality={"spike_factor": 3})
    assert outdated(changed) == {"quality"}
