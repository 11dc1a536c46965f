"""Tutorial: add an A-type potassium current to the squid axon.

The transient potassium current I_A (Connor, Walter & McKown 1977) opens
quickly on depolarisation and inactivates within tens of milliseconds.  Here
we write it ourselves, in a few lines that read like the paper, add it to
Hodgkin and Huxley's squid axon, and look at what it does: it hyperpolarises
rest, raises the current needed to fire, and delays the first spike.

Run it::

    .venv/bin/python examples/a_current_tutorial.py            # numbers
    .venv/bin/python examples/a_current_tutorial.py --plot a.png

The rate functions are those of Dayan & Abbott, *Theoretical Neuroscience*
(2001), section 6.2 (V in mV, times in ms)::

    a_inf = (0.0761 exp(0.0314 (V + 94.22)) / (1 + exp(0.0346 (V + 1.17))))^(1/3)
    tau_a = 0.3632 + 1.158 / (1 + exp(0.0497 (V + 55.96)))
    b_inf = (1 / (1 + exp(0.0688 (V + 53.3))))^4
    tau_b = 1.24 + 2.678 / (1 + exp(0.0624 (V + 50)))
    I_A   = gA a^3 b (V - EA)

Each rate is an expression string: ``V``, numbers, + - * / **, and
functions such as exp, log, sqrt, linexp, vtrap (see
``hhsim.channels.expr``).  hhsim checks it (a whitelist; nothing is ever
passed to ``eval``), makes sure it is finite from -120 to +60 mV, and
compiles it into the same numba kernel as its built-in channels: your
channel runs exactly as fast as theirs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import hhsim
from hhsim.channels import Channel, Gate


def a_current(gbar: float = 20.0, E: float = -77.0) -> Channel:
    """The A-current, written from the paper (gA in mS/cm², EA in mV)."""
    return Channel(
        "A", gbar=gbar, E=E, ion="k",
        q10=3.0, q10_reference_c=18.0,  # the rates as written hold at 18 °C
        gates=[
            Gate("a", 3,
                 inf="(0.0761*exp(0.0314*(V + 94.22)) / (1 + exp(0.0346*(V + 1.17))))**(1/3)",
                 tau="0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"),
            Gate("b", 1,
                 inf="(1/(1 + exp(0.0688*(V + 53.3))))**4",
                 tau="1.24 + 2.678/(1 + exp(0.0624*(V + 50)))"),
        ],
        source="Connor JA, Walter D, McKown R (1977) Biophys J 18:81-102 (Dayan & Abbott 2001, 6.2)",
    )


def squid_with_a(gbar: float = 20.0) -> hhsim.Model:
    """The squid axon (``hh``) plus our A-current, EA = EK = -77 mV."""
    return hhsim.models.get("hh").with_channels(a_current(gbar))


def rheobase(model, lo: float = 0.0, hi: float = 60.0, t_stop: float = 200.0) -> float:
    """Smallest step current (µA/cm², to 0.05) that makes ``model`` spike within t_stop."""
    while hi - lo > 0.05:
        mid = 0.5 * (lo + hi)
        r = hhsim.simulate(model, hhsim.stim.step(mid, start=20.0), t_stop=t_stop)
        lo, hi = (lo, mid) if r.n_spikes else (mid, hi)
    return hi


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", default=None, help="write a figure (.png/.svg/.pdf)")
    args = ap.parse_args(argv)

    hh = hhsim.models.get("hh")
    ha = squid_with_a(20.0)
    print("1. The channel, as hhsim reads it:")
    from hhsim.cli.channel_cmds import describe_channel

    print("   " + describe_channel("A", a_current()).replace("\n", "\n   "))

    print("\n2. Resting potential: squid axon %.2f mV, with I_A %.2f mV"
          % (hh.resting_potential(), ha.resting_potential()))
    r0, r1 = rheobase(hh), rheobase(ha)
    print(f"3. Rheobase (200 ms step): {r0:.2f} -> {r1:.2f} µA/cm²")
    amp = 1.2 * r1
    a = hhsim.simulate(hh, hhsim.stim.step(amp, start=20.0), t_stop=150.0)
    b = hhsim.simulate(ha, hhsim.stim.step(amp, start=20.0), t_stop=150.0)
    print(f"4. First-spike latency at {amp:.1f} µA/cm²: {a.spike_times[0] - 20:.2f} ms without, "
          f"{b.spike_times[0] - 20:.2f} ms with I_A")

    # The same channel is in the library (hhsim.channels.get("cs_a")), written
    # with named constants.  Both go through the same code generator:
    builtin = hh.with_channels(hhsim.channels.get("cs_a", gbar=20.0, E=-77.0))
    c = hhsim.simulate(builtin, hhsim.stim.step(amp, start=20.0), t_stop=150.0)
    print(f"5. Our channel vs the library's: max |dV| = {np.max(np.abs(b.v - c.v)):.1e} mV")
    # The first run of a process also pays for compiling (or loading) the kernel and for
    # fresh recording memory, so each model is timed as the best of five 1 s runs.
    for label, model in (("library", builtin), ("ours", ha)):
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            hhsim.simulate(model, hhsim.stim.step(amp), t_stop=1000.0)
            times.append(time.perf_counter() - t0)
        print(f"   1 s of {label:7s}: {1e3 * min(times[1:]):.1f} ms (best of 5 after a first run)")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        ax1.plot(a.t, a.v, label="squid axon")
        ax1.plot(b.t, b.v, label="+ I_A")
        ax1.set_ylabel("V (mV)")
        ax1.legend()
        ax2.plot(b.t, b.currents["A"], color="C1")
        ax2.set_ylabel("I_A (µA/cm²)")
        ax2.set_xlabel("t (ms)")
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
