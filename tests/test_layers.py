"""The import graph of legrules has no cycle through the engine and the audit log.

The engine (``legrules.runtime``) records through a protocol and knows nothing of the
audit package; the audit package replays with the engine; ``legrules.api`` sits on top.
Imports inside functions count: a lazy import only hides a cycle. Imports under
``if TYPE_CHECKING:`` do not, as they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import legrules

PACKAGE = Path(legrules.__file__).parent
ENGINE = {"legrules.api", "legrules.runtime"}


def _module_name(path: Path, root: Path) -> str:
    parts = ["legrules", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth (functions, methods, try)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def _with_parents(name: str, modules: Mapping[str, Path]) -> set[str]:
    """Importing ``a.b.c`` runs ``a/__init__``, ``a/b/__init__`` and ``a/b/c``."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(modules)


def _targets(
    node: ast.Import | ast.ImportFrom, here: str, is_package: bool, modules: Mapping[str, Path]
) -> set[str]:
    if isinstance(node, ast.Import):
        return {t for alias in node.names for t in _with_parents(alias.name, modules)}
    base = node.module or ""
    if node.level:
        anchor = here.split(".")
        anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, *([base] if base else [])])
    found = _with_parents(base, modules)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in modules:
            found |= _with_parents(submodule, modules)
        elif base == "legrules" and alias.name in legrules._LAZY:
            # `from legrules import Engine` imports the module that defines it (PEP 562)
            found |= _with_parents(legrules._LAZY[alias.name], modules)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """legrules module -> the legrules modules it can import (directly)."""
    modules = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(node, name, is_package, modules)
        # a module's own packages are imported before it runs: no edge back to them
        graph[name] = edges - _with_parents(name, modules)
    return graph


def reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def _audit(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "legrules.audit" or m.startswith("legrules.audit.")}


def test_the_graph_sees_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    """The checks below can fail: a function-local import is an edge, a TYPE_CHECKING
    one is not, and ``from legrules import Engine`` leads to the module defining it."""
    package = tmp_path / "legrules"
    (package / "audit").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "audit" / "__init__.py").write_text("", encoding="utf-8")
    (package / "audit" / "log.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from legrules.runtime import Engine\n"
        "else:\n    import legrules.paths\n",
        encoding="utf-8",
    )
    (package / "paths.py").write_text("", encoding="utf-8")
    (package / "api.py").write_text("", encoding="utf-8")
    (package / "runtime.py").write_text(
        "def record():\n    from legrules.audit import log\n\n"
        "class A:\n    def b(self):\n        from legrules import Engine\n",
        encoding="utf-8",
    )
    graph = import_graph(package)
    assert graph["legrules.runtime"] == {"legrules.audit", "legrules.audit.log", "legrules.api"}
    assert graph["legrules.audit.log"] == {"legrules.paths"}


def test_the_engine_imports_nothing_from_the_audit_package() -> None:
    graph = import_graph()
    below = reachable(graph, "legrules.runtime")
    assert not _audit(below), "legrules.runtime reaches the audit package"
    assert "legrules.api" not in below
    assert "legrules.recorder" in below


def test_the_audit_package_never_reaches_the_public_facade() -> None:
    graph = import_graph()
    for module in sorted(_audit(set(graph))):
        assert "legrules.api" not in reachable(graph, module), module


def test_no_import_cycle_through_the_engine_or_the_audit_log() -> None:
    graph = import_graph()
    for module in sorted(ENGINE | _audit(set(graph))):
        assert module not in reachable(graph, module), f"{module} imports itself back"


def test_the_finding_index_walks_rules_without_the_evaluator() -> None:
    """Walking a condition tree lives with the models (ruleschema); the index, the
    pack and the schema never reach the evaluator in legrules.conditions."""
    graph = import_graph()
    for module in ("legrules.index", "legrules.pack", "legrules.ruleschema"):
        assert "legrules.conditions" not in reachable(graph, module), module
