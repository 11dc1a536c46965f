"""Dormand-Prince 5(4) with step-size control, compiled: the default method.

An explicit embedded Runge-Kutta pair (the method of scipy's ``RK45`` and
MATLAB's ``ode45``) run entirely inside the generated kernel.  Each neuron
takes its own steps: small ones on the upstroke of a spike, large ones
between spikes, which is why it needs about a third of the right-hand-side
evaluations of fixed-step RK4 for better spike times.

How the kernel treats the stimulus and the output:

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

from ..emit import instantaneous_values
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

_C = [0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
# Difference between the 5th- and 4th-order solutions (error estimate).
_E = [-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40]

SOLVER = AdaptiveSolver(NAME, 5, "Dormand-Prince 5(4), adaptive steps inside the compiled kernel")

PARAMS = "c, gbar, erev, phi, cm, rp"


def emit_kernel(structure) -> str:
    """Source of ``run_dopri5`` for a :class:`~hhsim.physics.structure.Structure`.

    States are the gates then any concentration pools.  Instantaneous gates
    are functions of V, not dynamics: they are left out of the error norm,
    reset from V after every accepted step and interpolated linearly.
    """
    ng = structure.n_states
    n_gates = structure.n_gates
    inst = {j for j, g in enumerate(structure.gates) if getattr(g, "instantaneous", False)}
    pools = {p.name: f"xn{n_gates + k}" for k, p in enumerate(getattr(structure, "pools", ()))}
    inst_lines = instantaneous_values(structure, "Vn", "xn", pools) if inst else []
    comps = ["V"] + [f"x{j}" for j in range(ng)]
    ns = ng + 1

    def combo(i: int, row: list[float]) -> str:
        terms = " + ".join(f"{a!r} * K{k + 1}[{i}]" for k, a in enumerate(row) if a != 0.0)
        return f"{comps[i]} + hs * ({terms})"

    lines = []
    for stage in range(2, 8):
        row = _A[stage - 1]
        args = ", ".join(combo(i, row) for i in range(ns))
        if stage == 7:
            lines += [f"{'Vn' if i == 0 else f'xn{i - 1}'} = {combo(i, row)}" for i in range(ns)]
            args = ", ".join(["Vn"] + [f"xn{j}" for j in range(ng)])
        tau = "te" if _C[stage - 1] == 1.0 else f"t + {_C[stage - 1]!r} * hs"
        left = "True" if _C[stage - 1] == 1.0 else "False"
        lines.append(f"K{stage} = rhs({args}, sc * _stim(kt, ka, kb, w, kc, {tau}, {left}), {PARAMS})")
    news = ["Vn"] + [f"xn{j}" for j in range(ng)]
    err_terms = []
    for i in range(ns):
        if i - 1 in inst:
            continue
        e = " + ".join(f"{a!r} * K{k + 1}[{i}]" for k, a in enumerate(_E) if a != 0.0)
        lines.append(f"e{i} = hs * ({e}) / (atol + rtol * max(abs({comps[i]}), abs({news[i]})))")
        err_terms.append(f"e{i} * e{i}")
    lines.append(f"err = math.sqrt(({' + '.join(err_terms)}) / {len(err_terms)})")
    stage_block = _indent(lines, 12)
    hermite = [
        "th = (tr - t) / hs",
        "th2 = th * th",
        "th3 = th2 * th",
        "h00 = 2.0 * th3 - 3.0 * th2 + 1.0",
        "h10 = th3 - 2.0 * th2 + th",
        "h01 = 3.0 * th2 - 2.0 * th3",
        "h11 = th3 - th2",
        "v_rec[r, c] = h00 * V + h10 * hs * K1[0] + h01 * Vn + h11 * hs * K7[0]",
        *[f"y_rec[r, {j}, c] = h00 * x{j} + h10 * hs * K1[{j + 1}] + h01 * xn{j} + h11 * hs * K7[{j + 1}]"
          if j not in inst else f"y_rec[r, {j}, c] = x{j} + th * (xn{j} - x{j})"
          for j in range(ng)],
    ]
    xs = "".join(f"x{j}, " for j in range(ng))
    return f'''
# the stimulus between knots: the fixed helper the network driver also uses
from hhsim.engine.network_kernels import stim_at as _stim


@njit(cache=True, error_model='numpy')
def _next_stop(kt, kj, w, t, t_end):
    """The first knot after t where the stimulus jumps or breaks (else the end of the run)."""
    row = kt[w]
    k = np.searchsorted(row, t, 'right') - 1
    if k < 0:
        k = 0
    for m in range(k, row.shape[0] - 1):
        if kj[w, m] and row[m + 1] > t:
            return min(row[m + 1], t_end)
    return t_end


@njit(cache=True, error_model='numpy', nogil=True, fastmath={{'contract'}})
def run_dopri5(v, y, gbar, erev, phi, cm, rp, wave, scale, kt, ka, kb, kj, dt, t0, n_steps,
               rec_every, v_rec, y_rec, thr, spk_t, spk_n, rtol, atol, h_max, lo, hi):
    """Adaptive Dormand-Prince 5(4) for neurons lo..hi-1; -1 on success, else the failing grid step.

    Each neuron is integrated alone (its own steps), so its result does not
    depend on which others share the call (thread chunks); the run stops at
    the first neuron (in index order) that fails, at its failing step.
    """
    max_spk = spk_t.shape[1]
    n_rec = v_rec.shape[0]
    t_end = t0 + n_steps * dt
    for c in range(lo, hi):
        w = wave[c]
        sc = scale[c]
        t = t0
        V = v[c]
{_indent([f"x{j} = y[{j}, c]" for j in range(ng)], 8)}
        kc = max(0, np.searchsorted(kt[w], t, 'right') - 1)
        K1 = rhs(V, {xs}sc * _stim(kt, ka, kb, w, kc, t, False), {PARAMS})
        h = min(h_max, 0.01)
        stop = _next_stop(kt, kj, w, t, t_end)
        r = 1
        log_prev = {LOG_ERR_FLOOR!r}
        while t < t_end:
            hs = h
            landing = False
            if t + hs >= stop - 1e-9 * dt:
                hs = stop - t
                landing = True
            elif hs < {H_MIN!r}:
                return int((t - t0) / dt)
            te = stop if landing else t + hs
{stage_block}
            if not (err <= 1.0):
                # rejected; a NaN/Inf error (a stage left the stable region) shrinks hard
                if hs < {H_MIN!r}:
                    return int((t - t0) / dt)
                h = hs * (0.1 if err != err or err > 1e300 else max(0.2, 0.9 * err ** -0.17))
                continue
            if not (abs(Vn) < 1e4):
                return int((t - t0) / dt)
{_indent(inst_lines, 12)}
            if V < thr[c] and Vn >= thr[c]:
                k = spk_n[c]
                if k < max_spk:
                    spk_t[c, k] = t + hs * hermite_crossing(V, Vn, hs * K1[0], hs * K7[0], thr[c])
                spk_n[c] = k + 1
            if rec_every > 0:
                while r < n_rec:
                    tr = t0 + r * rec_every * dt
                    if tr > te + 1e-9 * dt:
                        break
{_indent(hermite, 20)}
                    r += 1
            # PI step control (Hairer & Wanner's DOPRI5, beta = 0.04): growth
            # 0.9 err^-0.17 err_prev^0.04 with err_prev = max(previous err, 1e-4),
            # limited to [0.2, 10]; it damps the step-size chatter at the
            # stability limit of a stiff mode (a clamp through a series
            # resistance).  Below err = 8e-8 the limit applies anyway, which
            # skips the costly logarithm and exponential there.
            if err <= 8e-8:
                fac = 10.0
                log_prev = {LOG_ERR_FLOOR!r}
            else:
                log_err = math.log(err)
                fac = min(10.0, max(0.2, 0.9 * math.exp(-0.17 * log_err + 0.04 * log_prev)))
                log_prev = max(log_err, {LOG_ERR_FLOOR!r})
            h = min(h_max, max(h, hs * fac) if landing else hs * fac)
            t = te
            while kt[w, kc + 1] <= t:
                kc += 1
            V = Vn
{_indent([f"x{j} = xn{j}" for j in range(ng)], 12)}
            if landing:
                stop = _next_stop(kt, kj, w, t, t_end)
                K1 = rhs(V, {xs}sc * _stim(kt, ka, kb, w, kc, t, False), {PARAMS})
            else:
                K1 = K7
        v[c] = V
{_indent([f"y[{j}, c] = x{j}" for j in range(ng)], 8)}
    return -1
'''


def _indent(lines: list[str], n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in lines)
