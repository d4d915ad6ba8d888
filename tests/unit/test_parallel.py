"""run_each keeps the calls' order on every back end; throughput says how fast and where."""

from __future__ import annotations

import math

from enms.parallel import run_each, throughput


def test_run_each_returns_the_results_in_the_order_of_the_calls_in_process_and_over_processes():
    calls = [(x, 2) for x in (9, 1, 4, 16)]
    assert run_each(math.pow, calls) == [81.0, 1.0, 16.0, 256.0]
    assert run_each(math.pow, calls, n_jobs=2) == [81.0, 1.0, 16.0, 256.0]


def test_progress_is_told_after_each_tenth_of_the_calls():
    told: list[str] = []
    run_each(abs, [(-x,) for x in range(25)], progress=told.append)
    assert [line.split(",")[0] for line in told] == ["3/25 series", "6/25 series", "9/25 series", "12/25 series",
                                                    "15/25 series", "18/25 series", "21/25 series", "24/25 series",
                                                    "25/25 series"]


def test_throughput_gives_the_count_the_seconds_the_rate_and_where():
    assert throughput(10, 4.0, n_jobs=2) == "10 series in 4.0 s (2.50 series/s) on 2 local processes"
    assert throughput(3, 0.0) == "3 series in 0.0 s (–) on this process"
    assert throughput(8, 2.0, scheduler="tcp://10.0.0.5:8786").endswith("on the Dask cluster at tcp://10.0.0.5:8786")
