"""Exponentials shared inside rate expressions (``hhsim.channels.expr.exp_sites`` and
``hhsim.physics.exp_sharing``).

* The sites found in the Traub-Miles channels (written as expressions, as Brian2's
  COBAHH writes them) have the slopes of the published rates, exactly, and only the
  relations those slopes allow are used (checked by hand from the formulas in
  Brette et al. 2007, benchmark 3).
* A site whose exponent is not linear in V with a numeric slope is never shared.
* Batches and networks computed with the shared exponentials agree with the same
  runs where every exponential is its own, to rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import hhsim
from hhsim.channels import expr
from hhsim.engine.batch import make_grid, run_batch
from hhsim.network import presets
from hhsim.network.simulate import simulate_network
from hhsim.physics import exp_sharing
from hhsim.physics.structure import lower

# Brette et al. (2007), benchmark 3, with v = V - VT (mV):
#   alpha_m = 0.32 (13 - v) / (exp((13 - v)/4) - 1)   beta_m = 0.28 (v - 40) / (exp((v - 40)/5) - 1)
#   alpha_h = 0.128 exp((17 - v)/18)                   beta_h = 4 / (1 + exp((40 - v)/5))
#   alpha_n = 0.032 (15 - v) / (exp((15 - v)/5) - 1)  beta_n = 0.5 exp((10 - v)/40)
# so the exponentials' slopes in V (1/mV) are:
PUBLISHED_SLOPES = {("m", 0): Fraction(-1, 4), ("m", 1): Fraction(1, 5), ("h", 0): Fraction(-1, 18),
                    ("h", 1): Fraction(-1, 5), ("n", 0): Fraction(-1, 5), ("n", 1): Fraction(-1, 40)}


def _sites(structure) -> dict[tuple[str, int], list[expr.ExpSite]]:
    out = {}
    for g in structure.gates:
        for which, code in enumerate(g.form_code):
            if code:
                out[(g.name, which)] = list(expr.exp_sites(expr.parse(code)))
    return out


def test_traub_miles_sites_have_the_published_slopes():
    plan = lower(hhsim.models.get("traub_miles"))
    sites = _sites(plan.structure)
    assert set(sites) == set(PUBLISHED_SLOPES)
    for form, found in sites.items():
        assert [s.slope for s in found] == [PUBLISHED_SLOPES[form]], form


def test_traub_miles_shares_what_its_slopes_allow():
    """-1/40 is the base: -1/4 = 10 x, -1/5 = 8 x (beta_h and alpha_n); +1/5 has the
    other sign and -1/18 is no whole multiple, so those two keep their own."""
    plan = lower(hhsim.models.get("traub_miles"))
    sharing = exp_sharing.find(plan.structure, plan.rp[:, 0])
    names = [g.name for g in plan.structure.gates]
    assert sharing is not None and len(sharing.bases) == 1
    powers = {(names[m.gate], m.which): m.power for m in sharing.forms}
    assert powers == {("n", 1): 1, ("m", 0): 10, ("h", 1): 8, ("n", 0): 8}
    for form, p in powers.items():
        assert PUBLISHED_SLOPES[form] == p * PUBLISHED_SLOPES[("n", 1)]


def test_only_linear_exponents_with_numeric_slopes_are_sites():
    def slopes(text):
        return [s.slope for s in expr.exp_sites(expr.parse(text))]

    assert slopes("exp(-(V + 65)/20) + 0.1*exp(-(V + 65)/10)") == [Fraction(-1, 20), Fraction(-1, 10)]
    assert slopes("0.1*linexp(V + 40, 10)") == [Fraction(-1, 10)]  # 1 - exp(-x/k)
    assert slopes("vtrap(p0 - V, 4)") == [Fraction(-1, 4)]
    assert slopes("exp(V*V/100)") == []  # not linear in V
    assert slopes("exp(-V/p0)") == []  # slope from a parameter
    assert slopes("vtrap(V + 40, p0)") == []
    assert slopes("exp(Ca_i*V)") == []  # reads a state besides V
    assert slopes("exp(p0 + 3)") == []  # constant in V: nothing to share


def _batch(plan, scale, t_stop=40.0):
    return run_batch(plan, [hhsim.stim.step(1.0)], make_grid(t_stop, 0.01), "expeuler", scale=scale,
                     record_every=10)


def _without_sharing(monkeypatch):
    monkeypatch.setattr(exp_sharing, "find", lambda structure, rp: None)
    import hhsim.engine.batch as batch
    import hhsim.network.simulate as network_simulate
    import hhsim.physics.structure as structure

    monkeypatch.setattr(batch, "groups", lambda s, rp: [(None, np.arange(rp.shape[1]))])
    monkeypatch.setattr(network_simulate, "find_exp_sharing", lambda s, rp: None)
    monkeypatch.setattr(structure, "find_exp_sharing", lambda s, rp: None)


def test_batch_with_shared_expression_exponentials_agrees(monkeypatch):
    n = 24
    scale = np.linspace(0.0, 12.0, n)
    shared_plan = lower([hhsim.models.get("traub_miles")] * n)
    assert shared_plan.structure.exp_sharing is not None
    shared = _batch(shared_plan, scale)
    _without_sharing(monkeypatch)
    direct_plan = lower([hhsim.models.get("traub_miles")] * n)
    assert direct_plan.structure.exp_sharing is None
    direct = _batch(direct_plan, scale)
    assert sum(len(s) for s in shared.spike_times) >= 40
    np.testing.assert_allclose(shared.v, direct.v, rtol=0, atol=1e-8)
    for a, b in zip(shared.spike_times, direct.spike_times):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_network_with_shared_expression_exponentials_agrees(monkeypatch):
    """A small COBAHH (Traub-Miles cells, one uniform population each) for 30 ms."""
    net = presets.cobahh(n=200, t_stop=30.0)
    shared = simulate_network(net)
    _without_sharing(monkeypatch)
    direct = simulate_network(net)
    total = 0
    for pop in ("E", "I"):
        (i_s, t_s), (i_d, t_d) = shared.spikes[pop], direct.spikes[pop]
        assert np.array_equal(i_s, i_d)
        np.testing.assert_allclose(t_s, t_d, rtol=0, atol=1e-9)
        total += len(t_s)
    assert total >= 20


def test_dopri5_run_constants_rebuild_each_sites_exponential():
    """The adaptive kernels' run constants (base slope, members' exp(c)) give back each
    member's exponential as the published formulas write it, VT = -63 mV (COBAHH)."""
    import mpmath

    mpmath.mp.dps = 40
    plan = lower(hhsim.models.get("traub_miles"))
    sharing = exp_sharing.find(plan.structure, plan.rp[:, 0])
    constants = exp_sharing.run_constants(plan.structure, sharing, plan.rp)[:, 0]
    slope, factors = constants[0], constants[1:]
    vt = mpmath.mpf(-63)
    intercepts = {("m", 0): (13 + vt) / 4, ("h", 1): (40 + vt) / 5, ("n", 0): (15 + vt) / 5,
                  ("n", 1): (10 + vt) / 40}
    names = [g.name for g in plan.structure.gates]
    for v in (mpmath.mpf(-80.5), mpmath.mpf(-37.25), mpmath.mpf(12)):
        for n, m in enumerate(sharing.forms):
            form = (names[m.gate], m.which)
            own = mpmath.exp(mpmath.mpf(PUBLISHED_SLOPES[form].numerator) / PUBLISHED_SLOPES[form].denominator * v
                             + intercepts[form])
            built = mpmath.exp(m.power * mpmath.mpf(slope) * v) * mpmath.mpf(factors[n])
            assert abs(built / own - 1) < 1e-14, form
