"""The package's rooms and the direction of its imports (DESIGN.md, "The shape of the code").

Face (cli, pipeline) may import anything; the core (the capabilities) imports the core and the shared modules;
the edges import the shared modules only: io/ (SQL) nothing of the analytics, demo/ (the simulator) nothing of
the analytics either; the analytics nothing of the demo plant. The one exception: rows (the write-back rows)
reads the column limits of io.warehouse.schema. Every SQL statement lives in the warehouse package (io/warehouse/).
"""

from __future__ import annotations

import ast
import re

import pytest

from enms.pipeline import PACKAGE

FACE = {"cli", "pipeline", "environments"}
SHARED = {"__init__", "localtime", "units", "settings", "frames", "calendars", "boosting", "parallel"}
EDGES = {"io", "demo"}
ALLOWED = {
    "shared": {"shared"},
    "io": {"io", "shared"},
    "demo": {"demo", "shared", "io.warehouse.schema"},
    "core": {"core", "shared"},
}
SCHEMA = "io.warehouse.schema"
EXCEPTIONS = {("rows", SCHEMA)}
_SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|VIEW|SCHEMA|INDEX|TYPE)|"
                  r"ALTER TABLE|DROP (TABLE|VIEW|SCHEMA)|COPY \w+|CHECKPOINT|TRUNCATE)\b")


def _room(module: str) -> str:
    top = module.split(".")[0]
    if top in FACE:
        return "face"
    if top in SHARED:
        return "shared"
    if top in EDGES:
        return top
    return "core"


def _imports() -> list[tuple[str, str]]:
    pairs = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("enms.") and name != "enms.__version__":
                    pairs.append((module, name.removeprefix("enms.")))
    return pairs


def _allowed(module: str, target: str) -> bool:
    room = _room(module)
    if room == "face":
        return True
    if any(module.split(".")[0] == m and target.startswith(t) for m, t in EXCEPTIONS):
        return True
    target_room = _room(target)
    if target_room == "io" and target.startswith(SCHEMA):
        return SCHEMA in ALLOWED[room] or "io" in ALLOWED[room]
    return target_room in ALLOWED[room]


def test_imports_point_down_only():
    wrong = sorted({(m, t) for m, t in _imports() if not _allowed(m, t)})
    assert not wrong, "\n".join(f"{m} imports enms.{t}" for m, t in wrong)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_a_second_package(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 620, "split it by what it does"


def test_every_sql_statement_lives_in_the_warehouse_package():
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "io" / "warehouse"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                outside.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:60]!r}")
    assert not outside, "\n".join(outside)
