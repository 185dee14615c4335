"""The layout's rules, read from the source: who may import whom (README, Layout).

WHY a test: a rule kept only in a README is broken by the first hurried import, and
the next adapter (MAX) or channel (e-mail, the panel) is exactly when it matters.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "messengers", "scenarios", "storage", "web")
MESSENGER_LIBRARIES = ("aiogram", "vk_api", "maxapi")
ENTRY_POINT = "bot.cli"
"""Starts the adapters and the export command: the one runtime module that may name both."""
REGISTRATION = ("bot.features", ENTRY_POINT)


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    at_run_time: bool
    """False under `if TYPE_CHECKING:`."""
    top_level: bool
    """Run on import of the module, not inside a function."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[Import]:
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, run_time: bool, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.body:
                    visit_stmt(stmt, False, top)
                for stmt in child.orelse:
                    visit_stmt(stmt, run_time, top)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, run_time, False)
            else:
                visit_stmt(child, run_time, top)

    def visit_stmt(node: ast.AST, run_time: bool, top: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(source, alias.name, node.lineno, run_time, top))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import submodule` depends on the submodule itself
                candidate = f"{base}.{alias.name}"
                target = candidate if _exists(candidate) else base
                found.append(Import(source, target, node.lineno, run_time, top))
        else:
            visit(node, run_time, top)

    visit(ast.parse(path.read_text(encoding="utf-8")), True, True)
    return found


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def all_imports() -> list[Import]:
    return [
        imp
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for imp in imports_of(path)
    ]


IMPORTS = all_imports()


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _shown(bad: list[Import]) -> str:
    return "\n".join(f"{i.source}:{i.line} imports {i.target}" for i in bad)


def test_the_packages_are_where_the_readme_says() -> None:
    sources = {i.source for i in IMPORTS}
    assert {"bot.core", "bot.router", "bot.delivery", "bot.features"} <= sources
    assert {"handlers.enrolment.application", "handlers.internship", "handlers.tickets.intern",
            "handlers.coordination.broadcasts"} <= sources
    assert {"messengers.telegram.adapter", "messengers.vk.adapter", "messengers.registry"} <= sources
    # bot/ holds the runtime and nothing that a person does
    features = {p.stem for p in (ROOT / "bot").glob("*.py")} & {
        "enrolment", "tickets", "broadcasts", "homework", "review", "exports", "menu"}
    assert not features


def test_only_messengers_import_a_messenger_library() -> None:
    bad = [
        i for i in IMPORTS
        if any(_in(i.target, lib) for lib in MESSENGER_LIBRARIES) and not _in(i.source, "messengers")
    ]
    assert not bad, _shown(bad)


DATABASE_DRIVERS = ("aiosqlite", "asyncpg", "sqlite3")


def test_only_storage_touches_a_database_driver() -> None:
    """Features and handlers get storage.connection.Connection, never one driver's type, so
    the same code runs on the SQLite file and on PostgreSQL."""
    bad = [
        i for i in IMPORTS
        if any(_in(i.target, lib) for lib in DATABASE_DRIVERS) and not _in(i.source, "storage")
    ]
    assert not bad, _shown(bad)


def test_nothing_but_the_entry_point_imports_messengers() -> None:
    bad = [
        i for i in IMPORTS
        if _in(i.target, "messengers") and not _in(i.source, "messengers") and i.source != ENTRY_POINT
    ]
    assert not bad, _shown(bad)


def test_the_panel_builds_on_the_core_storage_scenarios_and_handlers_only() -> None:
    """web/ is another adapter of the same core: it may use the runtime, the repositories,
    the programme and the handlers' own functions; never a messenger (their sign-in checks
    reach it as `bot.sign_in.SignInCheck` from the entry point)."""
    project = ("bot", "handlers", "messengers", "scenarios", "storage", "web")
    allowed = ("bot", "handlers", "scenarios", "storage", "web")
    bad = [
        i for i in IMPORTS
        if _in(i.source, "web") and any(_in(i.target, p) for p in project)
        and not any(_in(i.target, p) for p in allowed)
    ]
    assert not bad, _shown(bad)
    assert any(_in(i.source, "web") and _in(i.target, "handlers") for i in IMPORTS)


def test_only_the_entry_point_starts_the_panel() -> None:
    bad = [i for i in IMPORTS
           if _in(i.target, "web") and not _in(i.source, "web") and i.source != ENTRY_POINT]
    assert not bad, _shown(bad)


def test_messengers_never_import_handlers() -> None:
    bad = [i for i in IMPORTS if _in(i.source, "messengers") and _in(i.target, "handlers")]
    assert not bad, _shown(bad)


def test_the_runtime_imports_handlers_only_to_register_them() -> None:
    bad = [
        i for i in IMPORTS
        if _in(i.source, "bot") and _in(i.target, "handlers") and i.source not in REGISTRATION
    ]
    assert not bad, _shown(bad)


@pytest.mark.parametrize("package", ["storage", "scenarios"])
def test_storage_and_scenarios_import_no_feature_and_no_adapter(package: str) -> None:
    bad = [
        i for i in IMPORTS
        if _in(i.source, package) and (_in(i.target, "handlers") or _in(i.target, "messengers"))
    ]
    assert not bad, _shown(bad)


def test_storage_takes_from_the_runtime_only_modules_that_depend_on_nothing() -> None:
    """Repositories may use the runtime's plain values (clock's ISO helpers, messages' data
    types), never the machinery that itself uses the repositories."""
    project = {i.source for i in IMPORTS if any(_in(i.target, p) for p in PACKAGES)}
    used = {i.target for i in IMPORTS if _in(i.source, "storage") and _in(i.target, "bot")}
    assert used, "the check would pass on nothing"
    assert not used & project, sorted(used & project)


def test_the_form_engine_needs_no_handler_context_at_run_time() -> None:
    bad = [
        i for i in IMPORTS
        if i.source == "scenarios.engine" and i.at_run_time
        and i.target in ("bot.context", "bot.services", "bot.core", "bot.router", "bot.scheduler")
    ]
    assert not bad, _shown(bad)


def test_no_import_cycle_at_import_time() -> None:
    """Module-level imports outside TYPE_CHECKING form no cycle: every module imports on its
    own, whichever is imported first (a cycle works until someone reorders two lines)."""
    graph: dict[str, set[str]] = {}
    for i in IMPORTS:
        if i.at_run_time and i.top_level and any(_in(i.target, p) for p in PACKAGES):
            graph.setdefault(i.source, set()).add(i.target)
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def walk(node: str) -> list[str] | None:
        if node in on_path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node:
                continue
            found = walk(nxt)
            if found:
                return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        found = walk(start)
        if found:
            return found
    return None


def test_the_checks_see_a_broken_rule() -> None:
    """The rules above would pass on an empty graph: make sure the reader finds imports of
    each kind, including one only for the type checker and one inside a function."""
    engine = [i for i in IMPORTS if i.source == "scenarios.engine"]
    assert any(i.target == "bot.context" and not i.at_run_time for i in engine)
    cli = [i for i in IMPORTS if i.source == ENTRY_POINT]
    assert any(i.target == "messengers.registry" and not i.top_level for i in cli)
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}}) is None
