"""From an NMODL file's syntax tree to hhsim's description: a
:class:`~hhsim.channels.Channel` (or, for a file that only moves a
concentration, an :class:`~hhsim.channels.IonPool`).

The statements are run symbolically (:mod:`.symbolic`); the resulting trees
are then read as hhsim's forms:

* a DERIVATIVE equation ``x' = (x_inf - x)/tau_x`` (or ``alpha (1 - x) -
  beta x``, or any other form linear in ``x``) gives a gate with ``inf``/``tau``
  (or ``alpha``/``beta``); ``x = f(v)`` there gives an instantaneous gate;
* the explicit update ``x = x + (1 - exp(-dt/tau_x)) (x_inf - x)`` of a
  PROCEDURE solved without METHOD is the same relaxation;
* a temperature factor ``Q ^ ((celsius - T0)/10)`` that multiplies every rate
  (divides every time constant) becomes the channel's ``q10 = Q`` at
  ``q10_reference_c = T0`` (NEURON's ``celsius`` is hhsim's temperature);
* the current ``i = gbar * x^p * y^q * (v - e)`` gives ``gbar`` (S/cm² in
  NEURON, times 1000 for mS/cm²), the gate powers and the reversal; a current
  that equals ``P * x^p ... * GHK(v, ci, co)`` (checked numerically against
  hhsim's GHK function) becomes a GHK channel of permeability ``P`` (cm/s).

Every identification is checked numerically on a grid of voltages (and
concentrations); anything that does not fit is refused with ``file:line``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ...channels import expr as _expr
from ...channels.base import Channel, Expr, Gate
from ...channels.scheme import scheme_states
from ...channels.ions import DEFAULT_CONCENTRATIONS, IONS, IonPool, ghk_factor
from ...errors import ModelError
from ...units import FARADAY
from . import symbolic as Y
from . import syntax as S
from .numeric import V_GRID, close as _close, round_value as _round
from .singular import rewrite_vtrap

#: NEURON's default reversal potentials (mV) for a channel that reads ``ena``
#: or ``ek`` while no mechanism computes them from concentrations.
NEURON_DEFAULT_REVERSAL = {"na": 50.0, "k": -77.0}
#: Voltages (mV) and intracellular concentrations (mM) of the numerical checks.
_V = V_GRID
_CI = np.array([2e-5, 1e-4, 1e-3, 1e-2])
_PHI = "__phi"
_E_ION = "__e_ion"
_I_ION = "__i_ion"
_SPECIAL = {"v", "celsius", "dt", "t", "area", "diam"}


@dataclass(frozen=True)
class ImportedPool:
    """An ion pool read from a ``.mod`` file: hhsim's pool and its resting level (mM)."""

    name: str
    pool: IonPool
    resting_mM: float
    source: str


# ------------------------------------------------------------ entry point
def translate(mod: S.ModFile) -> Channel | ImportedPool | tuple[Channel, ...]:
    """The channel (or pool) that ``mod`` describes, or one channel per current when it
    writes several; refuses what hhsim cannot express."""
    _refuse_unsupported(mod)
    if mod.suffix is None:
        raise ModelError(f"{mod.path}: no SUFFIX in a NEURON block; hhsim imports density mechanisms "
                         "(NEURON {{ SUFFIX name ... }})")
    t = _Translation(mod)
    return t.run()


def _refuse_unsupported(mod: S.ModFile) -> None:
    found = list(mod.unsupported)

    def walk(stmts):
        for st in stmts:
            if isinstance(st, S.Unsupported):
                found.append(st)
            elif isinstance(st, S.Verbatim) and not Y._TRIVIAL_VERBATIM.match(st.text):
                found.append(S.Unsupported("VERBATIM (C code) other than `return 0;`", st.line))
            elif isinstance(st, S.If):
                walk(st.body)
                walk(st.orelse)

    walk(mod.initial)
    walk(mod.breakpoint)
    for r in mod.routines.values():
        walk(r.body)
    if found:
        first = min(found, key=lambda u: u.line)
        raise Y.refuse(mod, first.construct, first.line)


