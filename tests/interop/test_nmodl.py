"""NMODL import: the test mod files (tests/interop/mod/, written here in the idioms of
ModelDB channels) parse and translate; each gate's steady state and time constant
agree, at several voltages and temperatures, with the formulas of the file written
out again below with NumPy (an evaluation independent of the parser and translator)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

import hhsim
from hhsim.channels import spec
from hhsim.channels.ions import ghk_factor, shell_influx_factor
from hhsim.errors import ModelError
from hhsim.interop.nmodl import ImportedPool, from_nmodl, load_mod

MOD = Path(__file__).parent / "mod"
V = np.array([-100.0, -80.0, -65.0, -55.0, -40.0, -39.99, -25.0, 0.0, 20.0, 45.0])  # mV; -55, -40: 0/0 points
TEMPS = (6.3, 22.0, 37.0)  # °C, NEURON's celsius


def q10(q, t, t0):
    return q ** ((t - t0) / 10.0)


def vtrap_ref(x, y):
    """x/(exp(x/y) - 1) with its limit y at x = 0 (as the files' vtrap)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        out = x / np.expm1(x / y)
    return np.where(np.abs(x / y) < 1e-12, y * (1 - x / y / 2), out)


def hh_rates(v):
    am, bm = 0.1 * vtrap_ref(-(v + 40), 10), 4 * np.exp(-(v + 65) / 18)
    ah, bh = 0.07 * np.exp(-(v + 65) / 20), 1 / (np.exp(-(v + 35) / 10) + 1)
    an, bn = 0.01 * vtrap_ref(-(v + 55), 10), 0.125 * np.exp(-(v + 65) / 80)
    return {"m": (am, bm), "h": (ah, bh), "n": (an, bn)}


def from_rates(a, b, phi):
    return a / (a + b), 1 / (phi * (a + b))


def expected(name, v, t, ca=1e-4):
    """{gate: (inf, tau at temperature t)} written from the mod files' formulas."""
    if name in ("nat", "kdr", "kdrx"):
        phi = q10(3, t, 6.3)
        r = hh_rates(v)
        gates = ("m", "h") if name == "nat" else ("n",)
        return {g: from_rates(*r[g], phi) for g in gates}
    if name == "kat":
        tadj = q10(2.3, t, 23)
        a_tau = (0.5 + 4 / (np.exp((v + 45) / 15) + np.exp(-(v + 80) / 20))) / tadj
        b_tau = np.maximum(50 * np.exp(-((v + 70) / 25) ** 2), 2.0) / tadj
        return {"a": (1 / (1 + np.exp(-(v + 50) / 12)), a_tau), "b": (1 / (1 + np.exp((v + 78) / 6)), b_tau)}
    if name == "kv3":
        with np.errstate(all="ignore"):
            a = (95 - v) / (np.exp(-(v - 95) / 11.8) - 1)
        return {"n": from_rates(a, 0.025 * np.exp(-v / 22.222), 1.0)}
    if name == "cat":
        tau_h = (30.8 + (211.4 + np.exp((v + 115.2) / 5)) / (1 + np.exp((v + 86) / 3.2))) / q10(3, t, 24)
        return {"m": (1 / (1 + np.exp(-(v + 59) / 6.2)), np.zeros_like(v)),
                "h": (1 / (1 + np.exp((v + 83) / 4)), tau_h)}
    if name == "hcn":
        tau = (20 + 1000 / (np.exp((v + 71.5) / 14.2) + np.exp(-(v + 89) / 11.6))) / q10(3, t, 36)
        return {"r": (1 / (1 + np.exp((v + 75) / 5.5)), tau)}
    if name == "kca":
        alpha = 48 * ca * ca
        return {"m": (np.full_like(v, alpha / (alpha + 0.03)), np.full_like(v, 1 / ((alpha + 0.03) * q10(3, t, 22))))}
    if name == "kht":
        qt = q10(3, t, 22)
        ntau = (100 / (11 * np.exp((v + 60) / 24) + 21 * np.exp(-(v + 60) / 23)) + 0.7) / qt
        ptau = (100 / (4 * np.exp((v + 60) / 32) + 5 * np.exp(-(v + 60) / 22)) + 5) / qt
        return {"n": ((1 + np.exp(-(v + 15) / 5)) ** -0.5, ntau), "p": (1 / (1 + np.exp(-(v + 23) / 6)), ptau)}
    if name == "km":
        tau = 4000 / (3.3 * np.exp((v + 35) / 20) + np.exp(-(v + 35) / 20)) / q10(2.3, t, 36)
        return {"p": (1 / (1 + np.exp(-(v + 35) / 10)), tau)}
    raise AssertionError(name)


CHANNELS = {  # file -> (suffix, ion, E, gbar in mS/cm² or cm/s, {gate: power})
    "nat.mod": ("nat", "na", 50.0, 120.0, {"m": 3, "h": 1}),
    "kdr.mod": ("kdr", "k", -77.0, 36.0, {"n": 4}),
    "kdr_explicit.mod": ("kdrx", "k", -77.0, 36.0, {"n": 4}),
    "ka.mod": ("kat", "k", -77.0, 10.0, {"a": 4, "b": 1}),
    "kv3.mod": ("kv3", "k", -77.0, 112.0, {"n": 2}),
    "cat.mod": ("cat", "ca", "ghk", 2e-4, {"m": 2, "h": 1}),
    "ih.mod": ("hcn", "", -40.0, 0.02, {"r": 1}),
    "kca.mod": ("kca", "k", -77.0, 10.0, {"m": 2}),
    "km.mod": ("km", "k", -77.0, 0.4, {"p": 1}),
    "kht.mod": ("kht", "k", -77.0, 15.92, {"n": 1, "p": 1}),  # powers in the conductance expression
}


@pytest.mark.parametrize("fname", sorted(CHANNELS))
def test_channel_structure(fname):
    suffix, ion, e, gbar, powers = CHANNELS[fname]
    ch = from_nmodl(MOD / fname)
    assert ch.name == suffix and ch.ion == ion
    assert {g.name: g.power for g in ch.gates} == powers
    assert ch.gbar == pytest.approx(gbar, rel=1e-12)
    if e == "ghk":
        assert ch.reversal == "ghk"
    else:
        assert ch.reversal == "fixed" and ch.E == e


@pytest.mark.parametrize("fname", sorted(CHANNELS))
@pytest.mark.parametrize("temp", TEMPS)
def test_rates_match_the_formulas_of_the_file(fname, temp):
    ch = from_nmodl(MOD / fname)
    ca = 3e-4
    env = dict(ch.params, Ca_i=ca, Ca_in=ca)
    want = expected(ch.name, V, temp, ca)
    phi = ch.phi(temp)
    assert set(want) == {g.name for g in ch.gates}
    for g in ch.gates:
        inf, tau = want[g.name]
        np.testing.assert_allclose(np.broadcast_to(g.steady_state(V, env), V.shape), inf, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(np.broadcast_to(g.time_constant(V, phi, env), V.shape), tau, rtol=1e-10)


def test_ghk_current_is_the_files():
    """The T-type current written in cat.mod (FARADAY, R, efun) in mA/cm², against
    hhsim's GHK channel (µA/cm²) at several voltages, concentrations and temperatures."""
    ch = from_nmodl(MOD / "cat.mod")
    faraday, gas = 96485.33212, 8.314462618  # NEURON's (faraday) (coulomb), (k-mole) (joule/degC)
    for t in (6.3, 36.0):
        for ci in (1e-4, 5e-3):
            z = 1e-3 * 2 * faraday * V / (gas * (t + 273.15))
            efun = lambda x: np.where(np.abs(x) < 1e-4, 1 - x / 2, x / np.expm1(np.where(x == 0, 1, x)))  # noqa: E731
            ica_mA = 2e-4 * 1e-3 * 2 * faraday * (ci * efun(-z) - 2.0 * efun(z))
            ours_uA = ch.gbar * ghk_factor(V, ci, 2.0, 2, t)
            np.testing.assert_allclose(ours_uA, 1e3 * ica_mA, rtol=1e-7)


def test_conductance_that_is_not_a_product_of_gates():
    """kht.mod: g = gkhtbar*(nf*n^2 + (1 - nf)*p) becomes hhsim's conductance expression."""
    ch = from_nmodl(MOD / "kht.mod")
    n, p = np.linspace(0, 1, 5)[:, None], np.linspace(0, 1, 7)[None, :]
    np.testing.assert_allclose(ch.open_fraction({"n": n, "p": p}), 0.85 * n ** 2 + 0.15 * p, rtol=1e-14)


def test_calcium_pool():
    pool = load_mod(MOD / "cad.mod")
    assert isinstance(pool, ImportedPool)
    assert pool.pool.ion == "ca"
    assert pool.pool.depth == pytest.approx(0.1) and pool.pool.tau == pytest.approx(5.0)
    assert pool.resting_mM == pytest.approx(2.4e-4)
    with pytest.raises(ModelError, match="ion pool"):
        from_nmodl(MOD / "cad.mod")


def test_calcium_pool_in_another_idiom():
    """capool.mod: other names and units, Faraday's constant as a number, the influx from a
    FUNCTION with IF/ELSE, the decay as a rate: the same pool form, its influx factor k
    (mM/ms per µA/cm²) the file's exactly."""
    out = load_mod(MOD / "capool.mod")
    assert isinstance(out, ImportedPool) and out.name == "capool"
    assert out.pool.ion == "ca" and out.pool.tau == pytest.approx(80.0, rel=1e-12)
    assert out.resting_mM == pytest.approx(5e-5, rel=1e-12)
    k_file = 1e4 / 0.2 / (2 * 96485.309) * 1e-3  # -i*1e4/(shell*2F) mM/ms per mA/cm², per µA/cm²
    assert shell_influx_factor("ca", out.pool.depth) == pytest.approx(k_file, rel=1e-10)


POOL = ("NEURON {{ SUFFIX p USEION ca READ ica WRITE cai RANGE depth, taur, cainf }}\n"
        "UNITS {{ (mA) = (milliamp) (mM) = (milli/liter) (um) = (micron) FARADAY = (faraday) (coulomb) }}\n"
        "PARAMETER {{ depth = 0.1 (um) taur = 20 (ms) cainf = 1e-4 (mM) }}\n"
        "ASSIGNED {{ ica (mA/cm2) }}\nSTATE {{ cai (mM) }}\nINITIAL {{ cai = cainf }}\n"
        "BREAKPOINT {{ SOLVE state METHOD cnexp }}\n"
        "DERIVATIVE state {{\n  cai' = {rhs}\n}}\n")


@pytest.mark.parametrize("rhs, fields", [
    ("-(10000)*ica/(2*FARADAY*depth) - (cai - cainf)/taur", {"clip": False, "rest": None}),
    ("-(10000)*ica/(2*FARADAY*depth) - cai/taur", {"clip": False, "rest": 0.0}),
    ("-(10000)*ica/(2*FARADAY*depth) - (cai - cainf)/taur - 0.01*cai/(cai + 0.001)",
     {"clip": False, "rest": None, "pump_vmax": 0.01, "pump_km": 0.001}),
])
def test_unclipped_and_pumped_pools_and_decay_to_zero_are_read(rhs, fields):
    """A pool whose influx is not clipped (an outward current removes the ion), that decays
    to 0 mM (starting where INITIAL sets it) or has a Michaelis-Menten pump: hhsim's
    IonPool with those options; its equation, evaluated, is the file's."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pool.mod"
        path.write_text(POOL.format(rhs=rhs))
        out = load_mod(path)
    assert isinstance(out, ImportedPool) and out.resting_mM == pytest.approx(1e-4, rel=1e-12)
    assert out.pool.tau == pytest.approx(20.0, rel=1e-12) and out.pool.depth == pytest.approx(0.1, rel=1e-12)
    for key, value in fields.items():
        assert getattr(out.pool, key) == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value)
    # dC/dt from the engine's physics against the file's right-hand side, written out here
    model = hhsim.interop.nmodl.with_mechanisms(hhsim.Model("p", (hhsim.channels.get("cat"),), temperature=6.3),
                                                [out])
    k = 1e4 / (2 * 96485.33212 * 0.1) * 1e-3  # mM/ms per µA/cm²
    for v in (-80.0, -30.0, 150.0):  # 150 mV: an outward calcium current
        for c in (2e-5, 1e-4, 3e-3):
            ph, _ = model._physics(np.array(v), [np.array(0.6), np.array(0.8)], {"Ca_i": np.array(c)})
            i_ca = ph["I"][0].item()
            want = -k * i_ca - (c - (0.0 if fields["rest"] == 0.0 else 1e-4)) / 20.0
            if "pump_vmax" in fields:
                want -= 0.01 * c / (c + 0.001)
            got = (ph["A"][2] - ph["B"][2] * c).item()
            assert got == pytest.approx(want, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("rhs, what", [
    ("-(10000)*ica/(2*FARADAY*depth) - 0.01*cai/(cai + 0.001)", "does not decay to a resting level"),
    ("-(10000)*ica/(2*FARADAY*depth) - cai*cai/taur", "decays in a way hhsim cannot read"),
    ("-(10000)*ica*cai/(2*FARADAY*depth) - (cai - cainf)/taur", "the equation of cai is not an influx of ica, a decay to rest"),
])
def test_pools_hhsim_cannot_hold_are_refused_with_their_line(rhs, what, tmp_path, capsys):
    """A pool with a pump and no decay, a decay that is not linear, or an influx that is not
    proportional to the current is not hhsim's IonPool: one line naming the equation's line."""
    from helpers.cli import cli_error

    path = tmp_path / "pool.mod"
    path.write_text(POOL.format(rhs=rhs))
    with pytest.raises(ModelError) as info:
        load_mod(path)
    msg = str(info.value)
    assert "\n" not in msg and what in msg and f"{path}:9" in msg
    _, line = cli_error(capsys, "import-mod", str(path))
    assert what in line and f"{path}:9" in line


def test_vtrap_singularities_are_exact():
    """At the 0/0 points of the files' rates (V = -40, -55 mV) the imported rates take
    the limit, and the TABLE statement changes nothing (the rates are computed exactly)."""
    nat, kdr = from_nmodl(MOD / "nat.mod"), from_nmodl(MOD / "kdr.mod")
    m = nat.gates[0]
    a, _ = m.rates(np.array([-40.0]))
    assert a[0] == pytest.approx(1.0, rel=1e-15)  # 0.1 * 10
    a, _ = kdr.gates[0].rates(np.array([-55.0]))
    assert a[0] == pytest.approx(0.1, rel=1e-15)  # 0.01 * 10
    # kv3.mod writes (95 - v)/(exp(-(v - 95)/11.8) - 1): limit 11.8 at 95 mV
    kv3 = from_nmodl(MOD / "kv3.mod")
    a, _ = kv3.gates[0].rates(np.array([95.0, 95.0 + 1e-9]))
    np.testing.assert_allclose(a, 11.8, rtol=1e-9)


def test_explicit_update_idiom_is_the_same_relaxation():
    implicit, explicit = from_nmodl(MOD / "kdr.mod"), from_nmodl(MOD / "kdr_explicit.mod")
    for t in TEMPS:
        for gi, ge in zip(implicit.gates, explicit.gates):
            np.testing.assert_allclose(ge.steady_state(V), gi.steady_state(V), rtol=1e-13)
            np.testing.assert_allclose(ge.time_constant(V, explicit.phi(t)), gi.time_constant(V, implicit.phi(t)),
                                       rtol=1e-13)


def test_from_nmodl_on_the_channels_package():
    assert hhsim.channels.from_nmodl(MOD / "km.mod") == from_nmodl(MOD / "km.mod")


def test_hh_from_mod_files_is_the_hh_preset():
    """nat.mod + kdr.mod + the preset's leak fire exactly as the hh preset (same equations)."""
    hh = hhsim.models.get("hh")
    leak = hh.channel("L")
    imported = hhsim.Model("hh_from_mod", [from_nmodl(MOD / "nat.mod"), from_nmodl(MOD / "kdr.mod"), leak])
    kw = dict(t_stop=60.0, method="dopri5", rtol=1e-10, atol=1e-10, dt=0.025)
    ref = hhsim.simulate(hh, hhsim.stim.step(10.0), **kw)
    got = hhsim.simulate(imported, hhsim.stim.step(10.0), **kw)
    assert len(ref.spike_times) >= 3
    np.testing.assert_allclose(got.spike_times, ref.spike_times, atol=1e-6)


# ------------------------------------------------------------ files written back
@pytest.mark.parametrize("fname", ["nat.mod", "ka.mod", "cat.mod", "kca.mod"])
def test_import_mod_writes_a_channel_file_that_reads_back(fname, tmp_path, capsys):
    from helpers.cli import run_cli

    out = tmp_path / "ch.toml"
    code, stdout, err = run_cli(capsys, "import-mod", str(MOD / fname), "--out", str(out))
    assert code == 0, err
    assert "wrote" in stdout
    back, orig = spec.load_channel(out), from_nmodl(MOD / fname)
    if orig.reversal != "fixed":  # E is NaN until a model resolves it
        back, orig = dataclasses.replace(back, E=0.0), dataclasses.replace(orig, E=0.0)
    assert back == orig


def test_rates_cli_lists_the_imported_gates(capsys):
    from helpers.cli import run_cli

    code, out, err = run_cli(capsys, "rates", "--model", "hh", "--channel", str(MOD / "nat.mod"),
                             "--channel", str(MOD / "cat.mod"), "--channel", str(MOD / "cad.mod"))
    assert code == 0, err
    for gate in ("Na.m", "nat.m", "nat.h", "cat.m", "cat.h"):
        assert any(line.split()[0] == gate for line in out.splitlines() if line.strip()), out


def test_channels_cli_shows_a_mod_file(capsys):
    from helpers.cli import run_cli

    code, out, err = run_cli(capsys, "channels", "--file", str(MOD / "kht.mod"))
    assert code == 0, err
    assert "gate n" in out and "gate p" in out and "nf" in out


def test_rates_cli_at_a_temperature(tmp_path, capsys):
    """`hhsim rates --channel ka.mod --temperature 30 --out`: the time constants with
    NEURON's celsius = 30 (tadj = 2.3^((30 - 23)/10)) and the steady states."""
    from helpers.cli import run_cli

    path = tmp_path / "rates.csv"
    code, _, err = run_cli(capsys, "rates", "--model", "hh", "--channel", str(MOD / "ka.mod"), "--temperature", "30",
                           "--vmin", "-100", "--vmax", "40", "--out", str(path))
    assert code == 0, err
    data = np.genfromtxt(path, delimiter=",", names=True)
    v = data["V_mV"]
    want = expected("kat", v, 30.0)
    for g in ("a", "b"):
        np.testing.assert_allclose(data[f"kat{g}_inf"] if f"kat{g}_inf" in data.dtype.names else data[f"kat.{g}_inf"],
                                   want[g][0], rtol=1e-8)
    cols = data.dtype.names
    tau_a = next(c for c in cols if c.startswith("kat") and c.endswith("a_tau_ms"))
    np.testing.assert_allclose(data[tau_a], want["a"][1], rtol=1e-8)


# ------------------------------------------------------------ bad input
BAD = {
    "net_receive": ("NEURON { SUFFIX x NONSPECIFIC_CURRENT i }\nPARAMETER { g = 1e-3 }\n"
                    "BREAKPOINT { i = g*(v + 70) }\nNET_RECEIVE (w) {\n  g = g + w\n}\n", 4, "NET_RECEIVE"),
    "verbatim": ("NEURON { SUFFIX x NONSPECIFIC_CURRENT i }\nPARAMETER { g = 1e-3 }\n"
                 "BREAKPOINT {\n  i = g*(v + 70)\n  VERBATIM\n  printf(\"hi\");\n  ENDVERBATIM\n}\n", 5, "VERBATIM"),
    "pointer": ("NEURON {\n  SUFFIX x\n  NONSPECIFIC_CURRENT i\n  POINTER pre\n}\nPARAMETER { g = 1e-3 }\n"
                "BREAKPOINT { i = g*(v + 70) }\n", 4, "POINTER"),
    "linear": ("NEURON { SUFFIX x NONSPECIFIC_CURRENT i }\nPARAMETER { g = 1e-3 }\nSTATE { a }\n"
               "BREAKPOINT { i = g*(v + 70) }\n\nLINEAR lin {\n  ~ a = 1\n}\n", 6, "LINEAR"),
    "loop": ("NEURON { SUFFIX x NONSPECIFIC_CURRENT i }\nPARAMETER { g = 1e-3 }\nASSIGNED { s }\n"
             "BREAKPOINT {\n  FROM j = 0 TO 3 { s = s + j }\n  i = g*(v + 70)\n}\n", 5, "FROM"),
    "voltage_in_conductance": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nPARAMETER { g = 1e-3 }\n"
                               "STATE { n p }\nBREAKPOINT {\n  SOLVE s METHOD cnexp\n"
                               "  ik = g*(0.5*n^2 + 0.5*p*v/100)*(v - ek)\n}\n"
                               "DERIVATIVE s { n' = (1 - n)/5  p' = (1 - p)/5 }\n", 4, "gates and constants only"),
    "two_currents": ("NEURON { SUFFIX x USEION k READ ek WRITE ik USEION na READ ena WRITE ina }\n"
                     "PARAMETER { g = 1e-3 }\nBREAKPOINT { ik = g*(v - ek) ina = g*(v - ena) }\n", None, "2 currents"),
    "celsius_in_rate": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nPARAMETER { g = 1e-3 }\nSTATE { n }\n"
                        "BREAKPOINT { SOLVE s METHOD cnexp ik = g*n*(v - ek) }\n"
                        "DERIVATIVE s {\n  n' = (1/(1 + exp(-(v + celsius)/5)) - n)/5\n}\n", 6, "celsius"),
    "unknown_function": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nPARAMETER { g = 1e-3 }\nSTATE { n }\n"
                         "BREAKPOINT { SOLVE s METHOD cnexp ik = g*n*(v - ek) }\n"
                         "DERIVATIVE s {\n  n' = (sin(v) - n)/5\n}\n", 6, "sin"),
    "no_suffix": ("NEURON { NONSPECIFIC_CURRENT i }\nBREAKPOINT { i = 1e-3*(v + 70) }\n", None, "SUFFIX"),
    "kinetic_cnexp": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nSTATE { c o }\n"
                      "BREAKPOINT {\n  SOLVE s METHOD cnexp\n  ik = 0.01*o*(v - ek)\n}\n"
                      "KINETIC s { ~ c <-> o (0.1, 0.2) }\n", 4, "a KINETIC block is solved with METHOD sparse"),
    "kinetic_flux": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nSTATE { c o }\n"
                     "BREAKPOINT { SOLVE s METHOD sparse ik = 0.01*o*(v - ek) }\n"
                     "KINETIC s {\n  ~ c <-> o (0.1, 0.2)\n  ~ o << (0.01)\n}\n", 6, "flux reaction"),
    "kinetic_celsius": ("NEURON { SUFFIX x USEION k READ ek WRITE ik }\nSTATE { c o }\n"
                        "BREAKPOINT { SOLVE s METHOD sparse ik = 0.01*o*(v - ek) }\n"
                        "KINETIC s {\n  ~ c <-> o (0.1*celsius, 0.2)\n}\n", 5, "celsius"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_refused_with_their_line(case, tmp_path):
    text, line, what = BAD[case]
    path = tmp_path / f"{case}.mod"
    path.write_text(text)
    with pytest.raises(ModelError) as info:
        from_nmodl(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert what in msg
    if line is not None:
        assert f"{path}:{line}" in msg


def test_kinetic_block_names_its_line(capsys):
    from helpers.cli import cli_error

    _, line = cli_error(capsys, "import-mod", str(MOD / "bad_kinetic.mod"))
    assert "bad_kinetic.mod:15" in line and "KINETIC" in line and "supported" in line


def test_kinetic_scheme_reads_as_its_states(tmp_path, capsys):
    """kv_scheme.mod's KINETIC block: one state per STATE, each reaction's kf from A to B and kb
    back (the PROCEDURE's rates, their Q10 factor the channel's), the open state in the
    conductance; its steady state (INITIAL's STEADYSTATE sparse) the null vector of its
    rate matrix written out here; its channel file reads back to the same channel."""
    from scipy.linalg import null_space

    from helpers.cli import run_cli
    from hhsim.channels.rates import rate_curves

    ch = from_nmodl(MOD / "kv_scheme.mod")
    assert [g.name for g in ch.gates] == ["c1", "c2", "c3", "c4", "o", "i"]
    assert (ch.q10, ch.q10_reference_c, ch.gbar, ch.conductance) == (3.0, 6.3, 36.0, "gbar * (o)")
    model = hhsim.Model("ks", (ch, hhsim.models.get("hh").channel("L")), temperature=16.3)
    for v in (-90.0, -60.0, -10.0):
        a = 3.0 * 0.01 * (v + 55) / (1 - math.exp(-(v + 55) / 10))
        b = 3.0 * 0.125 * math.exp(-(v + 65) / 80)
        q = np.zeros((6, 6))
        for k, (up, down) in enumerate(((4 * a, b), (3 * a, 2 * b), (2 * a, 3 * b), (a, 4 * b), (0.09, 0.03))):
            q[k + 1, k], q[k, k + 1] = up, down
        q -= np.diag(q.sum(axis=0))
        want = null_space(q)[:, 0]
        np.testing.assert_allclose(model.steady_states(v), want / want.sum(), rtol=1e-9, atol=1e-15)
        # `hhsim rates` lists each state: its stationary occupancy and its mean dwell time
        curves = rate_curves(model, np.array([v]))
        np.testing.assert_allclose([curves[f"kvs.{g.name}"]["inf"][0] for g in ch.gates], want / want.sum(),
                                   rtol=1e-9, atol=1e-15)
        assert curves["kvs.o"]["tau"][0] == pytest.approx(1.0 / (4 * b + 0.09), rel=1e-12)
    path = tmp_path / "kvs.toml"
    code, _, err = run_cli(capsys, "import-mod", str(MOD / "kv_scheme.mod"), "--out", str(path))
    assert code == 0, err
    assert spec.load_channel(path) == ch


def test_syntax_error_names_file_and_line(capsys):
    from helpers.cli import cli_error

    _, line = cli_error(capsys, "rates", "--channel", str(MOD / "bad_syntax.mod"))
    assert "bad_syntax.mod:10" in line and "syntax error" in line


def test_missing_file_and_pool_to_toml(tmp_path, capsys):
    from helpers.cli import cli_error

    _, line = cli_error(capsys, "import-mod", str(tmp_path / "none.mod"))
    assert "not found" in line
    _, line = cli_error(capsys, "import-mod", str(MOD / "cad.mod"), "--out", str(tmp_path / "pool.toml"))
    assert "pool" in line
    assert not (tmp_path / "pool.toml").exists()


def test_parser_is_not_imported_with_the_channels():
    import subprocess
    import sys

    code = "import sys, hhsim.channels; assert 'lark' not in sys.modules; hhsim.channels.from_nmodl; " \
           "assert 'lark' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


IDIOMS = """
TITLE idioms.mod   ELSE IF chains, && and a LOCAL set in one branch only
NEURON { SUFFIX idm USEION k READ ek WRITE ik RANGE gbar }
UNITS { PI = (pi) (1) }
PARAMETER { gbar = 0.002 (S/cm2) vh = -30 (mV) }
STATE { n }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) ninf ntau (ms) }
BREAKPOINT { SOLVE states METHOD cnexp ik = gbar*n*(v - ek) }
DERIVATIVE states { rates(v) n' = (ninf - n)/ntau }
PROCEDURE rates(v (mV)) { LOCAL t, s
    if (v == -35) { v = v + 0.0001 }  : a guard against 0/0 in older files
    ninf = 1/(1 + exp(-(v - vh)/9))
    if (v < -60) {
        t = 2*PI
        ntau = t
    } else if (v >= -60 && v < 0) {
        ntau = 4 + v/30
    } else {
        ntau = 4
    }
}
"""


def test_control_flow_idioms(tmp_path):
    path = tmp_path / "idioms.mod"
    path.write_text(IDIOMS)
    ch = from_nmodl(path)
    g = ch.gates[0]
    v = np.array([-90.0, -61.0, -60.0, -35.0, -30.0, -0.5, 0.0, 30.0])
    np.testing.assert_allclose(g.steady_state(v, ch.env), 1 / (1 + np.exp(-(v + 30) / 9)), rtol=1e-13)
    want_tau = np.where(v < -60, 2 * math.pi, np.where(v < 0, 4 + v / 30, 4.0))
    np.testing.assert_allclose(g.time_constant(v, 1.0, ch.env), want_tau, rtol=1e-13)
    assert ch.gbar == pytest.approx(2.0) and ch.q10 == 1.0


# ------------------------------------------------------------ files shipped with NEURON
def _neuron_share() -> Path | None:
    try:
        import neuron
    except ImportError:
        return None
    share = Path(neuron.__file__).parent / ".data" / "share"
    return share if share.is_dir() else None


def test_neuron_hh_mod_is_the_hh_preset():
    """NEURON's own hh.mod (shipped in the neuron wheel) writes three currents: one channel
    each, whose gates are those of hhsim's hh preset (written independently from the 1952
    paper) at every temperature."""
    share = _neuron_share()
    if share is None or not (share / "modfile" / "hh.mod").is_file():
        pytest.skip("the neuron package with its share/modfile/hh.mod is not installed")
    chans = load_mod(share / "modfile" / "hh.mod")
    assert [c.name for c in chans] == ["hh_na", "hh_k", "hh_l"]
    na, k, leak = chans
    hh = hhsim.models.get("hh")
    assert (na.gbar, na.E, k.gbar, k.E, leak.gbar, leak.E) == (120.0, 50.0, 36.0, -77.0, 0.3, -54.3)
    for ours, theirs in ((na, hh.channel("Na")), (k, hh.channel("K"))):
        for t in TEMPS:
            for g, ref in zip(ours.gates, theirs.gates):
                assert (g.name, g.power) == (ref.name, ref.power)
                np.testing.assert_allclose(g.steady_state(V), ref.steady_state(V), rtol=1e-12)
                np.testing.assert_allclose(g.time_constant(V, ours.phi(t)), ref.time_constant(V, theirs.phi(t)),
                                           rtol=1e-12)
    with pytest.raises(ModelError, match="3 currents"):
        from_nmodl(share / "modfile" / "hh.mod")


def test_every_mod_file_shipped_with_neuron_imports_or_is_refused_in_one_line(capsys):
    from helpers.cli import run_cli

    share = _neuron_share()
    files = sorted(share.rglob("*.mod")) if share is not None else []
    if not files:
        pytest.skip("no mod files shipped with an installed neuron package")
    imported = 0
    for path in files:
        code, out, err = run_cli(capsys, "channels", "--file", str(path))
        if code == 0:
            imported += 1
            continue
        assert code == 2, (path, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (path, err)
        assert f"{path}:" in lines[0], (path, err)
    assert imported >= 4  # hh, passive, and the HH demo channels at least
