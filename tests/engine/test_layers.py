"""Layers without circles: no module of ``src/hhsim`` imports a module of a
higher layer, not even inside a function, and no group of modules imports
itself round in a circle.

The imports are read from the source with :mod:`ast` (every ``import`` and
``from ... import`` anywhere in a file, except under ``if TYPE_CHECKING:``,
which never runs), so an import hidden in a function counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hhsim

SRC = Path(hhsim.__file__).resolve().parent

#: Lowest first.  A module may import its own layer and the layers below.
LAYERS: list[tuple[str, ...]] = [
    ("hhsim._version", "hhsim.errors", "hhsim.units", "hhsim.io", "hhsim.limits", "hhsim.quantity", "hhsim.first_run",
     "hhsim.prebuilt_place", "hhsim.quick_exit", "hhsim.cpu_load",
     "hhsim.validate", "hhsim.progress"),
    # figures read results by their attributes and import only errors and io, so
    # that every result's ``plot()`` may call them
    ("hhsim.plot",),
    ("hhsim.channels", "hhsim.physics", "hhsim.stim", "hhsim.stimspec", "hhsim.checks"),
    ("hhsim.model", "hhsim.models", "hhsim.drugs", "hhsim.describe", "hhsim.display", "hhsim.cells"),
    ("hhsim.engine",),
    ("hhsim.simulation", "hhsim.batch_api", "hhsim.batch_columns", "hhsim.result", "hhsim.cable", "hhsim.network", "hhsim.interop",
     "hhsim.noise", "hhsim.recipe"),
    ("hhsim.analysis", "hhsim.dynamics", "hhsim.sweep", "hhsim.fit"),
    ("hhsim.explore", "hhsim.cli", "hhsim"),
]


def _modules() -> dict[str, Path]:
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the hhsim modules it imports (the module itself left out)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        targets = set()
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "hhsim"]
            else:
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").split(".")[0] == "hhsim":
                    origin = node.module
                else:
                    continue
                names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin for a in node.names]
            targets.update(t for t in (_resolve(n, mods) for n in names) if t and t != mod)
        graph[mod] = targets
    return graph


def layer_of(mod: str) -> int:
    best, rank = None, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            # "hhsim" names the package's own __init__ only, not everything below it
            inside = mod.startswith(p + ".") and p != "hhsim"
            if (mod == p or inside) and len(p) > rank:
                best, rank = i, len(p)
    if best is None:
        raise AssertionError(f"module {mod} is in no layer: add it to LAYERS in {__file__}")
    return best


def test_every_module_has_a_layer():
    for mod in import_graph():
        layer_of(mod)


def test_no_import_reaches_a_higher_layer():
    upward = sorted(f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})"
                    for m, ts in import_graph().items() for t in ts if layer_of(t) > layer_of(m))
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_circle():
    assert _cycles(import_graph()) == []


def test_the_checker_sees_a_circle_and_an_import_inside_a_function():
    # the checker itself can fail: a made-up two-module circle is found
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    tree = ast.parse("def f():\n    from . import x\nif TYPE_CHECKING:\n    import hhsim.cli\n")
    found = [n for n in _import_nodes(tree)]
    assert len(found) == 1 and isinstance(found[0], ast.ImportFrom)
