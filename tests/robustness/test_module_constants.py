"""No module of ``src/hhsim`` binds one module-level constant twice.

A second ``NAME = ...`` at the top level of a module silently replaces the
first for every function of the module, including those written for the
first meaning.  That happened once: ``orbit_at``'s bound on the intervals a
caller may ask for (2,000) took the name of the continuation's mesh cap
(240), and every branch near a homoclinic end was refined to 64,002
unknowns.  Names bound in alternatives (``if``/``try`` at the top level)
are one binding each branch and are not counted.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import hhsim

SRC = Path(hhsim.__file__).resolve().parent


def _bound_names(target: ast.expr) -> list[str]:
    """The names a target binds: ``A`` and the names of ``A, (B, *C)``; none for
    ``A[0]`` or ``A.b``, which change an object and bind nothing."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def _top_level_constants(tree: ast.Module) -> Counter:
    """UPPER_CASE names bound by the module's own top-level statements."""
    names: Counter = Counter()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for target in targets:
            names.update(name for name in _bound_names(target) if name.isupper())
    return names


def test_the_check_sees_a_second_binding():
    tree = ast.parse("A = 1\nB: int = 2\nA = 3\nif x:\n    B = 4\nC, (D, *E) = 1, (2, 3)\nE = 0\n"
                     "F = {}\nF['k'] = 1\nF.x = 2\n")
    assert _top_level_constants(tree) == Counter({"A": 2, "B": 1, "C": 1, "D": 1, "E": 2, "F": 1})


def test_no_module_constant_is_bound_twice():
    twice = []
    for path in sorted(SRC.rglob("*.py")):
        counts = _top_level_constants(ast.parse(path.read_text(encoding="utf-8")))
        twice += [f"{path.relative_to(SRC.parent)}: {name}" for name, n in counts.items() if n > 1]
    assert twice == []
