"""The `enms` command: demo plant, database set-up and copy, extract, one report.

    enms demo --days 400 --seed 7 --resolution 1min --out data/enms.duckdb
    enms demo --fleet 1000 --out data/fleet.duckdb                 (1,000 simulated machines, 13 months)
    enms db init --url env
    enms db copy --source data/enms.duckdb --target env            (into an empty database)
    enms db copy --source data/enms.duckdb --target env --attach   (time series into an EnMS's machines)
    enms extract --warehouse duckdb:data/enms.duckdb --out products/extract
    enms report --factory demo-manufacturing-plant --period 2025-10 [--period-end …] [--env pg]
    enms info --warehouse duckdb:data/enms.duckdb
    enms seus --warehouse env [--create]     (significant energy uses: the active baselines no SEU covers)
    enms import meters site.csv --factory "My Plant" --tz Europe/Berlin --unit kWh   (weather, production, modes)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import psycopg
from psycopg import errors

from enms.io import DATABASE_URL_VARIABLE, UnknownNameError, Warehouse, WarehouseError, connect


def _demo_target(args: argparse.Namespace) -> tuple[Path | None, dict[str, object]]:
    """Where the plant goes and how it is simulated: the environment's DuckDB warehouse and ``demo`` settings,
    each overridden by the option given; no path where the environment's warehouse is not a DuckDB file
    (PostgreSQL holds the EnMS's own data)."""
    from enms.environments import settings

    values = settings(args.env, warehouse="")  # the environment's own plant, never ENMS_WAREHOUSE's
    spec = {key: value if getattr(args, key) is None else getattr(args, key) for key, value in values["demo"].items()}
    if args.out:
        return Path(args.out), spec
    warehouse = values["warehouse"]
    return (Path(warehouse.removeprefix("duckdb:")) if warehouse.startswith("duckdb:") else None), spec


def _demo(args: argparse.Namespace) -> None:
    if args.fleet is not None:
        _demo_fleet(args)
        return
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
    started = time.perf_counter()
    print(f"building the demo plant ({config.days} days at {config.resolution}, seed {config.seed}) into {out}")
    _build_warehouse(out, simulate(config))
    print(f"demo plant written to {out} in {time.perf_counter() - started:.1f} s")


def _demo_fleet(args: argparse.Namespace) -> None:
    """`enms demo --fleet N --out PATH`: N simulated machines (enms.demo.fleet) into a new DuckDB file; never the
    environment's warehouse."""
    if not args.out:
        raise ValueError("--fleet needs --out: the fleet never replaces the environment's demo plant")
    if args.resolution or args.machines:
        raise ValueError("--resolution and --machines do not apply to --fleet (hourly and 15-minute machines)")
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} exists; pass --force to rebuild it")
        return
    from enms.demo.fleet import TIME_SERIES, FleetConfig, batched, prefetched, simulate_fleet  # only for a fleet

    config = FleetConfig(args.fleet, **{k: getattr(args, k) for k in ("seed", "days") if getattr(args, k) is not None})
    started = time.perf_counter()
    print(f"building a fleet of {config.n_machines:,} machines ({config.days} days, seed {config.seed}) into {out}")
    _build_warehouse(out, prefetched(batched(simulate_fleet(config))), quiet=TIME_SERIES)
    print(f"fleet written to {out} in {time.perf_counter() - started:.1f} s")


