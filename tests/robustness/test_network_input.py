"""Class 5 (issue 24): every bad value in a network file or network description is one line.

A small network file that runs is spoiled one value at a time -- wrong
types and shapes, NaN, infinities, huge and tiny numbers, overflowing
distribution bounds -- and each spoiled file must end in hhsim's own error
(one line, naming where) before any kernel runs, or run cleanly; never a
TypeError, OverflowError or MemoryError from inside.
"""

from __future__ import annotations

import copy
import tomllib

import pytest
import tomli_w

from hhsim.errors import HHSimError
from hhsim.network import toml_io
from hhsim.network.network import Monitors, Network, PoissonInput, Population
from hhsim.network.simulate import simulate_network
from hhsim.network.synapses import make

BASE = """
name = "spoiled"
t_stop = 2.0
dt = 0.05
seed = 1

[populations.E]
model = "hh"
n = 4
threshold = -20.0
stim = "step(amp=10, start=0.5, dur=1)"
params = { gNa = 120.0 }
initial = { m = 0.05 }

[populations.C]
model = { length_um = 100.0, diam_um = 2.0, nseg = 3 }

[sources.S]
n = 3
rate_hz = 50.0

[sources.T]
n = 2
times_ms = [0.5, 1.0]

[[synapses]]
pre = "E"
post = "E"
kind = "exp"
tau = 5.0
connect = { p = 0.5 }
weight = 0.001
delay = 1.0

[[synapses]]
pre = "S"
post = "E"
kind = "biexp"
tau_rise = 0.5
tau_decay = 3.0
weight = 0.01

[[inputs]]
target = "E"
n_inputs = 10
rate_hz = 100.0
weight = 0.01

[[noise]]
target = "E"
std = 1.0
tau = 5.0

[monitors]
spikes = ["E"]
states = { E = [0, 1] }
every_ms = 0.1
"""

BAD = {
    "text": "x", "huge": 1e300, "-huge": -1e300, "nan": float("nan"), "inf": float("inf"), "-1": -1,
    "tiny": 5e-324, "bool": True, "empty list": [], "list": [1, 2], "table": {"a": 1}, "nested": [[1]],
    "big int": 10**18, "-big int": -10**18, "names": ["a"], "big unit": "1e300 nS", "1e15": 1e15,
    "huge list": [1e300], "mixed": [[0.5, "x"]], "normal overflow": {"dist": "normal", "mean": 1e308, "std": 1e308},
    "uniform overflow": {"dist": "uniform", "low": -1e308, "high": 1e308},
}


def _paths(d, pre=()):
    for k, v in d.items():
        yield pre + (k,)
        if isinstance(v, dict):
            yield from _paths(v, pre + (k,))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for i, x in enumerate(v):
                yield from _paths(x, pre + (k, i))
        elif isinstance(v, list) and v:
            yield pre + (k, 0)


def _set(d, path, value):
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def _spoiled():
    base = tomllib.loads(BASE)
    for path in _paths(base):
        for label, value in BAD.items():
            d = copy.deepcopy(base)
            _set(d, path, value)
            yield f"{'.'.join(map(str, path))}={label}", d


SECTIONS = ["populations.E", "populations.C", "sources", "synapses", "inputs", "noise", "monitors", "top"]


def _section(case: str) -> str:
    for s in SECTIONS[:-1]:
        if case.startswith(s):
            return s
    return "top"


@pytest.mark.parametrize("section", SECTIONS)
def test_every_spoiled_value_is_one_line_or_runs(section):
    """Every value of the file, replaced by each bad value: hhsim's error, one line, or a clean run."""
    failures = []
    for case, data in _spoiled():
        if _section(case) != section:
            continue
        try:
            net = toml_io.loads(tomli_w.dumps(data))
            simulate_network(net)
        except HHSimError as exc:
            text = str(exc)
            if "\n" in text or len(text) > 480 or "Traceback" in text:
                failures.append(f"{case}: not one short line: {text[:200]}")
        except Exception as exc:  # noqa: BLE001 - the point of the test
            failures.append(f"{case}: {type(exc).__name__}: {str(exc)[:120]}")
    assert failures == []


def test_the_base_file_runs():
    r = simulate_network(toml_io.loads(BASE))
    assert r.sizes == {"E": 4, "C": 1}


@pytest.mark.parametrize("value, needle", [(float("nan"), "finite"), ("x", "number"), ([1], "number")])
def test_threshold_must_be_a_number(value, needle):
    with pytest.raises(HHSimError, match=needle):
        Population("E", "hh", n=2, threshold=value)


def test_a_negative_poisson_weight_is_refused_like_a_projection_weight():
    with pytest.raises(HHSimError, match="weight -0.01 must be >= 0"):
        PoissonInput("E", 10, 100.0, -0.01, make("exp"))


def test_a_1e15_hz_source_is_refused():
    text = BASE.replace("rate_hz = 50.0", "rate_hz = 1e15")
    with pytest.raises(HHSimError, match="rate_hz = 1e.15 Hz is out of range; accepted: >= 0 Hz and <= 100000 Hz"):
        toml_io.loads(text)


def test_spikes_as_one_name_is_that_population():
    assert Monitors(spikes="exc").spikes == ["exc"]
    r = simulate_network(toml_io.loads(BASE.replace('spikes = ["E"]', 'spikes = "E"')))
    assert r.spikes_recorded("E") and not r.spikes_recorded("C")


def test_a_population_left_out_of_the_spike_monitor_is_not_reported_as_silent():
    net = toml_io.loads(BASE)
    r = simulate_network(net)
    s = r.summary()["populations"]["C"]
    assert s["spikes_recorded"] is False and s["n_spikes"] is None and s["rate_hz"] is None
    with pytest.raises(HHSimError, match="were not recorded"):
        r.rate("C")


def test_neurons_count_in_the_network_memory_estimate():
    net = Network(populations=[Population("E", "hh", n=10**8)], t_stop=1.0)
    with pytest.raises(HHSimError, match="most of it for the neurons"):
        simulate_network(net)


def test_huge_integers_are_shortened_in_messages():
    with pytest.raises(HHSimError) as err:
        Population("E", "hh", n=10**300)
    assert "301 digits" in str(err.value) and len(str(err.value)) < 200


def test_a_negative_seed_is_refused():
    with pytest.raises(HHSimError, match="seed"):
        Network(populations=[Population("E", "hh")], seed=-1)
