"""Seeds: the same seed gives the same network and spikes, whatever the number of
threads; another seed gives another network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from hhsim.network import PoissonInput, presets, simulate_network, synapses

SCRIPT = textwrap.dedent("""
    import json, sys
    from hhsim.network import PoissonInput, presets, simulate_network, synapses
    net = presets.cobahh(n=400, t_stop=100.0)
    net = net.replace(inputs=[PoissonInput("E", 20, 5.0, "1 nS", synapses.Exp(tau=5.0, E=0.0), name="exc")],
                      seed=int(sys.argv[1]))
    r = simulate_network(net)
    print(json.dumps({k: [v[0].tolist(), v[1].tolist()] for k, v in r.spikes.items()}))
""")


def _small(seed: int):
    net = presets.cobahh(n=400, t_stop=100.0)
    net = net.replace(inputs=[PoissonInput("E", 20, 5.0, "1 nS", synapses.Exp(tau=5.0, E=0.0), name="exc")],
                      seed=seed)
    return simulate_network(net)


def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = _small(3), _small(3), _small(4)
    assert a.n_synapses == b.n_synapses
    for pop in ("E", "I"):
        assert a.n_spikes(pop) > 0
        np.testing.assert_array_equal(a.spikes[pop][1], b.spikes[pop][1])
        np.testing.assert_array_equal(a.spikes[pop][0], b.spikes[pop][0])
    assert a.n_synapses != c.n_synapses or not np.array_equal(a.spikes["E"][1], c.spikes["E"][1])


def test_thread_count_changes_nothing():
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads, HHSIM_THREADS=threads, OMP_NUM_THREADS=threads)
        p = subprocess.run([sys.executable, "-c", SCRIPT, "5"], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        outs.append(json.loads(p.stdout))
    assert outs[0] == outs[1]
    assert sum(len(v[1]) for v in outs[0].values()) > 0
