"""SWC reader benchmark: a morphology of 1e6 samples, read, checked and turned into sections.

The file is written by the script: an unbranched chain of dendrite samples
0.5 µm apart with a one-sample soma (the case that took quadratic time
before), and a binary tree of the same size (a branch point every 8
samples).  Side by side: ``hhsim.cable.read_swc`` (parse, check ids,
parents, roots and cycles, build the sections with their frusta) and, as the
floor for reading the numbers at all, ``numpy.loadtxt`` of the same file;
the ratio is printed.  Also the discretisation of the chain into
compartments (``Morphology`` -> areas and resistances), which used to be
quadratic in the samples per section.

And a star: ``--star`` sections of two samples each hanging off one soma
(issue 24: 2,000 sections took 19 s and 5,000 took 165 s to lower and
solve for rest, quadratic).  Read, then lowered and simulated for 0.5 ms
(``simulate_cable``, the squid axon's channels), at a tenth of the size and
at full size: the ratio of the times per section shows the growth (1 is
linear; target: the full star within seconds).

Usage::

    .venv/bin/python benchmarks/swc_reader.py            # 1e6 samples
    .venv/bin/python benchmarks/swc_reader.py --n 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402


def write_chain(path: Path, n: int) -> None:
    ids = np.arange(1, n + 1)
    x = 0.5 * ids
    with open(path, "w") as fh:
        fh.write("# benchmark: an unbranched dendrite\n1 1 0 0 0 10 -1\n")
        rows = np.column_stack([ids[1:], np.full(n - 1, 3), x[1:], np.zeros(n - 1), np.zeros(n - 1),
                                np.full(n - 1, 0.5), ids[:-1]])
        np.savetxt(fh, rows, fmt=["%d", "%d", "%.3f", "%.1f", "%.1f", "%.2f", "%d"])


def write_tree(path: Path, n: int) -> None:
    """A binary tree: every 8th sample has two children, the others one."""
    ids = np.arange(1, n + 1)
    parent = np.empty(n, dtype=np.int64)
    parent[0] = -1
    # sample k's parent: the previous sample, except that each run of 8 hangs off a branch point
    run = (ids - 2) // 8
    parent[1:] = np.where((ids[1:] - 2) % 8 == 0, 1 + 8 * ((run[1:] - 1) // 2) + 1, ids[1:] - 1)
    parent[1:9] = np.arange(1, 9)
    xyz = np.column_stack([ids * 0.7, (ids % 13) * 0.3, (ids % 5) * 0.2])
    with open(path, "w") as fh:
        rows = np.column_stack([ids, np.where(ids == 1, 1, 3), xyz, np.where(ids == 1, 10.0, 0.4), parent])
        np.savetxt(fh, rows, fmt=["%d", "%d", "%.2f", "%.2f", "%.2f", "%.2f", "%d"])


def write_star(path: Path, n_sections: int) -> None:
    """A soma with ``n_sections`` dendrites of two samples each, spread round it."""
    angle = 2 * np.pi * np.arange(n_sections) / n_sections
    ids = 2 + 2 * np.arange(n_sections)
    rows = [np.array([[1, 1, 0.0, 0.0, 0.0, 10.0, -1]])]
    for j, parent in ((0, np.ones(n_sections)), (1, ids)):
        r = 15.0 + 5.0 * j
        rows.append(np.column_stack([ids + j, np.full(n_sections, 3), r * np.cos(angle), r * np.sin(angle),
                                     0.001 * np.arange(n_sections), np.full(n_sections, 0.5), parent]))
    table = np.vstack(rows)
    with open(path, "w") as fh:
        np.savetxt(fh, table[np.argsort(table[:, 0])], fmt=["%d", "%d", "%.3f", "%.3f", "%.3f", "%.2f", "%d"])


def star_times(path: Path, n_sections: int) -> tuple[float, float]:
    """(read s, lower and simulate 0.5 ms s) of a star of ``n_sections``."""
    import time

    from hhsim.cable import simulate_cable
    from hhsim.cable.swc import read_swc

    write_star(path, n_sections)
    t0 = time.perf_counter()
    morph = read_swc(path)
    t1 = time.perf_counter()
    simulate_cable(morph, "hh", t_stop=0.5)
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="samples per file (default 1e6)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--star", type=int, default=20_000, help="sections of the star (default 20,000; 0: none)")
    args = ap.parse_args()

    from hhsim.cable.swc import read_swc

    with tempfile.TemporaryDirectory() as tmp:
        for kind, writer in (("chain", write_chain), ("tree", write_tree)):
            path = Path(tmp) / f"{kind}.swc"
            writer(path, args.n)
            t_hhsim = best_of(lambda: read_swc(path), args.repeats)
            t_numpy = best_of(lambda: np.loadtxt(path, comments="#"), args.repeats)
            m = read_swc(path)
            print(f"{kind:5s} {args.n:9d} samples, {len(m.sections):7d} sections: hhsim read_swc {t_hhsim:6.2f} s, "
                  f"numpy.loadtxt (numbers only) {t_numpy:6.2f} s, ratio {t_hhsim / t_numpy:5.2f}")
            if kind == "chain":
                sec = m.sections[1]
                t_comp = best_of(lambda: sec.compartments(1000, 35.4), args.repeats)
                print(f"      compartments of the {len(sec.profile)}-point section into 1000: {t_comp:6.3f} s")
        if args.star:
            small = max(1, args.star // 10)
            star_times(Path(tmp) / "warm.swc", small)  # kernels compiled
            per_section = []
            for n in (small, args.star):
                t_read, t_sim = star_times(Path(tmp) / "star.swc", n)
                per_section.append((t_read + t_sim) / n)
                print(f"star  {n:9d} sections: read {t_read:6.2f} s, lower + simulate 0.5 ms {t_sim:6.2f} s")
            print(f"      time per section, full star / a tenth of it: {per_section[1] / per_section[0]:.2f} "
                  "(1 = linear growth)")


if __name__ == "__main__":
    main()
