"""Dormand-Prince 5(4) with step-size control, compiled: the default method.

An explicit embedded Runge-Kutta pair (the method of scipy's ``RK45`` and
MATLAB's ``ode45``) run entirely inside one compiled loop
(:mod:`hhsim.engine.solvers.dopri5_driver`, compiled once for every model;
the model's right-hand side is passed to it).  Each neuron
takes its own steps: small ones on the upstroke of a spike, large ones
between spikes, which is why it needs about a third of the right-hand-side
evaluations of fixed-step RK4 for better spike times.

How the loop treats the stimulus and the output:

* The current is known at knots, the ``dt`` grid plus every stimulus
  breakpoint, as its value just after each knot and its left limit at the
  next, and taken as linear in between: exact for steps, pulses and ramps
  wherever their edges fall.  Steps never cross a knot where the current
  jumps or breaks: they are shortened to land on it and restart there.
* Results are recorded on the ``dt`` grid by cubic Hermite interpolation of
  each accepted step (both end derivatives are known: first-same-as-last).
* Spike times are the threshold crossings of the same interpolant.

Error control: the usual mixed test ``|err_i| <= atol + rtol max(|y_i|,
|y_new_i|)`` in the RMS norm, safety factor 0.9, growth limited to [0.2, 10].
The default tolerances (1e-6) put every spike of the 200 ms ``hh``
benchmark within 1e-5 ms of a converged reference, and keep spike times
within 2e-5 ms for steps, pulses, ramps and sines wherever their edges
fall (at 1e-5 the pulse-train error reaches 2e-4 ms).
"""

from __future__ import annotations

import math

from .base import AdaptiveSolver

NAME = "dopri5"
RTOL = 1e-6
ATOL = 1e-6
H_MAX = 1.0  # ms
#: Below this step (ms) the equations are taken as too stiff to continue:
#: rates that fast (> 1e6 /ms) only arise far outside the physiological range
#: (a membrane driven to -400 mV), where an explicit method would crawl.
H_MIN = 1e-6
#: ln 1e-4: the floor of the previous step's error in the PI step control.
LOG_ERR_FLOOR = math.log(1e-4)

# Butcher tableau of Dormand & Prince (1980), RK5(4)7M: stage times, stage
# weights (row 7: the fifth-order solution), and the fifth- minus the
# fourth-order weights (the error estimate).
C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
E = (-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40)

SOLVER = AdaptiveSolver(NAME, 5, "Dormand-Prince 5(4), adaptive steps inside the compiled kernel")


def emit_stages(structure) -> list[str]:
    """Source of ``dopri_stages(Y, K, Yn, hs, I, P, atol, rtol, rhs)``, one model's part of a step.

    From the state ``Y`` = (V, x0, ..) and its derivative in row 0 of ``K``
    (a (7, n) block), it computes stages 2..7 with ``rhs(Yn, K, offset, I, P)``
    (the model's right-hand side at ``Yn`` into ``K[offset:]``, passed as a
    function value) at the stimuli ``I[0..5]``, the fifth-order solution into
    ``Yn`` and its derivative (the next step's first stage) into row 6 of
    ``K``; it returns the error norm.  Each stage's sums are written out for
    the model's states.  The right-hand side is called, not inlined: an
    inlined copy took 6 % off ``hh``'s run but added a quarter to a small
    model's first compiling and half to a 7-channel model's.  The loop
    around it is compiled once for every model (``dopri5_driver``).
    Instantaneous gates are left out of the error norm.
    """
    ns = structure.n_states + 1
    inst = {j for j, g in enumerate(structure.gates) if getattr(g, "instantaneous", False)}

    def combo(i: int, row) -> str:
        terms = " + ".join(f"{a!r} * K[{k * ns + i}]" for k, a in enumerate(row) if a != 0.0)
        return f"Y[{i}] + hs * ({terms})"

    lines = []
    for stage in range(1, 7):
        lines += [f"Yn[{i}] = {combo(i, A[stage])}" for i in range(ns)]
        lines.append(f"rhs(Yn, K, {stage * ns}, I[{stage - 1}], P)")
    err_terms = []
    for i in range(ns):
        if i - 1 in inst:
            continue
        e = " + ".join(f"{a!r} * K[{k * ns + i}]" for k, a in enumerate(E) if a != 0.0)
        lines.append(f"e{i} = hs * ({e}) / (atol + rtol * max(abs(Y[{i}]), abs(Yn[{i}])))")
        err_terms.append(f"e{i} * e{i}")
    lines.append(f"return math.sqrt(({' + '.join(err_terms)}) / {len(err_terms)})")
    return [
        "@njit(cache=True, error_model='numpy', fastmath={'contract'})",
        "def dopri_stages(Y, K, Yn, hs, I, P, atol, rtol, rhs):",
        '    """Stages 2..7 of a Dormand-Prince step of hs (ms) and its error norm (see dopri5.emit_stages)."""',
        *("    " + ln for ln in lines),
        "",
    ]
