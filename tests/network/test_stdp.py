"""Spike-timing-dependent plasticity (hhsim.network.synapses.stdp) in networks.

The reference is written here from the rule's equations (Song, Miller & Abbott
2000; Brian2's STDP example): the synapse's own timeline of presynaptic and
postsynaptic spikes, as each convention places them (axonal: pre at t_pre + d,
post at t_post; dendritic: pre at t_pre, post at t_post + d), with the traces
decayed and the weight changed and clipped event by event (Brian2's
``on_pre``/``on_post`` in time order).  The engine instead applies the
changes lazily at each delivery, NEST-style; the two must agree to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hhsim import stim
from hhsim.errors import ParameterError
from hhsim.network import Monitors, Network, Population, Projection, SpikeSource, simulate_network
from hhsim.network import simulate as netsim
from hhsim.network import toml_io
from hhsim.network.synapses import STDP, Exp, TsodyksMarkram

N = 24            # synapses per rule, one onto each postsynaptic cell
DELAY = 1.5       # ms
T_STOP = 90.0     # ms
POST_PULSES = (30.0, 55.0)  # ms: each cell's two stimulated spikes
CELL = "wang_buzsaki"  # one membrane for every network here (a type I cell: it fires at low rates)


def reference_weight(pre, post, d, convention, rule, w0, p, t_stop):
    """The final weight of one synapse from its spike trains, event by event.

    pre, post: spike times (ms) of the two neurons; d: the synaptic delay (ms);
    p: (tau_plus, tau_minus, A_plus, A_minus, w_max, w_min)."""
    tau_p, tau_m, A_p, A_m, wmax, wmin = p
    dend = d if convention == "dendritic" else 0.0
    axon = d - dend
    events = [(t + axon, 1) for t in pre if t + d < t_stop]        # delivered within the run
    events += [(t + dend, 0) for t in post if t + dend <= t_stop]  # reached the synapse by the end
    events.sort()  # at a tie the postsynaptic spike (0) first: delta t = 0 potentiates
    x = y = 0.0
    last = -math.inf
    w = w0
    for t, kind in events:
        if last > -math.inf:
            x *= math.exp(-(t - last) / tau_p)
            y *= math.exp(-(t - last) / tau_m)
        last = t
        if kind == 1:  # presynaptic: depression by the postsynaptic trace, then x += 1
            w -= A_m * ((w - wmin) if rule == "multiplicative" else wmax) * y
            w = min(max(w, wmin), wmax)
            x += 1.0
        else:          # postsynaptic: potentiation by the presynaptic trace, then y += 1
            w += A_p * ((wmax - w) if rule == "multiplicative" else wmax) * x
            w = min(max(w, wmin), wmax)
            y += 1.0
    return w


RULES = {  # name: (rule, convention, A_plus, A_minus, w_max, w_min, initial weight), weights mS/cm2
    "add_axonal": ("additive", "axonal", 0.01, 0.0105, 1e-3, 0.0, 5e-4),
    "add_dendritic": ("additive", "dendritic", 0.01, 0.0105, 1e-3, 0.0, 5e-4),
    "mult_axonal": ("multiplicative", "axonal", 0.05, 0.06, 1e-3, 0.0, 5e-4),
    "mult_dendritic": ("multiplicative", "dendritic", 0.05, 0.06, 1e-3, 0.0, 5e-4),
    # large steps between a lower and an upper bound: the clipping
    "clipped": ("additive", "dendritic", 0.6, 0.7, 1e-3, 2e-4, 6e-4),
}
TAU_PLUS, TAU_MINUS = 16.8, 33.7  # ms (Bi & Poo's windows, as Song et al.)


def _pre_times(k: int) -> list[list[float]]:
    """Presynaptic trains: spread so that the pairs cover -40 .. +40 ms around both post spikes."""
    rng = np.random.default_rng(100 + k)
    out = []
    for j in range(N):
        first = 8.0 + 70.0 * j / N
        out.append(sorted({round(first, 3), round(first + 5.0 + 10.0 * rng.random(), 3)}))
    return out


def _pair_network():
    pulses = stim.pulses(20.0, start=POST_PULSES[0], dur=1.0, period=POST_PULSES[1] - POST_PULSES[0], count=2)
    sources, projections = [], []
    for k, (name, (rule, conv, ap, am, wmax, wmin, w0)) in enumerate(RULES.items()):
        sources.append(SpikeSource(f"S{k}", n=N, times_ms=_pre_times(k)))
        projections.append(Projection(
            f"S{k}", "B", Exp(tau=5.0, E=0.0), connect="one_to_one", weight=w0, delay=DELAY, name=name,
            stdp=STDP(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS, A_plus=ap, A_minus=am, w_max=wmax, w_min=wmin,
                      rule=rule, delay=conv)))
    return Network(populations=[Population("B", CELL, n=N, stim=pulses)], sources=sources,
                   projections=projections, t_stop=T_STOP)


@pytest.fixture(scope="module")
def pair_run():
    net = _pair_network()
    return net, simulate_network(net)


@pytest.mark.parametrize("name", list(RULES))
def test_single_pairs_follow_the_closed_form(pair_run, name):
    net, r = pair_run
    rule, conv, ap, am, wmax, wmin, w0 = RULES[name]
    trains = r.trains("B")
    assert all(tr.size == 2 for tr in trains)  # each postsynaptic cell fires its two pulses only
    k = list(RULES).index(name)
    pre = _pre_times(k)
    d = r.weights[name]
    np.testing.assert_array_equal(d["pre"], np.arange(N))
    np.testing.assert_array_equal(d["post"], np.arange(N))
    expected = [reference_weight(pre[j], trains[j], DELAY, conv, rule, w0, (TAU_PLUS, TAU_MINUS, ap, am, wmax, wmin),
                                 T_STOP) for j in range(N)]
    np.testing.assert_allclose(d["w"], expected, rtol=1e-12, atol=1e-18)
    assert np.all(d["w"] >= wmin) and np.all(d["w"] <= wmax)
    assert np.ptp(d["w"]) > 0.1 * w0 * ap  # the pairs did change the weights, by different amounts


def test_one_pair_against_the_exponential_window(pair_run):
    """The textbook window itself: the first pairing of each synapse, a single pre spike
    against a single post spike, changes an additive weight by A_plus w_max exp(-dt/tau_plus)
    or -A_minus w_max exp(dt/tau_minus) with dt counted as each convention says."""
    net, _ = pair_run
    for name in ("add_axonal", "add_dendritic"):
        rule, conv, ap, am, wmax, wmin, w0 = RULES[name]
        k = list(RULES).index(name)
        # synapses whose only pre spike before the second pulse is the first, with the first post spike only
        one = Network(populations=net.populations, sources=[SpikeSource("S", n=N, times_ms=[[p[0]] for p in
                                                                                             _pre_times(k)])],
                      projections=[Projection("S", "B", Exp(tau=5.0, E=0.0), connect="one_to_one", weight=w0,
                                              delay=DELAY, name=name, stdp=net.projections[k].stdp)],
                      t_stop=POST_PULSES[1] - 5.0)
        r = simulate_network(one)
        assert all(tr.size == 1 for tr in r.trains("B"))
        t_post = np.array([tr[0] for tr in r.trains("B")])  # this run's own (the inputs move them a little)
        w = r.weights[name]["w"]
        t_pre = np.array([p[0] for p in _pre_times(k)])
        dt = t_post - (t_pre + DELAY) if conv == "axonal" else (t_post + DELAY) - t_pre
        closed = np.where(dt >= 0, w0 + ap * wmax * np.exp(-dt / TAU_PLUS), w0 - am * wmax * np.exp(dt / TAU_MINUS))
        reached = (t_pre + DELAY < one.t_stop) & ((t_post + (DELAY if conv == "dendritic" else 0)) <= one.t_stop)
        np.testing.assert_allclose(w[reached], closed[reached], rtol=1e-12)
        assert (dt[reached] > 0).any() and (dt[reached] < 0).any()


def test_the_conventions_differ_by_twice_the_delay(pair_run):
    """Dendritic minus axonal delta t is 2 d: the same trains, different weights."""
    _, r = pair_run
    assert not np.allclose(r.weights["add_axonal"]["w"], r.weights["add_dendritic"]["w"])


def test_short_term_plasticity_scales_the_plastic_weight():
    """Both act on one synapse: the conductance step of each event is the STDP weight
    (before its own depression) times the Tsodyks-Markram release u x."""
    U, tau_rec = 0.4, 300.0
    pre = [20.0, 40.0, 45.0, 70.0]
    rule = STDP(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS, A_plus=0.2, A_minus=0.25, w_max=1e-3, rule="additive")
    w0, tau = 4e-4, 5.0
    net = Network(populations=[Population("B", CELL, stim=stim.step(20.0, start=30.0, dur=1.0))],
                  sources=[SpikeSource("S", n=1, times_ms=pre)],
                  projections=[Projection("S", "B", Exp(tau=tau, E=0.0), weight=w0, delay=DELAY, name="p",
                                          stdp=rule, stp=TsodyksMarkram(U=U, tau_rec=tau_rec))],
                  monitors=Monitors(spikes="all", states={"B": [0]}, every_ms=0.025), t_stop=90.0)
    r = simulate_network(net, dt=0.025)
    t_post = r.trains("B")[0]
    assert t_post.size == 1
    # the conductance g = i_syn / V of the recorded cell (E = 0 mV), its steps at the deliveries
    g = r.i_syn["B"][:, 0] / r.v["B"][:, 0]
    steps = []
    for tp in pre:
        ta = tp + DELAY
        a = int(np.floor(ta / 0.025 + 1e-9))
        b = a + 1
        before = g[a] * math.exp(-(ta - r.t[a]) / tau)
        after = g[b] * math.exp((r.t[b] - ta) / tau)
        steps.append(after - before)
    # the reference: weights along the way and the release fractions
    p = (TAU_PLUS, TAU_MINUS, 0.2, 0.25, 1e-3, 0.0)
    expected = []
    x_res, last = 1.0, None
    for k, tp in enumerate(pre):
        ta = tp + DELAY
        w_before = reference_weight(pre[:k], t_post[t_post < ta], DELAY, "axonal", "additive", w0, p, ta)
        if last is not None:
            x_res = 1.0 - (1.0 - x_res) * math.exp(-(ta - last) / tau_rec)
        release = U * x_res
        x_res -= release
        last = ta
        expected.append(w_before * release)
    np.testing.assert_allclose(steps, expected, rtol=1e-6)
    final = reference_weight(pre, t_post, DELAY, "axonal", "additive", w0, p, 90.0)
    assert r.weights["p"]["w"][0] == pytest.approx(final, rel=1e-12)
    assert final != w0 and len(set(np.round(np.array(expected) / np.array(
        [reference_weight(pre[:k], t_post[t_post < tp + DELAY], DELAY, "axonal", "additive", w0, p, tp + DELAY)
         for k, tp in enumerate(pre)]), 9))) > 1  # the release fraction varies


def _song(seed: int = 3):
    """Song, Miller & Abbott (2000) as Brian2's STDP example sets it up: independent Poisson
    inputs at 15 Hz onto one cell through additive STDP with A_minus / A_plus = 1.05 and
    tau 20 ms, weights starting uniform in [0, w_max].  Here 200 inputs onto a Wang-Buzsaki
    cell with its leak reversal lowered to -85 mV (so that, like the example's
    integrate-and-fire cell 20 mV below threshold, it needs many coincident inputs to fire)
    and A_plus = 0.03 (3 times the example's) so that 100 s separate the weights."""
    rule = STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.03, A_minus=0.0315, w_max=0.008, rule="additive")
    return Network(populations=[Population("post", CELL, params={"EL": -85.0})],
                   sources=[SpikeSource("in", n=200, rate_hz=15.0)],
                   projections=[Projection("in", "post", Exp(tau=5.0, E=0.0), name="in", stdp=rule,
                                           weight={"dist": "uniform", "low": 0.0, "high": 0.008})],
                   t_stop=100000.0, seed=seed, method="expeuler", dt=0.1)


