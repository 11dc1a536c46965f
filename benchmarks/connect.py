"""Synapse-building benchmark: time and peak memory of every connection rule.

For about 1e6 and 1e7 synapses per rule (``hhsim.network.connect.connect``,
within one population where the rule allows it, autapses off):

* build time: wall time, best of several builds, and the process's CPU
  time of the best build (the machine is shared: CPU time is less disturbed
  by other work);
* bytes per synapse: peak of the memory traced by ``tracemalloc`` during
  one build (NumPy reports its buffers to it), divided by the number of
  synapses; the result itself takes 8 (two int32 arrays).  Target: < 50.

Peers for the pairwise rule, side by side (Brian2's synapse creation would
be the natural one, but Brian2 2.9 does not import with the NumPy installed
here): the plain NumPy ways of writing it, one Bernoulli row per pre neuron
in a Python loop, and one dense random matrix (1e6 only: 8 bytes per pair).

Usage::

    .venv/bin/python benchmarks/connect.py            # table
    .venv/bin/python benchmarks/connect.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from hhsim.network.connect import connect  # noqa: E402

TARGET_BYTES = 50.0

#: (label, rule, n_pre, n_post, same_population) for about 1e6 and 1e7 synapses.
CASES = {
    "1e6": [
        ("all", "all", 1001, 1000, False),
        ("one_to_one", "one_to_one", 10**6, 10**6, False),
        ("p=0.1", {"p": 0.1}, 3163, 3163, True),
        ("p=0.02", {"p": 0.02}, 7072, 7072, True),
        ("indegree=100", {"indegree": 100}, 10000, 10000, True),
        ("indegree=400 of 1000", {"indegree": 400}, 1000, 2500, False),
        ("outdegree=100", {"outdegree": 100}, 10000, 10000, True),
        ("total (1% of pairs)", {"total": 10**6}, 10000, 10000, True),
        ("total (40% of pairs)", {"total": 10**6}, 1582, 1582, True),
        ("explicit", "explicit", 3163, 3163, False),
    ],
    "1e7": [
        ("all", "all", 1000, 10000, False),
        ("one_to_one", "one_to_one", 10**7, 10**7, False),
        ("p=0.1", {"p": 0.1}, 10000, 10000, True),
        ("p=0.02", {"p": 0.02}, 22361, 22361, True),
        ("indegree=100", {"indegree": 100}, 100000, 100000, True),
        ("indegree=400 of 1000", {"indegree": 400}, 1000, 25000, False),
        ("outdegree=100", {"outdegree": 100}, 100000, 100000, True),
        ("total (1% of pairs)", {"total": 10**7}, 31623, 31623, True),
        ("total (40% of pairs)", {"total": 10**7}, 5000, 5000, True),
        ("explicit", "explicit", 10000, 10000, False),
    ],
}


def _explicit_rule(n_pre, n_post):
    """Explicit index arrays (those of a p = 0.1 build) to hand back to connect."""
    pre, post = connect({"p": 0.1}, n_pre, n_post, seed=3)
    return {"pre": pre, "post": post}


def _row_loop(p, n, seed):
    """Pairwise p written plainly: one Bernoulli row per pre neuron."""
    rng = np.random.default_rng(seed)
    posts = [np.flatnonzero(rng.random(n) < p) for _ in range(n)]
    pre = np.repeat(np.arange(n, dtype=np.int32), [x.size for x in posts])
    return pre, np.concatenate(posts).astype(np.int32)


def _dense(p, n, seed):
    """Pairwise p as one dense random matrix (8 bytes per pair)."""
    rng = np.random.default_rng(seed)
    pre, post = np.nonzero(rng.random((n, n)) < p)
    return pre.astype(np.int32), post.astype(np.int32)


def _measure(build, repeats):
    tracemalloc.start()
    try:
        pre, _ = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    n = pre.size
    del pre, _
    seconds = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        build()
        seconds = min(seconds, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return {"n_synapses": int(n), "seconds": seconds, "cpu_seconds": cpu, "bytes_per_synapse": peak / n,
            "ns_per_synapse": seconds / n * 1e9}


def run(sizes) -> list[dict]:
    rows = []
    for size in sizes:
        repeats = 3 if size == "1e6" else 2
        for label, rule, n_pre, n_post, same in CASES[size]:
            if rule == "explicit":
                rule = _explicit_rule(n_pre, n_post)
            print(f"  {size} {label} ...", file=sys.stderr, flush=True)
            row = _measure(lambda: connect(rule, n_pre, n_post, seed=1, same_population=same), repeats)
            rows.append({"size": size, "rule": label, "builder": "hhsim", **row})
            if label.startswith("p="):
                peers = [("numpy row loop", _row_loop)] + ([("numpy dense", _dense)] if n_pre * n_post <= 10**8 else [])
                for name, fn in peers:
                    print(f"  {size} {label} {name} ...", file=sys.stderr, flush=True)
                    peer = _measure(lambda: fn(rule["p"], n_pre, 1), repeats)
                    peer["ratio_to_hhsim"] = peer["seconds"] / row["seconds"]
                    rows.append({"size": size, "rule": label, "builder": name, **peer})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    parser.add_argument("--sizes", nargs="+", choices=sorted(CASES), default=sorted(CASES))
    args = parser.parse_args(argv)
    rows = run(args.sizes)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'size':>4}  {'rule':<22}{'builder':<16}{'synapses':>11}{'time s':>9}{'cpu s':>8}{'ns/syn':>8}"
          f"{'B/syn':>8}  {'peer/hhsim':>10}")
    for r in rows:
        ratio = f"{r['ratio_to_hhsim']:9.1f}x" if "ratio_to_hhsim" in r else ""
        print(f"{r['size']:>4}  {r['rule']:<22}{r['builder']:<16}{r['n_synapses']:>11}{r['seconds']:>9.3f}"
              f"{r['cpu_seconds']:>8.3f}{r['ns_per_synapse']:>8.1f}{r['bytes_per_synapse']:>8.1f}  {ratio:>10}")
    worst = max(r["bytes_per_synapse"] for r in rows if r["builder"] == "hhsim")
    print(f"worst hhsim peak: {worst:.1f} bytes per synapse (target < {TARGET_BYTES:g}): "
          f"{'met' if worst < TARGET_BYTES else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
