"""SWC reading (strict validation), trees, the Hines solver and the kernels' helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from hhsim import stim
from hhsim.cable import Morphology, Section, point, simulate_cable
from hhsim.cable.presets import passive
from hhsim.cable.swc import SWCError, parse_swc, read_swc
from hhsim.cable.tree import build_tree
from hhsim.engine.cable_codegen import cable_module
from hhsim.engine.cable_helpers import _linexp_rate, fexp

GOOD = """# a soma, a dendrite that forks, an axon
1 1 0 0 0 5 -1
2 3 5 0 0 1 1
3 3 20 0 0 1 2
4 3 30 5 0 0.5 3
5 3 30 -5 0 0.5 3
6 2 -5 0 0 0.5 1
7 2 -105 0 0 0.5 6
"""


def test_reads_sections_regions_and_soma():
    m = parse_swc(GOOD, source="good.swc")
    regions = {s.name: s.region for s in m.sections}
    assert regions["soma[0]"] == "soma" and sum(r == "dend" for r in regions.values()) == 3
    soma = m.section("soma[0]")
    # a one-sample soma is a cylinder with the sphere's area
    assert soma.area(0, soma.length) == pytest.approx(4 * math.pi * 5.0 ** 2)
    # the dendrite trunk runs from the soma centre through samples 2 and 3
    trunk = m.section("dend[0]")
    assert trunk.length == pytest.approx(20.0)
    assert trunk.area(0, trunk.length) == pytest.approx(math.pi * 2.0 * 20.0)
    fork = m.section("dend[1]")
    assert fork.length == pytest.approx(math.hypot(10, 5))
    # a frustum from d = 2 to d = 1 µm
    slant = math.hypot(fork.length, 0.5)
    assert fork.area(0, fork.length) == pytest.approx(math.pi * (1.0 + 0.5) * slant)
    assert fork.resistance(0, fork.length, 100.0) == pytest.approx(4 * 100 * fork.length / (math.pi * 2 * 1) * 1e-2)


@pytest.mark.parametrize("text, message", [
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 3\n3 3 10 0 0 1 2\n", r"cycle \(2 -> 3 -> 2\)"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 2\n", "its own parent"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n3 3 10 0 0 1 7\n", "parent 7, which does not exist"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n2 3 10 0 0 1 1\n", "duplicate sample id 2"),
    ("1 1 0 0 0 5 2\n2 3 5 0 0 1 1\n", "no root sample"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 1 -1\n", "2 root samples"),
    ("1 1 0 0 0 5 -1\n2 3 5 0 0 0 1\n", "radii must be > 0"),
    ("1 1 0 0 0 5\n", "expected 7 fields"),
    ("1 1 0 0 zero 5 -1\n", "must be numbers"),
    ("# nothing\n", "no samples"),
])
def test_bad_files_fail_with_one_line(text, message):
    with pytest.raises(SWCError, match=message) as exc:
        parse_swc(text, source="bad.swc")
    assert "\n" not in str(exc.value) and str(exc.value).startswith("bad.swc")


def test_missing_file(tmp_path):
    with pytest.raises(SWCError, match="not found"):
        read_swc(tmp_path / "nope.swc")


def test_swc_neuron_simulates(tmp_path):
    path = tmp_path / "cell.swc"
    path.write_text(GOOD)
    m = read_swc(path)
    r = simulate_cable(m, {"soma": "hh", "axon": "hh", "dend": passive(0.1)},
                       point(stim.pulse(2.0, 1.0, 1.0), section="soma[0]", x=0.5), dx=5.0, t_stop=10.0)
    soma_node = r.tree.node_at(0, 1.0)
    assert r.spike_counts[soma_node] == 1


def _random_tree(n_sections, seed):
    rng = np.random.default_rng(seed)
    secs = [Section("s0", 50.0, 2.0)]
    for i in range(1, n_sections):
        secs.append(Section(f"s{i}", float(rng.uniform(5, 60)), float(rng.uniform(0.5, 3)),
                            parent=f"s{int(rng.integers(0, i))}"))
    return Morphology(tuple(secs), ra=150.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hines_solver_matches_dense_solve(seed):
    tree = build_tree(_random_tree(40, seed), [int(k) for k in np.random.default_rng(seed).integers(1, 5, 40)])
    assert np.all(tree.parent[1:] < np.arange(1, tree.n))
    n = tree.n
    rng = np.random.default_rng(seed)
    diag = rng.uniform(0.5, 2.0, n)
    A = np.diag(diag)
    for i in range(1, n):
        p = tree.parent[i]
        A[i, i] += tree.gax[i]
        A[p, p] += tree.gax[i]
        A[i, p] = A[p, i] = -tree.gax[i]
    b = rng.normal(size=n)
    want = np.linalg.solve(A, b)
    mod = cable_module(_plan_structure())
    d, x = np.diag(A).copy(), b.copy()
    mod.hines_solve(d, x, tree.parent, tree.gax)
    assert np.max(np.abs(x - want)) < 1e-10 * np.max(np.abs(want))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 64, 1001])
def test_chain_solver_matches_dense_solve(n):
    rng = np.random.default_rng(n)
    g = np.concatenate([[0.0], rng.uniform(0.5, 2.0, n - 1)])
    A = np.diag(rng.uniform(0.1, 1.0, n))
    for i in range(1, n):
        A[i, i] += g[i]
        A[i - 1, i - 1] += g[i]
        A[i, i - 1] = A[i - 1, i] = -g[i]
    b = rng.normal(size=n)
    want = np.linalg.solve(A, b)
    mod = cable_module(_plan_structure())
    d, x = np.diag(A).copy(), b.copy()
    mod.chain_solve(d, x, g)
    assert np.max(np.abs(x - want)) < 1e-10 * np.max(np.abs(want))


def _plan_structure():
    from hhsim.physics.structure import structure_of
    from hhsim import models

    return structure_of(models.get("hh"))


def test_branch_free_exp_and_linexp_are_exact_to_rounding():
    import mpmath

    f = njit(error_model="numpy")(lambda x: fexp(x))
    xs = np.concatenate([np.linspace(-700, 700, 20001), np.linspace(-1, 1, 20001)])
    rel = max(abs(f(x) / math.exp(x) - 1.0) for x in xs)
    assert rel < 5e-16
    lin = njit(error_model="numpy")(lambda v: _linexp_rate(v, 1.0, 1.0, 0.0))
    mpmath.mp.dps = 40
    worst = 0.0
    for x in np.concatenate([np.linspace(-0.3, 0.3, 3001), [0.0, 1e-12, -1e-9, 0.1, -0.1], np.linspace(-30, 30, 601)]):
        want = 1.0 if x == 0 else float(mpmath.mpf(x) / (1 - mpmath.exp(-mpmath.mpf(x))))
        worst = max(worst, abs(lin(x) / want - 1.0))
    assert worst < 3e-15