def test_song_abbott_miller_weights_go_bimodal():
    """Additive STDP with depression slightly stronger than potentiation drives the
    weights apart: they pile up near 0 and near w_max, the middle empties (Song et al.
    2000, Fig. 2b; Brian2's STDP example)."""
    r = simulate_network(_song())
    d = r.weights["in"]
    w = d["w"] / d["w_max"]
    assert np.all((w >= 0) & (w <= 1))
    hist = np.histogram(w, bins=10, range=(0.0, 1.0))[0]
    middle = hist[3:7].mean()
    # from uniform (20 per bin): both end bins above the middle, the middle below its start
    assert hist[0] > 1.5 * middle and hist[-1] > 1.2 * middle, hist
    assert np.mean((w > 0.3) & (w < 0.7)) < 0.3, hist
    assert r.summary()["plastic_synapses"]["in"]["n"] == 200
    assert 10 < r.rate("post") < 100


@pytest.fixture
def threads_used(monkeypatch):
    monkeypatch.setattr(netsim, "MIN_NODES_PER_THREAD", 64)
    monkeypatch.setattr(netsim, "MIN_STEPS_PER_THREADED_CALL", 10)
    used = []
    call = netsim._Runner._call

    def spy(self, n0, n1):
        used.append(self.threads if n1 - n0 >= netsim.MIN_STEPS_PER_THREADED_CALL else 1)
        return call(self, n0, n1)

    monkeypatch.setattr(netsim._Runner, "_call", spy)
    return used


