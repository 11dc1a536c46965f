"""Rate functions against voltage: the teaching view of every gate of a model.

For each gate: the opening and closing rates alpha(V), beta(V) (1/ms), the
steady state x_inf(V) and the time constant tau_x(V) (ms), at the model's
temperature (the channel's Q10 factor applied).  For a gate given by
inf/tau the equivalent rates are alpha = x_inf/tau, beta = (1 - x_inf)/tau;
an instantaneous gate has tau = 0 (and no rates); a state of a kinetic scheme has its
stationary occupancy as ``inf`` and its mean dwell time as ``tau`` (and no rates).
Calcium-dependent gates
are evaluated at the resting intracellular concentration unless
``concentrations`` says otherwise.

>>> import hhsim
>>> from hhsim.channels.rates import rate_curves
>>> curves = rate_curves(hhsim.models.get("hh"))
>>> sorted(curves["Na.m"])
['alpha', 'beta', 'inf', 'instantaneous', 'tau']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import OutputError, ParameterError
from ..validate import number

V_RANGE = (-120.0, 60.0)
#: Widest voltage axis (mV, either sign): as far as a model's reversal potentials may go (a grid from
#: -1e300 to 1e300 mV asked NumPy for more points than it can count).
MAX_ABS_MV = 1000.0


def voltage_grid(vmin: float = V_RANGE[0], vmax: float = V_RANGE[1], step: float = 0.25) -> np.ndarray:
    vmin = number(vmin, "vmin", unit="mV", lo=-MAX_ABS_MV, hi=MAX_ABS_MV)
    vmax = number(vmax, "vmax", unit="mV", lo=-MAX_ABS_MV, hi=MAX_ABS_MV)
    if not vmin < vmax:
        raise ParameterError(f"need vmin < vmax (got {vmin:g}, {vmax:g} mV)")
    n = int(round((vmax - vmin) / step)) + 1
    return np.linspace(vmin, vmax, max(n, 2))


def rate_curves(model, v=None, concentrations: dict | None = None) -> dict[str, dict]:
    """``"Channel.gate"`` -> {"alpha", "beta", "inf", "tau", "instantaneous"} on the grid ``v`` (mV)."""
    v = voltage_grid() if v is None else np.asarray(v, dtype=float)
    dyn = {}
    for p in model.pools:
        dyn[p.state_name] = model.concentration[f"{p.prefix}_in"]
    dyn.update(concentrations or {})
    env = model._env(dyn)
    out = {}
    with np.errstate(all="ignore"):
        for ch in model.channels:
            e = dict(env)
            e.update(ch.params)
            phi = ch.phi(model.temperature)
            schemes = _scheme_curves(ch, v, phi, e)
            for g in ch.gates:
                if g.name in schemes:
                    out[f"{ch.name}.{g.name}"] = schemes[g.name]
                    continue
                inf = np.broadcast_to(g.steady_state(v, e), v.shape).astype(float)
                if g.instantaneous:
                    tau = np.zeros(v.shape)
                    if g.alpha is not None:  # x = alpha / (alpha + beta) at every moment
                        alpha = np.broadcast_to(g.alpha(v, e), v.shape).astype(float)
                        beta = np.broadcast_to(g.beta(v, e), v.shape).astype(float)
                    else:
                        alpha = beta = np.full(v.shape, np.nan)
                else:
                    tau = np.broadcast_to(g.time_constant(v, phi, e), v.shape).astype(float)
                    a, b = g.rates(v, phi, e)
                    alpha = np.broadcast_to(a, v.shape).astype(float)
                    beta = np.broadcast_to(b, v.shape).astype(float)
                out[f"{ch.name}.{g.name}"] = {
                    "alpha": alpha, "beta": beta, "inf": inf, "tau": tau, "instantaneous": g.instantaneous,
                }
    return out


def _scheme_curves(ch, v, phi: float, env: dict) -> dict[str, dict]:
    """The states of a channel's kinetic schemes: ``inf`` the stationary occupancy at V,
    ``tau`` the mean dwell time in the state (1 / the sum of its outgoing rates, ms); no
    alpha and beta (a state of several transitions is no two-state gate)."""
    from .scheme import SchemeState, generator, stationary

    groups: dict[str, list] = {}
    for g in ch.gates:
        if isinstance(g, SchemeState):
            groups.setdefault(g.scheme, []).append(g)
    out = {}
    for members in groups.values():
        q = generator(members, v, phi, env)
        occ = stationary(q)
        for k, g in enumerate(members):
            with np.errstate(divide="ignore"):
                tau = 1.0 / -q[k, k]
            out[g.name] = {"alpha": np.full(v.shape, np.nan), "beta": np.full(v.shape, np.nan),
                           "inf": np.broadcast_to(occ[k], v.shape).astype(float),
                           "tau": np.broadcast_to(tau, v.shape).astype(float), "instantaneous": False}
    return out


def rate_table(model, v=None) -> dict[str, np.ndarray]:
    """Columns for a CSV: ``V_mV`` then ``<gate>_alpha_per_ms``, ``_beta_per_ms``, ``_inf``, ``_tau_ms``."""
    v = voltage_grid() if v is None else np.asarray(v, dtype=float)
    cols = {"V_mV": v}
    for name, c in rate_curves(model, v).items():
        cols[f"{name}_alpha_per_ms"] = c["alpha"]
        cols[f"{name}_beta_per_ms"] = c["beta"]
        cols[f"{name}_inf"] = c["inf"]
        cols[f"{name}_tau_ms"] = c["tau"]
    return cols


def summary(model, v=None) -> list[dict]:
    """Per gate: V where x_inf = 1/2 (mV, None if not crossed), the largest tau and where."""
    v = voltage_grid() if v is None else np.asarray(v, dtype=float)
    rows = []
    for name, c in rate_curves(model, v).items():
        inf = c["inf"]
        half = None
        s = np.nonzero(np.diff(np.sign(inf - 0.5)) != 0)[0]
        if s.size:
            i = s[0]
            half = float(v[i] + (0.5 - inf[i]) * (v[i + 1] - v[i]) / (inf[i + 1] - inf[i]))
        tau = c["tau"]
        k = int(np.nanargmax(tau)) if np.any(np.isfinite(tau)) else 0
        rows.append({
            "gate": name, "v_half_mV": half,
            "rising": bool(inf[-1] > inf[0]),
            "tau_max_ms": float(tau[k]), "at_mV": float(v[k]), "instantaneous": c["instantaneous"],
        })
    return rows


def plot_rates(model, path, v=None) -> Path:
    """Figure: one row per gate; columns alpha/beta, x_inf, tau against V.  Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_write

    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise OutputError(f"cannot write {str(path)!r}: use a .png, .svg or .pdf file name")
    v = voltage_grid() if v is None else np.asarray(v, dtype=float)
    curves = rate_curves(model, v)
    n = max(1, len(curves))
    fig, axes = plt.subplots(n, 3, figsize=(11, 2.2 * n + 0.8), squeeze=False, sharex=True)
    for row, (name, c) in zip(axes, curves.items()):
        a_ax, i_ax, t_ax = row
        if c["instantaneous"]:
            t_ax.text(0.5, 0.5, "instantaneous:\nx = x_inf(V), tau = 0", ha="center", va="center",
                      transform=t_ax.transAxes)
        else:
            t_ax.plot(v, c["tau"], color="C3")
        if np.any(np.isfinite(c["alpha"])):
            a_ax.plot(v, c["alpha"], label="alpha")
            a_ax.plot(v, c["beta"], label="beta")
            a_ax.set_yscale("log")
            a_ax.legend(fontsize=7, loc="best")
        else:
            a_ax.text(0.5, 0.5, "given as x_inf(V)", ha="center", va="center", transform=a_ax.transAxes)
        i_ax.plot(v, c["inf"], color="C2")
        i_ax.set_ylim(-0.05, max(1.05, float(np.nanmax(c["inf"])) * 1.05))
        a_ax.set_ylabel(f"{name}\nrate (1/ms)")
        i_ax.set_ylabel("x_inf")
        t_ax.set_ylabel("tau (ms)")
    for ax in axes[-1]:
        ax.set_xlabel("V (mV)")
    fig.suptitle(f"{model.name}: gate rate functions at {model.temperature:g} °C")
    fig.tight_layout()

    def write(tmp):
        fig.savefig(tmp, format=path.suffix.lower().lstrip("."))

    try:
        atomic_write(path, write)
    finally:
        plt.close(fig)
    return path