class _Translation:
    def __init__(self, mod: S.ModFile):
        self.mod = mod
        self.ion_of: dict[str, str] = {}  # variable -> role, e.g. "ena" -> "e", "cai" -> "in"
        self.useion: S.UseIon | None = None
        self.param_names: dict[str, str] = {}  # mod parameter -> hhsim name
        self.param_values: dict[str, float] = {}  # hhsim name -> value

    def fail(self, line: int, text: str) -> ModelError:
        return ModelError(f"{self.mod.where(line)}: {text}")

    # ---------------------------------------------------------- names
    def globals_(self) -> dict[str, tuple]:
        mod = self.mod
        g: dict[str, tuple] = {"v": ("name", "V"), "celsius": ("name", "celsius"), "dt": ("name", "dt"),
                               "PI": Y.num(math.pi)}
        for name, (value, _) in mod.constants.items():
            g[name] = Y.num(value)
        for u in mod.useions:
            if u.ion not in IONS:
                raise self.fail(u.line, f"USEION {u.ion}: hhsim knows the ions {', '.join(IONS)}; write a "
                                        "current of another ion as a NONSPECIFIC_CURRENT with its own reversal")
            prefix = IONS[u.ion][1]
            for var in u.read + u.write:
                if var == f"e{u.ion}":
                    g[var] = ("name", _E_ION)
                elif var == f"{u.ion}i":
                    g[var] = ("name", f"{prefix}_i")
                elif var == f"{u.ion}o":
                    g[var] = ("name", f"{prefix}_out")
                elif var == f"i{u.ion}":
                    g[var] = ("name", _I_ION)
                else:
                    raise self.fail(u.line, f"USEION {u.ion}: {var} is not a variable of that ion "
                                            f"(e{u.ion}, {u.ion}i, {u.ion}o, i{u.ion})")
        for name, d in mod.parameters.items():
            if name in _SPECIAL or name in g or d.value is None:
                continue  # NEURON's globals, ion variables and constants; declarations without a value
            safe = name
            if name in _expr.RESERVED or name == "q10" or name.startswith("_"):
                safe = name.strip("_") + "_mod"
            self.param_names[name] = safe
            self.param_values[safe] = float(d.value)
            g[name] = ("name", safe)
        return g

    def values(self, **extra) -> dict:
        """Numeric values of every name a tree may hold, for the numerical checks."""
        env = dict(DEFAULT_CONCENTRATIONS)
        env.update({n: env[n[:-2] + "_in"] for n in _expr.DYNAMIC_NAMES})
        env.update(self.param_values)
        env.update({"V": _V, "celsius": 6.3, _PHI: 1.0, "dt": 0.025})
        env.update(extra)
        return env

    def evaluate(self, tree, **extra):
        try:
            with np.errstate(all="ignore"):
                return _expr.evaluate(tree, self.values(**extra))
        except KeyError as exc:  # a name the file reads and never sets, or an ion variable out of place
            name = {_E_ION: "the reversal potential", _I_ION: "the ionic current"}.get(exc.args[0], exc.args[0])
            raise ModelError(f"{self.mod.path}: {_expr.unparse(tree)[:80]} reads {name}, which hhsim cannot "
                             "place there (a PARAMETER without a value, or a value the file never sets?)") from None

    # ---------------------------------------------------------- the run
    def run(self):
        mod = self.mod
        interp = Y.Interpreter(mod, self.globals_())
        interp.run_initial()
        interp.run_breakpoint()
        self.interp = interp
        writes = [(u, w) for u in mod.useions for w in u.write]
        conc_written = [(u, w) for u, w in writes if w in (f"{u.ion}i", f"{u.ion}o")]
        currents = [(u, w) for u, w in writes if w == f"i{u.ion}"]
        currents += [(None, n) for n, _ in mod.nonspecific]
        if conc_written and not currents:
            return self.pool(conc_written)
        if conc_written:
            u, w = conc_written[0]
            raise self.fail(u.line, f"this mechanism writes both a current and the concentration {w}; hhsim keeps "
                                    "channels and ion pools apart: split it into a channel file and a pool file")
        if not currents:
            raise self.fail(mod.suffix_line, "the mechanism writes no current (USEION ... WRITE i<ion> or "
                                             "NONSPECIFIC_CURRENT) and no concentration")
        if len(currents) == 1:
            return self.channel(*currents[0], tuple(mod.states), mod.suffix)
        if interp.reactions:
            raise self.fail(interp.reactions[0][4], "a KINETIC scheme in a mechanism that writes several currents; "
                                                    "hhsim reads a scheme in a mechanism of one current")
        return self.channels(currents)

    def channels(self, currents) -> tuple[Channel, ...]:
        """One channel per current (NEURON's hh.mod: ina, ik, il), each with the states its
        current reads, named ``<suffix>_<current without its leading i>`` (hh_na, hh_k, hh_l)."""
        mod, env = self.mod, self.interp.env
        owner: dict[str, str] = {}
        for _, cur in currents:
            for s in sorted(Y.names(env.get(cur, Y.num(0.0))) & set(mod.states)):
                if s in owner:
                    raise self.fail(mod.states[s].line, f"state {s} enters two currents ({owner[s]}, {cur}); "
                                                        "hhsim gives each gate to one channel")
                owner[s] = cur
        for s, d in mod.states.items():
            if s not in owner:
                raise self.fail(d.line, f"state {s} enters none of the currents")
        out = []
        for u, cur in currents:
            name = f"{mod.suffix}_{cur[1:] if cur.startswith('i') and len(cur) > 1 else cur}"
            out.append(self.channel(u, cur, tuple(s for s in mod.states if owner[s] == cur), name))
        return tuple(out)

    # ---------------------------------------------------------- channels
    def channel(self, useion: S.UseIon | None, current: str, states: tuple[str, ...], name: str) -> Channel:
        mod, interp = self.mod, self.interp
        if interp.env.get(current, ("name", _I_ION)) == ("name", _I_ION):
            raise self.fail(mod.breakpoint_line, f"BREAKPOINT does not set the current {current}")
        scheme, scheme_phi = self.scheme(states)
        in_scheme = {g.name for g in scheme}
        gates_by_state = {s: self.gate(s) for s in states if s not in in_scheme}
        powers, coef, driving, conductance = self.factor_current(interp.env[current])
        if scheme and conductance is None:  # the scheme's states conduct through an expression
            conductance = Y.num(1.0)
            for s, p in powers.items():
                conductance = Y.binop("*", conductance, ("name", s) if p == 1.0 else
                                      Y.binop("**", ("name", s), Y.num(p)))
        for s in in_scheme:
            powers.setdefault(s, 1.0)
        for s in states:
            if conductance is not None and s in Y.names(conductance):
                powers.setdefault(s, 1.0)  # the conductance expression holds the gate's powers
            if s not in powers:
                raise self.fail(mod.states[s].line, f"state {s} does not enter the current {current} as a factor "
                                                    "(hhsim's channels are gbar * x^p * y^q ... * driving force)")
        phis = {s: g[1] for s, g in gates_by_state.items() if g[1] is not None}
        if scheme_phi is not None:
            phis["the KINETIC rates"] = scheme_phi
        elif scheme and phis:
            raise self.fail(mod.breakpoint_line, "the KINETIC rates have no temperature factor while the other "
                                                 "gates do; hhsim applies one Q10 to all gates of a channel")
        q10, t_ref = 1.0, 6.3
        if phis:
            distinct = set(phis.values())
            timed = [s for s, g in gates_by_state.items() if not g[0].instantaneous]
            missing = [s for s in timed if s not in phis]
            if len(distinct) > 1 or missing:
                raise self.fail(mod.breakpoint_line, "the gates do not share one temperature factor "
                                f"({', '.join(f'{s}: {v}' for s, v in phis.items())}; none for {', '.join(missing)}); "
                                "hhsim applies one Q10 to all gates of a channel")
            q10, t_ref = next(iter(distinct))
        if conductance is not None:  # the powers are in the conductance expression
            powers = {s: 1.0 for s in powers}
        gates = tuple(dataclasses.replace(g[0], power=powers[s]) for s, g in gates_by_state.items()) + scheme
        used = set() if conductance is None else Y.names(conductance)
        for g in gates:
            for f in g.forms:
                used |= set(f.external_names())
        params = {k: v for k, v in self.param_values.items() if k in used}
        ion = useion.ion if useion is not None else ""
        if driving[0] == "ghk":
            E, gbar = "ghk", _round(driving[1] * coef)
        else:
            E = driving[1]
            gbar = coef * 1000.0  # S/cm² -> mS/cm²
            if isinstance(E, str) and E == "ion":
                E = NEURON_DEFAULT_REVERSAL.get(ion, "nernst")
        source = f"NMODL file {mod.path} (SUFFIX {mod.suffix})"
        try:
            return Channel(name, gbar=float(gbar), E=E, gates=gates, q10=float(q10),
                           q10_reference_c=float(t_ref), ion=ion, source=source,
                           description=mod.title or f"imported from {mod.path}", params=params,
                           conductance="" if conductance is None else f"gbar * ({_expr.unparse(conductance)})")
        except ModelError as exc:
            raise ModelError(f"{mod.path}: {exc}") from None

    def scheme(self, states: tuple[str, ...]):
        """(the :class:`SchemeState` gates of the KINETIC block that BREAKPOINT solves, its
        temperature factor (q10, T0) or None); ((), None) without one.

        Each reaction ``~ A <-> B (kf, kb)`` gives the rate ``kf`` from A to B and
        ``kb`` from B to A (1/ms); a factor ``Q^((celsius - T0)/10)`` on every rate
        becomes the channel's Q10, as for gates."""
        interp, mod = self.interp, self.mod
        if not interp.reactions:
            return (), None
        block = next(st.block for st in interp.solved if mod.routines[st.block].kind == "KINETIC")
        members = []
        for a, b, *_ in interp.reactions:
            for x in (a, b):
                if x not in members:
                    members.append(x)
        factors, scaled, transitions = set(), [], []
        for a, b, kf, kb, line in interp.reactions:
            rates = []
            for tree, which in ((kf, f"{a} -> {b}"), (kb, f"{b} -> {a}")):
                found = set()
                tree = self.extract_phi(tree, line, found)
                if found:
                    one, two = self.evaluate(tree, **{_PHI: 1.0}), self.evaluate(tree, **{_PHI: 2.0})
                    if not _close(two, 2.0 * one):
                        raise self.fail(line, f"the temperature factor of the rate {which} does not multiply it "
                                              "as a Q10 factor does")
                factors |= found
                scaled.append((bool(found), line))
                rates.append(self.as_expr(a, f"rate {which}", Y.substitute(tree, {_PHI: Y.num(1.0)}), line))
            transitions.append((a, b, rates[0], rates[1]))
        if len(factors) > 1:
            raise self.fail(interp.reactions[0][4], f"the KINETIC rates have several temperature factors "
                                                    f"{sorted(factors)}; hhsim applies one Q10 to a channel")
        if factors and not all(f for f, _ in scaled):
            line = next(ln for f, ln in scaled if not f)
            raise self.fail(line, "some KINETIC rates have a temperature factor and others not; hhsim applies one "
                                  "Q10 to all rates of a scheme")
        try:
            gates = scheme_states(block, members, transitions)
        except ModelError as exc:
            raise self.fail(interp.reactions[0][4], f"KINETIC {block}: {exc}") from None
        return gates, (factors.pop() if factors else None)

    def gate(self, state: str):
        """(Gate with power 1, (q10, T0) or None) for ``state``."""
        interp, mod = self.interp, self.mod
        line = mod.states[state].line
        if ("'", state) in interp.env:
            tree, line = interp.env[("'", state)]
            kind, forms = self.relaxation(state, tree, line)
        elif ("=", "derivative", state) in interp.env:
            tree, line = interp.env[("=", "derivative", state)]
            if state in Y.names(tree):
                raise self.fail(line, f"{state} = ... depends on {state} itself; write {state}' = ... instead")
            kind, forms = "inf", {"inf": tree}
        elif ("=", "solve", state) in interp.env:
            tree, line = interp.env[("=", "solve", state)]
            kind, forms = self.explicit_update(state, tree, line)
        else:
            raise self.fail(line, f"state {state} has no equation in the block that BREAKPOINT solves")
        phi = None
        found = set()
        forms = {k: self.extract_phi(v, line, found) for k, v in forms.items()}
        if len(found) > 1:
            raise self.fail(line, f"gate {state} has several temperature factors {sorted(found)}")
        if found:
            phi = found.pop()
            self.check_phi(state, kind, forms, line)
        if kind == "inf" and any(_PHI in Y.names(v) for v in forms.values()):
            raise self.fail(line, f"the steady state of {state} depends on the temperature factor")
        forms = {k: Y.substitute(v, {_PHI: Y.num(1.0)}) for k, v in forms.items()}
        exprs = {k: self.as_expr(state, k, v, line) for k, v in forms.items()}
        try:
            return Gate(state, 1, **exprs), phi
        except ModelError as exc:
            raise self.fail(line, f"gate {state}: {exc}") from None

    def as_expr(self, state: str, form: str, tree, line: int) -> Expr:
        tree = rewrite_vtrap(tree, self.evaluate)
        allowed = {"V"} | set(_expr.CONCENTRATION_NAMES) | set(_expr.DYNAMIC_NAMES) | set(self.param_values)
        for n in sorted(Y.names(tree)):
            if n in allowed:
                continue
            if n == "celsius":
                raise self.fail(line, f"{form} of gate {state} depends on celsius other than through a factor "
                                      "Q^((celsius - T0)/10) on all its rates; hhsim's rate expressions cannot read "
                                      "the temperature")
            if n == "dt":
                raise self.fail(line, f"{form} of gate {state} depends on dt outside the explicit-update idiom "
                                      "x = x + (1 - exp(-dt/tau))*(inf - x)")
            if n == _E_ION:
                raise self.fail(line, f"{form} of gate {state} reads the reversal potential, which hhsim's rates "
                                      "cannot")
            raise self.fail(line, f"{form} of gate {state} reads {n}, which is not a PARAMETER with a value, a "
                                  "STATE, v, or an ion concentration, and that the file never sets")
        text = _expr.unparse(tree)
        try:
            return Expr(text)
        except ModelError as exc:
            raise self.fail(line, f"gate {state}, {form}: {exc}") from None

    def relaxation(self, x: str, d, line: int):
        X = ("name", x)

        def free(*ts):
            return all(x not in Y.names(t) for t in ts)

        kind, forms = None, None
        if d[0] == "bin" and d[1] == "/" and d[2][0] == "bin" and d[2][1] == "-" and d[2][3] == X \
                and free(d[2][2], d[3]):
            kind, forms = "inf_tau", {"inf": d[2][2], "tau": d[3]}
        elif d[0] == "bin" and d[1] == "*":
            for a, b in ((d[2], d[3]), (d[3], d[2])):
                if a[0] == "bin" and a[1] == "-" and a[3] == X and free(a[2], b):
                    kind, forms = "inf_tau", {"inf": a[2], "tau": Y.binop("/", Y.num(1.0), b)}
        elif d[0] == "bin" and d[1] == "-":
            alpha = _times(d[2], ("bin", "-", Y.num(1.0), X))
            beta = _times(d[3], X)
            if alpha is not None and beta is not None and free(alpha, beta):
                kind, forms = "alpha_beta", {"alpha": alpha, "beta": beta}
        if kind is None:  # any other form linear in x: x' = A - B x
            a = Y.substitute(d, {x: Y.num(0.0)})
            b = Y.binop("-", a, Y.substitute(d, {x: Y.num(1.0)}))
            kind, forms = "inf_tau", {"inf": Y.binop("/", a, b), "tau": Y.binop("/", Y.num(1.0), b)}
        # check: d == (inf - x)/tau  (or alpha (1 - x) - beta x) at two values of x
        for xv in (0.2, 0.7):
            want = self.evaluate(d, **{x: xv})
            if kind == "alpha_beta":
                got = self.evaluate(forms["alpha"]) * (1 - xv) - self.evaluate(forms["beta"]) * xv
            else:
                got = (self.evaluate(forms["inf"]) - xv) / self.evaluate(forms["tau"])
            if not _close(got, want):
                raise self.fail(line, f"{x}' = ... is not linear in {x}; hhsim's gates relax as "
                                      f"{x}' = ({x}_inf - {x})/tau_{x} (or alpha*(1 - {x}) - beta*{x})")
        return kind, forms

    def explicit_update(self, x: str, u, line: int):
        X = ("name", x)
        bad = self.fail(line, f"{x} = ... in the PROCEDURE that BREAKPOINT solves is not the explicit update "
                              f"{x} = {x} + (1 - exp(-dt/tau))*({x}_inf - {x}) that hhsim recognises")
        if not (u[0] == "bin" and u[1] == "+"):
            raise bad
        rest = u[3] if u[2] == X else u[2] if u[3] == X else None
        if rest is None or rest[0] != "bin" or rest[1] != "*":
            raise bad
        for e, diff in ((rest[2], rest[3]), (rest[3], rest[2])):
            if diff[0] == "bin" and diff[1] == "-" and diff[3] == X and x not in Y.names(diff[2]) \
                    and e[0] == "bin" and e[1] == "-" and Y.is_num(e[2], 1.0) and e[3][0] == "call" \
                    and e[3][1] == "exp":
                z = e[3][2][0]
                break
        else:
            raise bad
        inf = diff[2]
        z1 = Y.substitute(z, {"dt": Y.num(1.0)})
        if "dt" not in Y.names(z) or not (_close(self.evaluate(z, dt=0.0), 0.0)
                                          and _close(self.evaluate(z, dt=2.0), 2.0 * self.evaluate(z1))):
            raise bad
        tau = Y.binop("/", Y.num(1.0), Y.neg(z1))
        return "inf_tau", {"inf": inf, "tau": tau}

    # ---------------------------------------------------------- temperature
    def extract_phi(self, tree, line: int, found: set):
        """``tree`` with every ``Q^((celsius - T0)/10)``-type factor replaced by the name __phi."""
        kind = tree[0]
        if kind in ("num", "name"):
            return tree
        if kind == "bin" and tree[1] == "**" and "celsius" in Y.names(tree[3]):
            base, expo = tree[2], tree[3]
            ok = set(self.param_values) | {"celsius"}
            if Y.names(base) <= set(self.param_values) and Y.names(expo) <= ok:
                q = float(self.evaluate(base))
                e0, e10, e37 = (float(self.evaluate(expo, celsius=c)) for c in (0.0, 10.0, 37.0))
                slope = (e10 - e0) / 10.0
                if slope != 0 and q > 0 and _close(e37, e0 + 37.0 * slope):
                    found.add((_round(q ** (10.0 * slope)), _round(-e0 / slope)))
                    return ("name", _PHI)
        if kind == "neg":
            return Y.neg(self.extract_phi(tree[1], line, found))
        if kind in ("bin", "cmp"):
            a, b = self.extract_phi(tree[2], line, found), self.extract_phi(tree[3], line, found)
            return Y.binop(tree[1], a, b) if kind == "bin" else ("cmp", tree[1], a, b)
        return Y.call(tree[1], *(self.extract_phi(a, line, found) for a in tree[2]))

    def check_phi(self, state: str, kind: str, forms: dict, line: int) -> None:
        """The temperature factor must multiply every rate (divide every time constant)."""
        for name, tree in forms.items():
            one, two = self.evaluate(tree, **{_PHI: 1.0}), self.evaluate(tree, **{_PHI: 2.0})
            want = {"inf": one, "tau": one / 2.0, "alpha": 2.0 * one, "beta": 2.0 * one}[name]
            if not _close(two, want):
                raise self.fail(line, f"the temperature factor of gate {state} does not scale its {name} as a Q10 "
                                      "factor does (rates times the factor, time constants divided by it)")

    # ---------------------------------------------------------- the current
    def factor_current(self, tree):
        """(state -> power, constant coefficient, driving, conductance tree or None) for
        ``i = coef * prod(x^p) * driving`` or ``i = coef * f(x, y, ...) * driving``.

        ``driving`` is ("fixed", E mV), ("fixed", "ion") for e<ion>, or ("ghk", scale);
        the conductance tree (a function of the gates and constants, e.g.
        ``nf*n^2 + (1 - nf)*p``) is given when the gates are not only a product of powers."""
        line = self.mod.breakpoint_line
        powers: dict[str, float] = {}
        coef = 1.0
        rest, mixed = [], []
        states = set(self.mod.states)
        for f, p in _factors(tree, 1.0):
            n = Y.names(f)
            if f[0] == "name" and f[1] in states:
                powers[f[1]] = powers.get(f[1], 0.0) + p
            elif n & states:
                if not n <= states | set(self.param_values):
                    raise self.fail(line, f"the conductance {_expr.unparse(f)} reads "
                                          f"{', '.join(sorted(n - states - set(self.param_values)))}; a conductance "
                                          "may combine the gates and constants only")
                mixed.append((f, p))
            elif n <= set(self.param_values):
                coef *= float(self.evaluate(f)) ** p
            else:
                rest.append((f, p))
        for s, p in powers.items():
            if not p > 0:
                raise self.fail(line, f"gate {s} enters the current with power {p:g}; powers must be > 0")
        conductance = None
        if mixed:
            conductance = Y.num(1.0)
            for s, p in powers.items():
                conductance = Y.binop("*", conductance, Y.binop("**", ("name", s), Y.num(p)))
            for f, p in mixed:
                conductance = Y.binop("*", conductance, f if p == 1.0 else Y.binop("**", f, Y.num(p)))
        if len(rest) == 1 and rest[0][1] == 1.0:
            f = rest[0][0]
            if f[0] == "bin" and f[1] == "-" and f[2] == ("name", "V") and "V" not in Y.names(f[3]):
                e = f[3]
                if e == ("name", _E_ION):
                    return powers, coef, ("fixed", "ion"), conductance
                if Y.names(e) <= set(self.param_values):
                    return powers, coef, ("fixed", float(self.evaluate(e))), conductance
        scale = self.ghk_scale(rest)
        if scale is None:
            raise self.fail(line, "the current is neither g * (v - e) with a fixed or ionic reversal e nor a GHK "
                                  "current of the channel's ion (checked numerically against hhsim's GHK)")
        return powers, coef, ("ghk", scale), conductance

    def ghk_scale(self, rest):
        """P with prod(rest) * 1000 = P * GHK(v, ci, co) (µA/cm² per cm/s) at every V, ci and T; else None."""
        u = self.useion_current()
        if u is None or not rest:
            return None
        prefix = IONS[u.ion][1]
        known = {"V", "celsius", f"{prefix}_i", f"{prefix}_out"} | set(self.param_values)
        if not all(Y.names(f) <= known for f, _ in rest):
            return None
        z = IONS[u.ion][0]
        tree = Y.num(1.0)
        for f, p in rest:
            tree = Y.binop("*", tree, f if p == 1.0 else Y.binop("**", f, Y.num(p)))
        ratios = []
        for temp in (6.3, 22.0, 36.0):
            for ci in _CI:
                co = DEFAULT_CONCENTRATIONS[f"{prefix}_out"]
                got = self.evaluate(tree, celsius=temp, **{f"{prefix}_i": ci, f"{prefix}_out": co})
                ref = ghk_factor(_V, ci, co, z, temp)
                ratios.append(1000.0 * np.asarray(got, dtype=float) / ref)
        r = np.concatenate([np.broadcast_to(x, _V.shape) for x in ratios])
        if not np.all(np.isfinite(r)):
            return None
        scale = float(np.median(r))
        if scale > 0 and np.all(np.abs(r - scale) <= 1e-6 * scale):
            return scale
        return None

    def useion_current(self) -> S.UseIon | None:
        for u in self.mod.useions:
            if f"i{u.ion}" in u.write:
                return u
        return None

    # ---------------------------------------------------------- pools
    def pool(self, conc_written) -> ImportedPool:
        mod, interp = self.mod, self.interp
        u, var = conc_written[0]
        line = u.line
        shape = ("the pool must follow hhsim's IonPool: "
                 f"{var}' = max(-k * i{u.ion}, 0) (or -k * i{u.ion}) + ({var}_rest - {var})/tau "
                 f"[- vmax*{var}/({var} + km)] (Destexhe's cadecay, with or without its pump)")
        if var != f"{u.ion}i" or var not in mod.states or ("'", var) not in interp.env:
            raise self.fail(line, f"the mechanism writes {var} but has no equation {var}' = ...; {shape}")
        if len(mod.states) != 1:
            raise self.fail(line, f"a pool file may hold only the concentration as a STATE; {shape}")
        tree, line = interp.env[("'", var)]
        extra = Y.names(tree) - {var, _I_ION} - set(self.param_values)
        if extra:
            raise self.fail(line, f"{var}' reads {', '.join(sorted(extra))}; {shape}")

        def d(c, i):
            return float(self.evaluate(tree, **{var: c, _I_ION: i}))

        cs, currents = (1e-5, 1e-4, 1e-3, 1e-2), (-1e-2, -1e-3, -1e-4, 0.0, 1e-4, 1e-3)
        # the influx J(i) = d(c, i) - d(c, 0): -k i for an inward i (k > 0), and for an outward
        # one 0 (clipped, cadecay) or -k i again (unclipped)
        k = (d(1e-4, -1e-3) - d(1e-4, 0.0)) / 1e-3  # mM/ms per mA/cm²
        if not k > 0:
            raise self.fail(line, f"the equation of {var} does not rise with an inward i{u.ion}; {shape}")
        out = d(1e-4, 1e-3) - d(1e-4, 0.0)
        clip = _close(out, 0.0) or abs(out) <= 1e-12 * k
        if not (clip or _close(out, -k * 1e-3)):
            raise self.fail(line, f"the influx in the equation of {var} is neither -k*i{u.ion} nor max(-k*i{u.ion}, 0); {shape}")

        # the rest of the equation g(c) = d(c, 0): (rest - c)/tau, and perhaps a pump -vmax c/(c + km)
        def g(c):
            return d(c, 0.0)

        h0 = g(0.0)  # rest/tau
        c1, c2, big = 1e-4, 1e-2, 1e3
        vmax = km = 0.0
        for _ in range(6):  # the slope at large c (the pump saturated), then the pump at small c
            pumped = vmax * (2 * big / (2 * big + km) - big / (big + km)) if vmax else 0.0
            slope = (g(2 * big) - g(big) + pumped) / big
            if not slope < 0:
                raise self.fail(line, f"the equation of {var} does not decay to a resting level (a pump alone, or no decay); "
                                      f"{shape}")
            tau = -1.0 / slope
            r1, r2 = h0 - (g(c1) + c1 / tau), h0 - (g(c2) + c2 / tau)  # vmax c/(c + km) at c1, c2
            if abs(r1) <= 1e-10 * max(abs(h0), c1 / tau) and abs(r2) <= 1e-10 * max(abs(h0), c2 / tau):
                vmax = km = 0.0
                break
            den = r1 * c2 - r2 * c1
            km = c1 * c2 * (r2 - r1) / den if den != 0 else -1.0
            vmax = r1 * (c1 + km) / c1 if km > 0 else -1.0
            if not (km > 0 and vmax > 0):
                raise self.fail(line, f"the equation of {var} decays in a way hhsim cannot read (a linear decay to rest and a "
                                      f"Michaelis-Menten pump -vmax*{var}/({var} + km)); {shape}")
        rest = tau * h0
        ok = rest >= -1e-15
        for c in cs:
            for i in currents:
                j = -k * i if not (clip and i > 0) else 0.0
                want = j + (rest - c) / tau - (vmax * c / (c + km) if vmax else 0.0)
                ok = ok and _close(d(c, i), want, 1e-7)
        if not ok:
            raise self.fail(line, f"the equation of {var} is not an influx of i{u.ion}, a decay to rest and a pump that hhsim "
                                  f"reads; {shape}")
        depth = 10.0 / (IONS[u.ion][0] * FARADAY * (k / 1000.0))  # µm, from k in mM/ms per µA/cm²
        rest = 0.0 if abs(rest) < 1e-12 else _round(rest)
        start = rest
        if rest == 0.0:  # the pool starts where INITIAL sets it
            key = ("=", "initial", var)
            start = None
            if key in interp.env:
                try:
                    value = np.asarray(self.evaluate(interp.env[key][0]), dtype=float)
                except ModelError:
                    value = np.asarray(np.nan)
                if value.size == 1 and float(value) > 0:
                    start = _round(float(value))
            if start is None:
                raise self.fail(line, f"{var} decays to 0 mM and INITIAL does not start it at a concentration "
                                      f"> 0 (set {var} = a number of mM there)")
        pool = IonPool(u.ion, depth=_round(depth), tau=_round(tau), clip=clip,
                       rest=0.0 if rest == 0.0 else None,
                       pump_vmax=_round(vmax) if vmax else 0.0, pump_km=_round(km) if vmax else 0.0)
        return ImportedPool(mod.suffix, pool, start, f"NMODL file {mod.path} (SUFFIX {mod.suffix})")


# ------------------------------------------------------------ helpers
def _times(t, factor):
    """``c`` when ``t`` is ``c * factor`` or ``factor * c``, else None."""
    if t == factor:
        return Y.num(1.0)
    if t[0] == "bin" and t[1] == "*":
        if t[3] == factor:
            return t[2]
        if t[2] == factor:
            return t[3]
    return None


def _factors(t, p: float):
    """Multiplicative factors of ``t`` as (tree, power) pairs."""
    if t[0] == "bin" and t[1] == "*":
        return _factors(t[2], p) + _factors(t[3], p)
    if t[0] == "bin" and t[1] == "/":
        return _factors(t[2], p) + _factors(t[3], -p)
    if t[0] == "neg":
        return [(Y.num(-1.0), p)] + _factors(t[1], p)
    if t[0] == "bin" and t[1] == "**" and Y.is_num(t[3]):
        return _factors(t[2], p * t[3][1])
    return [(t, p)]