def test_threads_give_the_same_weights(threads_used, monkeypatch):
    rule = STDP(A_plus=0.05, A_minus=0.055, w_max=0.004, delay="dendritic")
    net = Network(populations=[Population("B", CELL, n=140)], sources=[SpikeSource("in", n=40, rate_hz=40.0)],
                  projections=[Projection("in", "B", Exp(tau=5.0, E=0.0), connect={"p": 0.5},
                                          weight={"dist": "uniform", "low": 0.0, "high": 0.004},
                                          delay={"dist": "uniform", "low": 0.5, "high": 3.0},
                                          name="in", stdp=rule),
                               Projection("B", "B", Exp(tau=5.0, E=0.0), connect={"p": 0.05}, weight=0.001,
                                          delay=1.0, name="rec", stdp=rule)],
                  t_stop=300.0, method="expeuler", dt=0.1)
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        threads_used.clear()
        runs[n] = simulate_network(net)
        assert max(threads_used) == n
    assert runs[1].n_spikes("B") > 100
    for name in ("in", "rec"):
        np.testing.assert_array_equal(runs[1].weights[name]["w"], runs[2].weights[name]["w"])
    assert np.any(runs[1].weights["rec"]["w"] != 0.001)  # the recurrent weights moved too
    np.testing.assert_array_equal(runs[1].spikes["B"][1], runs[2].spikes["B"][1])


