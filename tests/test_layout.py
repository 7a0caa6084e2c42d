"""The shape of the code: packages import each other one way, modules stay short, and only
the API and the CLI know their frameworks (CONTRIBUTING.md, "Layout and layers")."""

import ast
import graphlib
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "relance"
MAX_LINES = 400
# Below the features they are shared by: none of these may import a feature package.
FOUNDATIONS = ("enrolments", "events", "tenancy", "db")
FEATURES = (
    "calls", "contacts", "directory", "idempotency", "opencx", "sequences", "tags", "webhooks",
)


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.relative_to(SRC).parts]


def _package(path: Path) -> str:
    """``relance/calls/service.py`` -> ``calls``; ``relance/errors.py`` -> ``errors``."""
    return path.relative_to(SRC).parts[0].removesuffix(".py")  # __init__: relance itself


def _imports(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def package_graph() -> dict[str, set[str]]:
    """Package -> the other Relance packages it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _modules():
        me = _package(path)
        graph[me]  # a package that imports nothing is still a node
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "relance" and len(parts) > 1 and parts[1] != me:
                graph[me].add(parts[1])
    return graph


def _order() -> list[str]:
    """The packages, each after every package it imports."""
    graph = package_graph()
    assert {"api", "calls", "tenancy", "db"} <= set(graph)  # the walk found the code
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        raise AssertionError(f"packages import each other in a circle: {error.args[1]}") from None


def test_the_packages_import_each_other_without_a_cycle() -> None:
    order = _order()
    assert order.index("db") < order.index("tenancy") < order.index("api")


# cli -> api -> (the demo) -> features -> enrolments -> tenancy, events -> db; leaves below
# all. The event outbox sits beside tenancy, so that enrolments and features record events.
RANKS = {
    "cli": 6,
    "api": 5,
    "demo": 4,
    **dict.fromkeys(FEATURES, 3),
    "enrolments": 2,
    "tenancy": 1,
    "events": 1,
    "db": 0,
}


def test_every_import_points_down() -> None:
    graph = package_graph()
    leaves = {p for p in graph if p not in RANKS}
    assert leaves <= {"__init__", "errors", "unset", "plans", "call_lifecycle", "calling_windows", "ratelimit", "settings", "secretbox",
                      "logs", "metrics"}
    upward = {
        (low, high)
        for low, imported in graph.items()
        for high in imported
        if low in leaves and high not in leaves  # a leaf imports only leaves
        or low in RANKS and high in RANKS and RANKS[high] > RANKS[low]
        or low in RANKS and high in RANKS and RANKS[high] == RANKS[low] and RANKS[low] != 3
    }
    assert upward == set()


def test_the_foundations_import_no_feature() -> None:
    graph = package_graph()
    upward = {
        (low, high)
        for low in FOUNDATIONS
        for high in graph[low]
        if high in (*FEATURES, "api", "cli", "demo")
    }
    assert upward == set()


def test_only_the_api_and_the_cli_import_their_frameworks() -> None:
    offenders = []
    for path in _modules():
        roots = {name.split(".")[0] for name in _imports(path)}
        where = path.relative_to(SRC).as_posix()
        if {"fastapi", "starlette"} & roots and not where.startswith("api/"):
            offenders.append(where)
        if "typer" in roots and not where.startswith("cli/"):
            offenders.append(where)
    assert offenders == []


def test_no_module_is_longer_than_about_four_hundred_lines() -> None:
    long = {
        path.relative_to(SRC).as_posix(): n
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