def _build_warehouse(out: Path, chunks: Iterable[tuple[str, pd.DataFrame]], quiet: tuple[str, ...] = ()) -> None:
    """Load ``chunks`` into a new DuckDB file at ``out``, built beside it and renamed at the end (a crash never
    leaves a half-written warehouse); the load's line per chunk is left out for the ``quiet`` tables."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")

    def progress(line: str) -> None:
        if line.split()[2] not in quiet:  # "<seconds> s <table> +<rows> rows"
            print(line)

    try:
        with connect(f"duckdb:{partial}", create=True) as warehouse:
            warehouse.load(chunks, progress=progress, one_transaction=False)
            warehouse.checkpoint()
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)


def _db_init(args: argparse.Namespace) -> None:
    with connect(args.url, create=True) as warehouse:
        created = warehouse.init_schema()
    print(f"schema ready ({len(created)} objects created: {', '.join(created) or 'none'})")


def _db_copy(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with connect(args.source, read_only=True) as source, connect(args.target) as target:
        source.require_schema()
        if args.attach:
            _attach(source, target, started)
            return
        print(f"copying {source.url} into PostgreSQL with COPY, in one transaction")
        counts = source.copy_to(target, replace=args.replace)
    print(f"copied {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s")


def _attach(source: Warehouse, target: Warehouse, started: float) -> None:
    """`db copy --attach`: the demo's time series into the EnMS's machines of the same names, and what was
    skipped."""
    from enms.io.warehouse.copy import names_of

    print(f"attaching the time series of {source.url} to the EnMS's machines by factory and machine name "
          "(COPY, one transaction)")
    done = source.attach_to(target)
    rows = {key: sum(r[key] for r in done.rows.values()) for key in ("added", "present", "skipped")}
    print(f"matched {len(done.matched)} machines: {names_of(done.matched)}")
    print(f"not in the EnMS, not copied: {names_of(done.unmatched)}")
    print(f"the EnMS's machines the demo lacks (no rows added): {names_of(done.without_data)}")
    print(f"attached {rows['added']:,} rows ({rows['present']:,} already there, {rows['skipped']:,} of unmatched "
          f"machines skipped) in {time.perf_counter() - started:.1f} s; the EnMS's factories, machines, "
          "energy sources, tariffs and carbon factors are untouched")


def _extract(args: argparse.Namespace) -> None:
    from enms.io.extract import run

    frames = run(args.warehouse, args.out, args.start, args.end, args.machines, args.factories)
    print(f"extracted {len(frames)} tables into {args.out}")


_MONTH = re.compile(r"\d{4}-\d{2}")
_PERIOD_HELP = "PERIOD=YYYY-MM (a local month, e.g. 2025-10) or PERIOD=YYYY-MM-DD PERIOD_END=YYYY-MM-DD (end exclusive)"


def check_period(period: str, period_end: str = "") -> None:
    """Fail, naming the setting, unless the report period is a local month or two local dates (end exclusive and
    after the start): before the report notebook starts, so a typo costs no kernel and prints no traceback."""
    start, end = period.strip(), period_end.strip()

    def day(text: str, name: str, given: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name} {given!r} is not a local month or date: give {_PERIOD_HELP}") from None

    if _MONTH.fullmatch(start):
        day(f"{start}-01", "--period (PERIOD)", period)
        if end:
            raise ValueError(f"--period (PERIOD) {start} is a whole month: leave --period-end (PERIOD_END) empty, "
                             f"or give {_PERIOD_HELP}")
        return
    first = day(start, "--period (PERIOD)", period)
    if not end:
        raise ValueError(f"--period (PERIOD) {start} is a day: give --period-end (PERIOD_END) too, or a month "
                         f"PERIOD={start[:7]}")
    if day(end, "--period-end (PERIOD_END)", period_end) <= first:
        raise ValueError(f"--period-end (PERIOD_END) {end} is not after --period (PERIOD) {start}: the end is "
                         "exclusive, e.g. PERIOD=2025-10-01 PERIOD_END=2025-10-08 is one week")


def _report(args: argparse.Namespace) -> None:
    check_period(args.period, args.period_end)
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


def _seus(args: argparse.Namespace) -> None:
    from enms.iso50001 import missing_seus  # the SEU rule is the ISO 50001 step's

    with connect(args.warehouse, read_only=not args.create) as warehouse:
        warehouse.require_schema()
        sources, stored = warehouse.read_energy_sources(), warehouse.read_baselines()
        source_ids = dict(zip(sources["name"], sources["energy_source_id"], strict=True))
        active = stored[stored["is_active"]].assign(energy_source_id=lambda f: f["energy_type"].map(source_ids))
        missing = missing_seus(warehouse.read_seus(), active, sources, warehouse.read_machines())
        if missing.empty:
            print(f"every machine and energy source with an active baseline ({len(active)}) is covered by an SEU")
            return
        listed = "\n".join(f"  {m} ({e}) -> SEU '{n}'" for m, e, n in
                           zip(missing["machine_name"], missing["energy_type"], missing["name"], strict=True))
        if not args.create:
            print(f"{len(missing)} active baseline(s) without an SEU (`enms seus --create` creates them):\n{listed}")
            return
        created = warehouse.create_seus(missing)
    print(f"{created} SEU(s) created (the next pipeline run writes their models):\n{listed}")


def _import(args: argparse.Namespace) -> None:
    from enms.environments import ROOT
    from enms.io.imports import ImportProblems, Layout, Request, run

    layout = Layout(timestamp_col=args.timestamp_col, value_col=args.value_col, meter=getattr(args, "meter", None),
                    meter_col=getattr(args, "meter_col", None), wide=getattr(args, "wide", False))
    request = Request(args.kind, Path(args.file), args.factory, args.tz, unit=getattr(args, "unit", None),
                      layout=layout, label=args.label, energy_type=getattr(args, "energy_type", "electricity"),
                      machine_type=getattr(args, "machine_type", "other"), location=getattr(args, "location", None),
                      timestamp_format=args.timestamp_format)
    try:
        default = f"duckdb:{ROOT / 'data' / 'mine.duckdb'}"
        outcome = run(default if args.warehouse is None else args.warehouse, request)
    except ImportProblems as problems:
        print("\n".join(problems.lines), file=sys.stderr)
        raise
    print("\n".join([*outcome.lines, *(f"warning: {text}" for text in outcome.warnings)]))


def _import_parser(commands: argparse._SubParsersAction) -> None:
    kinds = commands.add_parser("import", help="your own meter, weather, production or mode files into a warehouse") \
        .add_subparsers(dest="import_command", required=True)
    helps = {"meters": "energy per meter (CSV or Parquet, long or wide)",
             "weather": "outdoor temperature of the site, for every machine of the factory",
             "production": "units produced per interval per machine", "modes": "operating mode per interval"}
    for kind, text in helps.items():
        sub = kinds.add_parser(kind, help=text)
        sub.add_argument("file", help=".csv (, ; or tab separated) or .parquet")
        sub.add_argument("--factory", required=True, help="factory name (created by a meters import)")
        sub.add_argument("--tz", required=True, help="IANA zone of naive timestamps, e.g. Europe/Berlin")
        if kind in ("meters", "weather"):
            sub.add_argument("--unit", required=True, help="Wh, kWh, MWh, W, kW, MW, m3 (gas), kg (steam)"
                             if kind == "meters" else "C or F")
        sub.add_argument("--timestamp-col", help="default: timestamp, time, datetime or date, else the first column")
        sub.add_argument("--timestamp-format", help="strftime format of the timestamps (default ISO 8601)")
        sub.add_argument("--mode-col" if kind == "modes" else "--value-col", dest="value_col",
                         help="the column of the values (default: by its name, else the only other column)")
        if kind != "weather":
            which = sub.add_mutually_exclusive_group()
            which.add_argument("--meter", help="the one meter (machine) of the file (default: the file name)")
            which.add_argument("--meter-col", help="long file: the column naming each row's meter (default: meter)")
            which.add_argument("--wide", action="store_true", help="one column per meter")
        sub.add_argument("--label", choices=("start", "end"), default="start",
                         help="a timestamp marks its interval's start (default) or end")
        if kind == "meters":
            sub.add_argument("--energy-type", default="electricity", help="electricity, natural_gas or steam")
            sub.add_argument("--machine-type", default="other", help="machine_type of new machines")
            sub.add_argument("--location", help="the factory's location, when created")
        sub.add_argument("--warehouse", help="DuckDB path or PostgreSQL URL; env reads ENMS_DATABASE_URL "
                                             "(default: duckdb:data/mine.duckdb in the repository)")
        sub.set_defaults(run=_import, kind=kind)


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
    demo.add_argument("--fleet", type=int, metavar="N",
                      help="instead of the demo plant, a fleet of N simulated machines over max(2, N/100) factories "
                           "(hourly and 15-minute readings; --out required; --days default 395, --seed 7)")
    demo.set_defaults(run=_demo)

    db = commands.add_parser("db", help="database set-up").add_subparsers(dest="db_command", required=True)
    init = db.add_parser("init", help="create the EnMS tables, our schema and the aggregate views")
    init.add_argument("--url", default="env", help="warehouse URL; 'env' reads ENMS_DATABASE_URL")
    init.set_defaults(run=_db_init)
    copy = db.add_parser("copy", help="copy a DuckDB warehouse (the demo plant) into PostgreSQL")
    copy.add_argument("--source", default="duckdb:data/enms.duckdb")
    copy.add_argument("--target", default="env", help="PostgreSQL URL; 'env' reads ENMS_DATABASE_URL")
    mode = copy.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true",
                      help="delete what an earlier copy created first (refuses rows it did not create)")
    mode.add_argument("--attach", action="store_true",
                      help="copy only the time series and truth tables into an EnMS that has the factories and "
                           "machines, matched by name; never deletes or changes its rows")
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
    seus = commands.add_parser("seus", help="significant energy uses: list (or --create) those the active baselines "
                                            "lack")
    seus.add_argument("--warehouse", default="duckdb:data/enms.duckdb", help="DuckDB path or PostgreSQL URL; env "
                                                                            "reads ENMS_DATABASE_URL")
    seus.add_argument("--create", action="store_true", help="create the missing SEUs (one per machine and energy "
                                                            "source, named after the machine)")
    seus.set_defaults(run=_seus)
    _import_parser(commands)
    return parser


# What to do about a database error, by class (the first that matches).
_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (errors.UndefinedTable, "a table or view is missing: run `enms db init` on this database, or check that the "
                            "URL's user and search_path see the schema holding the EnMS tables"),
    (errors.InvalidSchemaName, "the URL's search_path names no schema that exists: remove the search_path option "
                               "from the URL or name the schema holding the EnMS tables in it"),
    (errors.UndefinedColumn, "the table lacks a column this version uses: run `enms db init` or check the EnMS's "
                             "schema version"),
    (errors.ForeignKeyViolation, "other rows reference these: to load the demo plant into an EnMS use "
                                 "`enms db copy --attach`, otherwise copy into an empty database"),
    (errors.UniqueViolation, "the rows exist already: use `enms db copy --attach` (skips rows present) or an "
                             "empty database"),
    (errors.InsufficientPrivilege, "grant the URL's user the rights on this table (and CREATE on the schema for "
                                   "`enms db init`)"),
    (psycopg.DataError, "a value does not fit the column's type"),
    (psycopg.IntegrityError, "a constraint of the EnMS schema refused the rows"),
    (psycopg.OperationalError, "check that the server runs and that the host, port, database and password in the "
                               "URL (ENMS_DATABASE_URL) are right"),
    (duckdb.IOException, "the DuckDB file may be open in another process, or not be a DuckDB file"),
    (duckdb.CatalogException, "the DuckDB file lacks a table: rebuild it with `enms demo --force`"),
)


def database_error(error: Exception) -> str:
    """One line for a psycopg or DuckDB error: what failed, on which table and constraint, what to do."""
    hint = next((text for kind, text in _HINTS if isinstance(error, kind)), "")
    if isinstance(error, psycopg.Error):
        diag = error.diag
        table = ".".join(part for part in (diag.schema_name, diag.table_name) if part)
        where = ", ".join(f"{key} {value}" for key, value in
                          (("table", table), ("constraint", diag.constraint_name), ("column", diag.column_name))
                          if value)
        if not where and diag.context:  # COPY names its table and line only there
            where = diag.context.splitlines()[0][:160]
        what = f"PostgreSQL: {diag.message_primary or error}" + (f" ({where})" if where else "")
    else:
        what = f"DuckDB: {error}"
    return f"{what}: {hint}" if hint else what


def _one_line(message: str, args: argparse.Namespace) -> str:
    """The message on one line, with any password of a URL given (options or ENMS_DATABASE_URL) masked."""
    urls = [value for value in vars(args).values() if isinstance(value, str)]
    urls.append(os.environ.get(DATABASE_URL_VARIABLE, ""))
    for url in urls:
        try:
            password = urlsplit(url.strip()).password
        except ValueError:  # not a URL
            continue
        if password:
            message = message.replace(password, "***")
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = " ".join(filter(None, (args.command, getattr(args, "db_command", None))))
    try:
        args.run(args)
    except (WarehouseError, UnknownNameError, ValueError, FileNotFoundError) as error:
        message = str(error)
        cause = error.__cause__  # a driver error the warehouse wrapped (a server that does not answer): add its hint
        hint = next((text for kind, text in _HINTS if isinstance(cause, kind)), "")
        message += f": {hint}" if hint else ""
    except (psycopg.Error, duckdb.Error) as error:
        message = database_error(error)
    else:
        return 0
    print(f"enms {command}: error: {_one_line(message, args)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