def test_weights_are_exported_and_drawn(pair_run, tmp_path):
    _, r = pair_run
    out = r.save(tmp_path / "run.npz")
    with np.load(out) as z:
        np.testing.assert_array_equal(z["add_axonal_w_mS_cm2"], r.weights["add_axonal"]["w"])
    fig = r.plot_weights(tmp_path / "w.png")
    assert (tmp_path / "w.png").stat().st_size > 1000 and len(fig.axes) == len(RULES)


def test_toml_round_trip():
    net = _pair_network().replace(monitors=Monitors(weights={"add_axonal": [0, 3]}, weights_every_ms=5.0))
    back = toml_io.loads(toml_io.dumps(net.replace(sources=[SpikeSource(s.name, n=s.n, rate_hz=5.0)
                                                             for s in net.sources])))
    assert [p.stdp for p in back.projections] == [p.stdp for p in net.projections]
    assert back.monitors.weights == {"add_axonal": [0, 3]} and back.monitors.weights_every_ms == 5.0


BAD = [
    (dict(w_min=0.002, w_max=0.001), "stdp bounds reversed: w_min = 0.002 must be < w_max = 0.001"),
    (dict(w_max=0.0), "stdp w_max must be > 0"),
    (dict(tau_plus=-5.0), "stdp tau_plus must be > 0 ms"),
    (dict(tau_minus=0.0), "stdp tau_minus must be > 0 ms"),
    (dict(A_plus=-0.1), "stdp A_plus"),
    (dict(rule="hebbian"), "unknown stdp rule 'hebbian'; accepted: additive, multiplicative"),
    (dict(delay="somatic"), "unknown stdp delay convention 'somatic'; accepted: axonal, dendritic"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_bad_rules_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ParameterError) as exc:
        STDP(**kwargs)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_stdp_where_it_makes_no_sense_is_refused():
    from hhsim.network.synapses import AMPA, ExpCurrent, Gap

    for syn in (Gap(), ExpCurrent(), AMPA()):
        with pytest.raises(ParameterError, match="STDP applies to the linear conductance synapses only"):
            Projection("A", "B", syn, stdp=STDP())
    net = _pair_network()
    bad = [Projection("S0", "B", Exp(), connect="one_to_one", weight=0.002, name="x", stdp=STDP(w_max=0.001))]
    with pytest.raises(ParameterError, match=r"must lie within the stdp bounds"):
        simulate_network(net.replace(projections=bad), t_stop=1.0)


def test_cli_refuses_reversed_bounds(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    f = tmp_path / "net.toml"
    f.write_text('[populations.B]\nmodel = "hh"\n[sources.S]\nrate_hz = 10.0\n[[synapses]]\npre = "S"\npost = "B"\n'
                 'weight = 0.001\nstdp = {w_min = 0.01, w_max = 0.005}\n')
    p = subprocess.run([str(Path(sys.executable).parent / "hhsim"), "network", str(f), "--t-stop", "5"], capture_output=True,
                       text=True)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "stdp bounds reversed" in p.stderr


def test_sampled_weights_are_those_of_a_run_stopped_there():
    """The weight monitor's sample at t holds every change up to t: with the axonal
    convention it equals the final weights of the same run stopped at t."""
    net = _pair_network()
    net = net.replace(projections=net.projections[:1], sources=net.sources[:1],
                      monitors=Monitors(spikes="all", weights={"add_axonal": "all"}, weights_every_ms=15.0))
    r = simulate_network(net)
    s = r.weight_samples["add_axonal"]
    np.testing.assert_allclose(s["t"], np.arange(0.0, T_STOP + 1e-9, 15.0))
    np.testing.assert_array_equal(s["index"], np.arange(N))
    np.testing.assert_array_equal(s["w"][0], RULES["add_axonal"][-1])
    np.testing.assert_array_equal(s["w"][-1], r.weights["add_axonal"]["w"])
    for k in (2, 4):  # 30 ms (at the first pulse) and 60 ms
        short = simulate_network(net.replace(t_stop=float(s["t"][k])))
        np.testing.assert_array_equal(s["w"][k], short.weights["add_axonal"]["w"])
    assert np.ptp(s["w"][-1] - s["w"][2]) > 0
    with pytest.raises(ParameterError, match="unknown plastic projection 'x' in monitors weights; accepted: "
                                             "add_axonal"):
        simulate_network(net.replace(monitors=Monitors(weights={"x": "all"})))


def test_long_trains_and_a_full_spike_history():
    """Hundreds of postsynaptic spikes between two presynaptic ones (the target's spike
    history wraps: its oldest spikes are counted before they are overwritten) and dense
    trains: every rule and convention still follows the event-by-event reference."""
    rng = np.random.default_rng(7)
    t_stop = 3000.0
    dense = np.sort(rng.uniform(5.0, t_stop - 10.0, 60)).round(3).tolist()
    trains = [[100.0, 2900.0], dense]
    rules = {f"{rule[:4]}_{conv}": (rule, conv) for rule in ("additive", "multiplicative")
             for conv in ("axonal", "dendritic")}
    projections, sources = [], [SpikeSource("S", n=2, times_ms=trains)]
    for name, (rule, conv) in rules.items():
        projections.append(Projection("S", "B", Exp(tau=5.0, E=0.0), connect="all", weight=5e-4, delay=DELAY,
                                      name=name, stdp=STDP(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS, A_plus=0.004,
                                                           A_minus=0.005, w_max=1e-3, rule=rule, delay=conv)))
    net = Network(populations=[Population("B", CELL, stim=stim.step(3.0, start=0.0, dur=t_stop))],
                  sources=sources, projections=projections, t_stop=t_stop)
    r = simulate_network(net)
    post = r.trains("B")[0]
    assert post.size > 2 * 128  # more than twice the history between 100 and 2900 ms
    for name, (rule, conv) in rules.items():
        d = r.weights[name]
        p = (TAU_PLUS, TAU_MINUS, 0.004, 0.005, 1e-3, 0.0)
        expected = [reference_weight(trains[j], post, DELAY, conv, rule, 5e-4, p, t_stop) for j in d["pre"]]
        np.testing.assert_allclose(d["w"], expected, rtol=1e-11, atol=1e-18)
