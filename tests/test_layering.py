"""The layering holds (docs/design.md): read every module's imports (module level and inside
functions alike) and fail on an import that points the wrong way, or on an import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "newsbot"

# Storage behind ports: these layers never import SQLAlchemy or newsbot.storage.
NO_STORAGE = ("core", "service", "conversation", "channels")
STORAGE = ("sqlalchemy", "newsbot.storage")
# The facade's own modules that still hold concrete stores, each to be moved behind a ports.py
# protocol (issue #9, stage 2, unfinished). This list may only shrink: a new module here fails.
SERVICE_DEBT = frozenset(
    {
        "newsbot.service",
    }
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def points_at(found: set[str], targets: tuple[str, ...]) -> list[str]:
    return sorted(m for m in found if any(m == t or m.startswith(t + ".") for t in targets))


@pytest.mark.parametrize("layer", NO_STORAGE)
def test_no_storage_outside_storage(layer: str) -> None:
    wrong = {}
    for path in modules(layer):
        name = module_name(path)
        bad = points_at(imports(path), STORAGE)
        if bad and name not in SERVICE_DEBT:
            wrong[name] = bad
    assert not wrong, f"import storage through ports.py instead: {wrong}"


def test_the_service_debt_list_only_shrinks() -> None:
    still = {module_name(p) for p in modules("service") if points_at(imports(p), STORAGE)}
    assert still <= SERVICE_DEBT
    assert SERVICE_DEBT - still == set(), f"done, remove from SERVICE_DEBT: {SERVICE_DEBT - still}"


def test_core_reads_no_config_and_does_no_io() -> None:
    wrong = {}
    for path in modules("core"):
        bad = points_at(imports(path), ("newsbot.config", "asyncio", "httpx", "sqlalchemy"))
        if bad:
            wrong[module_name(path)] = bad
    assert not wrong, f"core is pure (pass small option objects): {wrong}"


def graph(layers: tuple[str, ...]) -> dict[str, set[str]]:
    names = {module_name(p): p for layer in layers for p in modules(layer)}
    return {
        name: {m for m in imports(path) if m in names and m != name} for name, path in names.items()
    }


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in path and len(path) < 12:
                stack.append((nxt, [*path, nxt]))
    return None


@pytest.mark.parametrize("layer", ["channels", "conversation"])
def test_no_import_cycles(layer: str) -> None:
    edges = graph((layer,))
    # a package's __init__ re-exports its modules; an edge back to it is not a cycle of code
    edges = {n: {m for m in e if not n.startswith(m + ".")} for n, e in edges.items()}
    cycles = [c for n in sorted(edges) if (c := cycle_from(n, edges))]
    assert not cycles, cycles[0]
