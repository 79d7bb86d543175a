"""The import layers of mud/: every import of every module (type-only ones under TYPE_CHECKING
and imports inside functions included) is mapped to the package or top-level module it reaches,
and no package may import one in a layer above its own, nor may packages import each other
round a cycle."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "mud"

# Bottom up. A package may import packages in its own layer and the layers below, never above.
LAYERS: list[tuple[str, ...]] = [
    # words and plumbing that know nothing of the rest
    ("text", "vocabulary", "roles", "config", "tasks", "embedded", "monitor", "auth"),
    ("world",),  # world data loaded from files and checked (its words from vocabulary)
    ("game",),  # the model and the rules, over the world's templates
    ("store", "net", "link"),  # PostgreSQL; telnet and its protocols; the gateway-world link
    ("cluster",),  # Redis: cache, leases, bus, relay, resume tokens
    # reloading the world; the GMCP feed of a character; a character's life in this process
    ("reload", "feed", "lifecycle", "worldlink"),
    ("ops",),  # staff operations, for the wizard commands and the console alike
    ("commands",),  # the registry, the dispatcher and the handlers
    # the operators' front end; one player's connection and its way in
    ("console", "session", "login"),
    ("app", "gateway"),  # the world process that wires it all; the gateway process
    # the `mud` command; the telnet and WebSocket test clients (nothing imports them)
    ("cli", "__main__", "client", "webclient"),
]

# Imports that break the order today, each with why and what removes it: an entry here is
# taken out of both checks. An entry that no longer matches an import fails the test too.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    source: str  # the package or top-level module doing the import
    target: str  # the one imported
    text: str

    def __str__(self) -> str:
        return (f"{self.path.relative_to(ROOT.parent)}:{self.line}: {self.source} imports "
                f"{self.target} ({self.text})")


def unit_of(module: str) -> str | None:
    """The package or top-level module of mud that a dotted module name lies in."""
    parts = module.split(".")
    if parts[0] != "mud" or len(parts) == 1:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement reaches: `from mud import auth` reaches mud.auth, and a
    relative import is resolved from module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    if base == "mud":
        return [f"mud.{alias.name}" for alias in node.names]
    return [base]


def imports() -> list[Import]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        source = unit_of(module)
        if source is None:
            continue  # mud/__init__.py
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in imported_modules(node, module, path.name == "__init__.py"):
                target = unit_of(name)
                if target is not None and target != source:
                    found.append(Import(path, node.lineno, source, target, ast.unparse(node)))
    return found


def layer_of(unit: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if unit in layer), None)


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(graph[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return found


def test_every_package_has_a_layer() -> None:
    units = {unit for path in ROOT.rglob("*.py") if (unit := unit_of(module_name(path)))}
    layered = {unit for layer in LAYERS for unit in layer}
    assert not units - layered, f"no place in LAYERS (tests/test_layers.py) for " \
        f"{', '.join(sorted(units - layered))}: add each to the layer it belongs to"
    assert not layered - units, f"LAYERS names what mud/ no longer has: " \
        f"{', '.join(sorted(layered - units))}"


def test_no_cycle_between_packages() -> None:
    found = cycles({(i.source, i.target) for i in imports()
                    if (i.source, i.target) not in KNOWN})
    assert not found, "packages of mud/ that import each other round a cycle: " + "; ".join(
        " <-> ".join(cycle) for cycle in found)


def test_no_package_imports_a_higher_layer() -> None:
    upward = [i for i in imports() if (i.source, i.target) not in KNOWN
              and (layer_of(i.target) or 0) > (layer_of(i.source) or 0)]
    assert not upward, "imports against the layer order (LAYERS in tests/test_layers.py, " \
                       "bottom up):\n" + "\n".join(map(str, upward))


def test_every_known_exception_still_exists() -> None:
    edges = {(i.source, i.target) for i in imports()}
    stale = [f"{source} -> {target}" for source, target in KNOWN if (source, target) not in edges]
    assert not stale, f"KNOWN lists imports that are gone; remove them: {', '.join(stale)}"
