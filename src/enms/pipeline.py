"""The pipeline's entry point: per-notebook code fingerprints, the Ploomber DAG of an environment, one report.

``ploomber build --entry-point enms.pipeline.make --env test`` (what ``make run`` / ``make test`` call), or
in Python ``make("test").build()``. The settings of an environment come from :mod:`enms.environments`.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from ploomber import DAG
from ploomber.executors import Serial
from ploomber.spec import DAGSpec

from enms.environments import LAST_MONTH, ROOT, settings

PACKAGE = Path(__file__).resolve().parent
_FACTORY = "[[factory]]"


# ------------------------------------------------------------------------------------------------ fingerprints
def _enms_imports(source: str) -> set[str]:
    """The ``enms`` modules a piece of source imports (``from enms import x`` may name a module or a name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "enms")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "enms":
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _module_file(name: str, package: Path) -> Path | None:
    """The file of module ``enms.a.b`` (``a/b.py`` or ``a/b/__init__.py``), found without importing it."""
    parts = name.split(".")
    if parts[0] != "enms":
        return None
    base = package.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_files(source: str, package: Path = PACKAGE) -> list[Path]:
    """Every file of the enms package that ``source`` imports, directly or through other modules (sorted)."""
    seen: dict[str, Path] = {}
    todo = list(_enms_imports(source))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name, package)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_parents(name))
        todo.extend(_enms_imports(path.read_text(encoding="utf-8")))
    return sorted(set(seen.values()))


def code_fingerprint(notebook: Path, package: Path = PACKAGE) -> str:
    """A hash of the package code a notebook imports (12 hex digits): Ploomber tracks the notebook's own source
    only, so this parameter makes a step rerun when (and only when) code it uses changes."""
    digest = hashlib.sha1()
    for path in imported_files(notebook.read_text(encoding="utf-8"), package):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# ------------------------------------------------------------------------------------------------ the DAG
def make(env: str = "demo", warehouse: str | None = None) -> DAG:
    """The pipeline DAG of environment ``env`` (demo, pg or test), serial (DuckDB has one writer per file), on
    the environment's warehouse or on ``warehouse`` (default: ENMS_WAREHOUSE when set; see
    :func:`enms.environments.settings`). Reads the warehouse once, briefly, for its factories (one report each)
    and the state of its data."""
    values = settings(env, warehouse=warehouse)
    factories, state = warehouse_outline(values)
    return dag_from_settings({**values, "data_state": state}, factories)


def last_full_month(end: object) -> str:
    """The last calendar month (YYYY-MM) readings ending at ``end`` (UTC, exclusive) cover, allowing a day for
    the factory's zone (data to 2025-02-28 23:00 UTC, local midnight in Berlin, cover February)."""
    import pandas as pd

    return str((pd.Timestamp(end).tz_convert("UTC").tz_localize(None) + pd.Timedelta(days=1)).to_period("M") - 1)


def warehouse_outline(values: dict) -> tuple[list[str], str]:
    """The names of the factories the run covers (the ``factories`` / ``machines`` settings applied) and a short
    statement of what the warehouse holds (readings' range, counts of factories and machines): a new reading
    changes it, so the extract reruns. A report period of ``last`` becomes the data's last full month."""
    from enms.io import connect
    from enms.io.extract import parse_names, select_machines

    with connect(values["warehouse"], read_only=True) as warehouse:
        warehouse.require_schema()
        machines = warehouse.read_machines()
        first, end = warehouse.data_range()
    selected = select_machines(machines, parse_names(values["machines"]), parse_names(values["factories"]))
    state = (f"readings {first.isoformat()} .. {end.isoformat()}, {machines['factory_id'].nunique()} factories, "
             f"{len(machines)} machines")
    if values["report"]["period"] == LAST_MONTH:
        values["report"] = {**values["report"], "period": last_full_month(end)}
    return sorted(selected["factory_name"].unique()), state


def dag_from_settings(values: Mapping, factories: list[str]) -> DAG:
    """The pipeline DAG for merged settings (see :func:`enms.environments.settings`) and the factories to report
    on, with the code fingerprints added and the report template expanded per factory."""
    from enms.report import slug

    spec = yaml.safe_load((ROOT / "pipeline.yaml").read_text(encoding="utf-8"))
    values = {key: copy.deepcopy(value) for key, value in values.items() if key != "demo"}  # demo: enms demo's
    values.setdefault("data_state", "")
    values["code_version"] = {  # per notebook: the report tasks share theirs
        Path(task["source"]).stem: code_fingerprint(ROOT / task["source"]) for task in spec["tasks"]
    }
    spec["tasks"] = [expanded for task in spec["tasks"] for expanded in _per_factory(task, map(slug, factories))]
    dag = DAGSpec(spec, env=values, parent_path=str(ROOT)).to_dag()
    dag.executor = Serial(build_in_subprocess=False)
    return dag


def _per_factory(task: dict, slugs: Iterable[str]) -> list[dict]:
    """A task as it is, or, when its name holds ``[[factory]]``, one copy per factory slug."""
    if _FACTORY not in task["name"]:
        return [task]
    text = yaml.safe_dump(task)
    return [yaml.safe_load(text.replace(_FACTORY, factory_slug)) for factory_slug in slugs]


# ------------------------------------------------------------------------------------------------ one report
REPORT_UPSTREAM = ("extract", "quality", "baselines", "anomalies", "forecasts", "kpis", "performance")


def render_report(factory: str, period_start: str, period_end: str = "", env: str = "demo") -> Path:
    """One factory's stakeholder report for a local period, from the products of a pipeline run of ``env``,
    without Ploomber (papermill + nbconvert, as a scheduler would call them). Returns the HTML's path."""
    import jupytext
    import papermill
    from nbconvert import HTMLExporter

    from enms.report import report_filename

    values = settings(env)
    products, reports = Path(values["products"]), Path(values["reports"])
    absent = [step for step in REPORT_UPSTREAM if not (products / step).is_dir()]
    if absent:
        raise FileNotFoundError(f"{products} lacks the products of {', '.join(absent)}: run `make run ENV={env}` "
                                "first")
    name = report_filename(factory, period_start, period_end).removesuffix(".html")
    folder = products / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    source = ROOT / "notebooks" / "report.py"
    prepared, executed = folder / "report.ipynb", folder / f"{name}.ipynb"
    jupytext.write(jupytext.read(source), prepared)
    parameters = {
        "factory": factory, "period_start": period_start, "period_end": period_end,
        "code_version": code_fingerprint(source),
        "upstream": {step: {"data": str(products / step)} for step in REPORT_UPSTREAM},
        "product": {"nb": str(executed)},
    }
    try:
        papermill.execute_notebook(prepared, executed, parameters=parameters, progress_bar=False)
    except papermill.PapermillExecutionError as error:
        raise ValueError(f"the report notebook stopped ({executed}): {error.ename}: {error.evalue}") from error
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    html, _ = exporter.from_filename(str(executed))
    target = reports / f"{name}.html"
    target.write_text(html, encoding="utf-8")
    return target
