"""The layering holds (docs/design.md): read every module's imports (module level and inside
functions alike) and fail on an import that points the wrong way, or on an import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "newsbot"

# Storage behind ports: these layers never import SQLAlchemy or newsbot.storage.
NO_STORAGE = ("core", "ports", "service", "conversation", "channels")
STORAGE = ("sqlalchemy", "newsbot.storage")


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
        if bad:
            wrong[name] = bad
    assert not wrong, f"import storage through newsbot.ports instead: {wrong}"


# --- every port lives in newsbot.ports (one module per area), and nowhere else -----------------

PORTS = PACKAGE / "ports"
# what a port may name besides the standard library: the core's records, and the HTTP front's Route
PORTS_MAY_IMPORT = ("newsbot.core", "newsbot.ports", "newsbot.front.routes")


def protocols(path: Path) -> list[str]:
    """The classes `path` defines that derive from typing.Protocol."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).split("[")[0].endswith("Protocol") for base in node.bases)
    ]


def test_service_defines_no_ports() -> None:
    wrong = {module_name(p): found for p in modules("service") if (found := protocols(p))}
    assert not wrong, f"a store or outside system the service needs is a port: {wrong}"


def test_ports_import_only_the_core() -> None:
    wrong = {}
    for path in modules("ports"):
        bad = [
            m
            for m in points_at(imports(path), ("newsbot",))
            if not points_at({m}, PORTS_MAY_IMPORT)
        ]
        if bad:
            wrong[module_name(path)] = bad
    assert not wrong, f"ports name the core's records, never an adapter or the service: {wrong}"


def test_every_port_is_exported_from_newsbot_ports() -> None:
    import newsbot.ports

    defined = {
        node.name
        for path in modules("ports")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
    }
    assert defined - set(newsbot.ports.__all__) == set()
    assert all(hasattr(newsbot.ports, name) for name in newsbot.ports.__all__)


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


# --- Newsroom is the only facade: its parts are private, and nobody outside reaches them ----------

ROOT = SRC.parent
FACADE = PACKAGE / "service" / "__init__.py"
# the facade's own package and the composition root (which builds the parts) may; nobody else
MAY_REACH = (PACKAGE / "service", PACKAGE / "app.py")


def newsroom_members() -> tuple[set[str], set[str]]:
    """(public members, private parts) of service.Newsroom, read from its source."""
    tree = ast.parse(FACADE.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Newsroom")
    public = {
        n.name
        for n in cls.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_")
    }
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    parts = {
        t.attr
        for node in ast.walk(init)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    }
    return public, parts


def outside_the_facade() -> list[Path]:
    trees = [PACKAGE, ROOT / "tests", ROOT / "benchmarks"]
    found = [p for tree in trees for p in sorted(tree.rglob("*.py"))]
    return [p for p in found if not any(p == m or m in p.parents for m in MAY_REACH)]


def reaches(path: Path, public: set[str], parts: set[str]) -> list[str]:
    """`x._part` for a Newsroom part anywhere, and `newsroom.y` for a y Newsroom does not offer."""
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = ast.unparse(node.value)
        if (node.attr in parts and owner != "self") or (
            owner.split(".")[-1] in ("newsroom", "room") and node.attr not in public
        ):
            wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner}.{node.attr}")
    return wrong


def test_newsroom_parts_are_private_and_required() -> None:
    _public, parts = newsroom_members()
    assert parts and all(p.startswith("_") for p in parts), parts
    tree = ast.parse(FACADE.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Newsroom")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert not init.args.kw_defaults or all(d is None for d in init.args.kw_defaults), (
        "every part of the Newsroom is required (built in app.py)"
    )


def test_nobody_reaches_through_the_newsroom() -> None:
    public, parts = newsroom_members()
    wrong = [hit for path in outside_the_facade() for hit in reaches(path, public, parts)]
    assert not wrong, f"call a Newsroom method instead of reaching its parts: {wrong[:10]}"
