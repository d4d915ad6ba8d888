"""The `enms` command: demo plant, database set-up and copy, extract, one report.

    enms demo --days 400 --seed 7 --resolution 1min --out data/enms.duckdb
    enms db init --url env
    enms db copy --source data/enms.duckdb --target env
    enms extract --warehouse duckdb:data/enms.duckdb --out products/extract
    enms report --factory demo-manufacturing-plant --period 2025-10 [--period-end …] [--env pg]
    enms info --warehouse duckdb:data/enms.duckdb
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from enms.io import UnknownNameError, WarehouseError, connect


def _demo_target(args: argparse.Namespace) -> tuple[Path | None, dict[str, object]]:
    """Where the plant goes and how it is simulated: the environment's DuckDB warehouse and ``demo`` settings,
    each overridden by the option given; no path where the environment's warehouse is not a DuckDB file
    (PostgreSQL holds the EnMS's own data)."""
    from enms.environments import settings

    values = settings(args.env)
    spec = {key: value if getattr(args, key) is None else getattr(args, key) for key, value in values["demo"].items()}
    if args.out:
        return Path(args.out), spec
    warehouse = values["warehouse"]
    return (Path(warehouse.removeprefix("duckdb:")) if warehouse.startswith("duckdb:") else None), spec


def _demo(args: argparse.Namespace) -> None:
    out, spec = _demo_target(args)
    if out is None:
        print(f"the {args.env} environment reads an existing warehouse: no demo plant to build")
        return
    if out.exists() and not args.force:
        print(f"{out} exists; pass --force to rebuild it")
        return
    from enms.demo import DemoConfig, simulate  # the simulator loads only when a plant is built

    config = DemoConfig(days=spec["days"], seed=spec["seed"], resolution=spec["resolution"],
                        machines=tuple(args.machines) if args.machines else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename at the end: a crash never leaves a half-written warehouse.
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    started = time.perf_counter()
    print(f"building the demo plant ({config.days} days at {config.resolution}, seed {config.seed}) into {out}")
    try:
        with connect(f"duckdb:{partial}", create=True) as warehouse:
            warehouse.load(simulate(config), one_transaction=False)
            warehouse.execute("CHECKPOINT")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    print(f"demo plant written to {out} in {time.perf_counter() - started:.1f} s")


def _db_init(args: argparse.Namespace) -> None:
    with connect(args.url, create=True) as warehouse:
        created = warehouse.init_schema()
    print(f"schema ready ({len(created)} objects created: {', '.join(created) or 'none'})")


def _db_copy(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with connect(args.source, read_only=True) as source, connect(args.target) as target:
        source.require_schema()
        print(f"copying {source.url} into PostgreSQL with COPY, in one transaction")
        counts = source.copy_to(target, replace=args.replace)
    print(f"copied {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s")


def _extract(args: argparse.Namespace) -> None:
    from enms.io.extract import run

    frames = run(args.warehouse, args.out, args.start, args.end, args.machines, args.factories)
    print(f"extracted {len(frames)} tables into {args.out}")


def _report(args: argparse.Namespace) -> None:
    from enms.pipeline import render_report  # papermill and nbconvert load only for a report

    started = time.perf_counter()
    path = render_report(args.factory, args.period, args.period_end, env=args.env)
    print(f"== {path} in {time.perf_counter() - started:.0f} s")


def _info(args: argparse.Namespace) -> None:
    with connect(args.warehouse, read_only=True) as warehouse:
        warehouse.require_schema()
        first, end = warehouse.data_range()
        print(f"{warehouse.url}: readings [{first}, {end}) = {(end - first) / pd.Timedelta(days=1):.1f} days")
        print(warehouse.summary().to_string(index=False))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="enms", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="simulate the demo plant into a DuckDB warehouse")
    demo.add_argument("--env", default="demo", help="the environment whose warehouse and `demo` settings to use")
    demo.add_argument("--days", type=int, help="days of readings (default: the environment's)")
    demo.add_argument("--seed", type=int, help="random seed (default: the environment's)")
    demo.add_argument("--resolution", help="reading interval: 1min, 5min or 15min (default: the environment's)")
    demo.add_argument("--machines", nargs="*", help="machine names (default: all 8)")
    demo.add_argument("--out", help="DuckDB file (default: the environment's warehouse)")
    demo.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    demo.set_defaults(run=_demo)

    db = commands.add_parser("db", help="database set-up").add_subparsers(dest="db_command", required=True)
    init = db.add_parser("init", help="create the EnMS tables, our schema and the aggregate views")
    init.add_argument("--url", default="env", help="warehouse URL; 'env' reads ENMS_DATABASE_URL")
    init.set_defaults(run=_db_init)
    copy = db.add_parser("copy", help="copy a DuckDB warehouse (the demo plant) into PostgreSQL")
    copy.add_argument("--source", default="duckdb:data/enms.duckdb")
    copy.add_argument("--target", default="env", help="PostgreSQL URL; 'env' reads ENMS_DATABASE_URL")
    copy.add_argument("--replace", action="store_true", help="empty the copied tables first")
    copy.set_defaults(run=_db_copy)

    ex = commands.add_parser("extract", help="write the extract step's frames as parquet")
    ex.add_argument("--warehouse", default="duckdb:data/enms.duckdb")
    ex.add_argument("--out", required=True)
    ex.add_argument("--start", help="UTC date or time (default: first reading)")
    ex.add_argument("--end", help="UTC date or time, exclusive (default: after the last reading)")
    ex.add_argument("--machines", nargs="*")
    ex.add_argument("--factories", nargs="*")
    ex.set_defaults(run=_extract)

    report = commands.add_parser("report", help="one factory's report for a local period, from a run's products")
    report.add_argument("--factory", required=True, help="factory slug, name or id")
    report.add_argument("--period", required=True, help="YYYY-MM (a local month) or YYYY-MM-DD (first local day)")
    report.add_argument("--period-end", default="", help="YYYY-MM-DD, exclusive, with a first day as --period")
    report.add_argument("--env", default="demo", help="whose products: demo, pg or test (see env.yaml)")
    report.set_defaults(run=_report)

    info = commands.add_parser("info", help="what a warehouse holds")
    info.add_argument("--warehouse", default="duckdb:data/enms.duckdb")
    info.set_defaults(run=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (WarehouseError, UnknownNameError, ValueError, FileNotFoundError) as error:
        print(f"enms {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
