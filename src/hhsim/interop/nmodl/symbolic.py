"""Run an NMODL file's statements *symbolically*: every variable becomes an
expression tree of hhsim's checked expression language
(:mod:`hhsim.channels.expr`; nodes ``("num", x)``, ``("name", n)``,
``("neg", a)``, ``("bin", op, a, b)``, ``("call", f, args)``,
``("cmp", op, a, b)``).

PROCEDURE and FUNCTION bodies are inlined with their LOCAL variables; an
IF/ELSE becomes ``where(condition, then, else)`` for every variable the
branches set differently; ``a && b`` and ``a || b`` nest ``where``.  Nothing
is executed: the result is a set of trees, which
:mod:`hhsim.interop.nmodl.translate` turns into gates and currents.
"""

from __future__ import annotations

import math
import re

from ...errors import ModelError
from . import syntax as S

#: NMODL's functions that hhsim's expressions have (NMODL name -> hhsim name).
BUILTINS = {"exp": "exp", "log": "log", "fabs": "abs", "sqrt": "sqrt", "log10": "log10", "tanh": "tanh",
            "sinh": "sinh", "cosh": "cosh", "expm1": "expm1", "log1p": "log1p"}
#: Inlining deeper than this is taken for recursion.
MAX_CALL_DEPTH = 40
_TRIVIAL_VERBATIM = re.compile(r"^\s*return\s+0\s*;\s*$")


# ------------------------------------------------------------ tree helpers
def num(x: float) -> tuple:
    return ("num", float(x))


def is_num(t: tuple, value: float | None = None) -> bool:
    return t[0] == "num" and (value is None or t[1] == value)


def neg(a: tuple) -> tuple:
    if is_num(a):
        return num(-a[1])
    if a[0] == "neg":
        return a[1]
    return ("neg", a)


def binop(op: str, a: tuple, b: tuple) -> tuple:
    """``a op b``, folding numbers and the identities of 0 and 1."""
    if is_num(a) and is_num(b):
        try:
            value = {"+": lambda: a[1] + b[1], "-": lambda: a[1] - b[1], "*": lambda: a[1] * b[1],
                     "/": lambda: a[1] / b[1], "**": lambda: a[1] ** b[1]}[op]()
            if isinstance(value, float) and math.isfinite(value):
                return num(value)
        except (ZeroDivisionError, OverflowError, ValueError):
            pass
    if op == "+":
        if is_num(a, 0.0):
            return b
        if is_num(b, 0.0):
            return a
        if b[0] == "neg":
            return binop("-", a, b[1])
    if op == "-":
        if is_num(b, 0.0):
            return a
        if is_num(a, 0.0):
            return neg(b)
        if b[0] == "neg":
            return binop("+", a, b[1])
    if op == "*":
        if is_num(a, 1.0):
            return b
        if is_num(b, 1.0):
            return a
        if is_num(a, -1.0):
            return neg(b)
        if is_num(b, -1.0):
            return neg(a)
        if a[0] == "neg":
            return neg(binop("*", a[1], b))
        if b[0] == "neg":
            return neg(binop("*", a, b[1]))
    if op == "/":
        if is_num(b, 1.0):
            return a
        if a[0] == "neg":
            return neg(binop("/", a[1], b))
        if b[0] == "neg":
            return neg(binop("/", a, b[1]))
        if is_num(a, 1.0) and b[0] == "bin" and b[1] == "/":
            return binop("/", b[3], b[2])
    if op == "**" and is_num(b, 1.0):
        return a
    return ("bin", op, a, b)


def call(f: str, *args: tuple) -> tuple:
    return ("call", f, tuple(args))


def substitute(t: tuple, mapping: dict[str, tuple]) -> tuple:
    """``t`` with the names in ``mapping`` replaced (and folded again)."""
    kind = t[0]
    if kind == "num":
        return t
    if kind == "name":
        return mapping.get(t[1], t)
    if kind == "neg":
        return neg(substitute(t[1], mapping))
    if kind == "bin":
        return binop(t[1], substitute(t[2], mapping), substitute(t[3], mapping))
    if kind == "cmp":
        return ("cmp", t[1], substitute(t[2], mapping), substitute(t[3], mapping))
    return call(t[1], *(substitute(a, mapping) for a in t[2]))


def names(t: tuple) -> set[str]:
    kind = t[0]
    if kind == "num":
        return set()
    if kind == "name":
        return {t[1]}
    if kind == "neg":
        return names(t[1])
    if kind in ("bin", "cmp"):
        return names(t[2]) | names(t[3])
    out: set[str] = set()
    for a in t[2]:
        out |= names(a)
    return out


def size(t: tuple) -> int:
    kind = t[0]
    if kind in ("num", "name"):
        return 1
    if kind == "neg":
        return 1 + size(t[1])
    if kind in ("bin", "cmp"):
        return 1 + size(t[2]) + size(t[3])
    return 1 + sum(size(a) for a in t[2])


# ------------------------------------------------------------ the interpreter
class Interpreter:
    """Symbolic execution of the blocks of one :class:`~.syntax.ModFile`.

    ``globals_`` gives the tree of every name the file reads without setting
    (parameters, constants, ``v``, ion variables).  Assignments to STATE
    variables are not applied: they are recorded in :attr:`state_sets` (by
    mode: ``"initial"``, ``"solve"``) and the state keeps its own name, as do
    the derivatives ``x' = ...`` (:attr:`derivatives`).
    """

    def __init__(self, mod: S.ModFile, globals_: dict[str, tuple]):
        self.mod = mod
        self.env: dict = dict(globals_)
        self.states = set(mod.states)
        self.depth = 0
        self.mode = "initial"
        #: (mode, state) -> (tree, line) for ``x = ...`` of a state
        self.state_sets: dict[tuple[str, str], tuple[tuple, int]] = {}
        #: state -> (tree, line) for ``x' = ...``
        self.derivatives: dict[str, tuple[tuple, int]] = {}
        self.solved: list[S.Solve] = []
        #: the reactions of the KINETIC block that BREAKPOINT solves: (A, B, kf, kb, line)
        self.reactions: list[tuple[str, str, tuple, tuple, int]] = []
        #: the line of ``SOLVE ... STEADYSTATE sparse`` in INITIAL (0: none)
        self.steadystate_line = 0

    def where(self, line: int) -> str:
        return self.mod.where(line)

    # ---------------------------------------------------------- blocks
    def run_initial(self) -> None:
        self.mode = "initial"
        self.block(self.mod.initial, {})

    def run_breakpoint(self) -> None:
        self.mode = "breakpoint"
        self.block(self.mod.breakpoint, {})

    def block(self, stmts, frame: dict) -> None:
        for st in stmts:
            self.statement(st, frame)

    def statement(self, st, frame: dict) -> None:
        if isinstance(st, S.Assign):
            self.assign(st.target, self.expr(st.value, frame), frame, st.line)
        elif isinstance(st, S.DiffEq):
            if st.state not in self.states:
                raise ModelError(f"{self.where(st.line)}: {st.state}' = ...: {st.state} is not a STATE variable")
            if self.mode != "derivative":
                raise ModelError(f"{self.where(st.line)}: {st.state}' = ... outside a DERIVATIVE block")
            self.env[("'", st.state)] = (self.expr(st.value, frame), st.line)
        elif isinstance(st, S.Local):
            for n in st.names:
                frame[n] = None
        elif isinstance(st, S.CallStmt):
            self.call_routine(st.func, st.args, frame, st.line, as_statement=True)
        elif isinstance(st, S.If):
            self.if_(st, frame)
        elif isinstance(st, S.Solve):
            self.solve(st)
        elif isinstance(st, S.Reaction):
            self.reaction(st, frame)
        elif isinstance(st, S.Verbatim):
            if not _TRIVIAL_VERBATIM.match(st.text):
                raise refuse(self.mod, "VERBATIM (C code) other than `return 0;`", st.line)
        elif isinstance(st, S.Unsupported):
            raise refuse(self.mod, st.construct, st.line)
        # S.Ignored (TABLE, UNITSOFF, UNITSON): nothing to do; tables are computed exactly

    def solve(self, st: S.Solve) -> None:
        routine = self.mod.routines.get(st.block)
        if self.mode == "initial" and st.steadystate is not None and routine is not None \
                and routine.kind == "KINETIC" and st.method is None:
            if st.steadystate != "sparse":
                raise ModelError(f"{self.where(st.line)}: SOLVE {st.block} STEADYSTATE {st.steadystate}: accepted: "
                                 "STEADYSTATE sparse")
            self.steadystate_line = st.line  # hhsim starts a scheme at its steady state, as this asks
            return
        if self.mode != "breakpoint":
            raise ModelError(f"{self.where(st.line)}: SOLVE outside BREAKPOINT (in INITIAL: SOLVE <kinetic block> "
                             "STEADYSTATE sparse)")
        if routine is None:
            raise ModelError(f"{self.where(st.line)}: SOLVE {st.block}: no DERIVATIVE, KINETIC or PROCEDURE block of "
                             "that name (LINEAR and NONLINEAR blocks are not supported)")
        if st.steadystate is not None:
            raise ModelError(f"{self.where(st.line)}: SOLVE {st.block} STEADYSTATE in BREAKPOINT is not supported "
                             "(it belongs in INITIAL)")
        if routine.kind == "KINETIC":
            if st.method != "sparse":
                raise ModelError(f"{self.where(st.line)}: SOLVE {st.block} METHOD {st.method}: a KINETIC block is "
                                 "solved with METHOD sparse")
            if self.reactions:
                raise ModelError(f"{self.where(st.line)}: a second KINETIC block solved; hhsim reads one")
        elif routine.kind == "DERIVATIVE":
            if st.method not in ("cnexp", "derivimplicit", "euler", "runge"):
                raise ModelError(f"{self.where(st.line)}: SOLVE {st.block} METHOD {st.method}: accepted methods for a "
                                 "DERIVATIVE block are cnexp, derivimplicit, euler and runge (all give the same "
                                 "equations; hhsim integrates them with its own solvers)")
        elif routine.kind == "PROCEDURE":
            if st.method is not None:
                raise ModelError(f"{self.where(st.line)}: SOLVE {st.block} METHOD {st.method}: a PROCEDURE is solved "
                                 "without METHOD (the explicit-update idiom)")
        else:
            raise ModelError(f"{self.where(st.line)}: SOLVE {st.block}: a FUNCTION cannot be solved")
        self.solved.append(st)
        saved, self.mode = self.mode, {"DERIVATIVE": "derivative", "KINETIC": "kinetic"}.get(routine.kind, "solve")
        self.block(routine.body, {})
        self.mode = saved

    def reaction(self, st: S.Reaction, frame: dict) -> None:
        """``~ A <-> B (kf, kb)``: recorded with its rates as trees (1/ms)."""
        if self.mode != "kinetic":
            raise ModelError(f"{self.where(st.line)}: a reaction ~ ... outside the KINETIC block that BREAKPOINT "
                             "solves")
        sides = []
        for side in (st.left, st.right):
            if len(side) != 1 or side[0][0] != 1.0 or side[0][1] not in self.states:
                shown = " + ".join((f"{c:g} " if c != 1.0 else "") + n for c, n in side)
                raise ModelError(f"{self.where(st.line)}: KINETIC reaction side {shown!r} is not supported; hhsim "
                                 "reads first-order transitions between two STATEs, ~ A <-> B (kf, kb) (no ligands, no "
                                 "stoichiometry)")
            sides.append(side[0][1])
        if sides[0] == sides[1]:
            raise ModelError(f"{self.where(st.line)}: reaction from {sides[0]} to itself")
        self.reactions.append((sides[0], sides[1], self.expr(st.forward, frame), self.expr(st.backward, frame),
                               st.line))

    # ---------------------------------------------------------- variables
    def lookup(self, name: str, frame: dict, line: int) -> tuple:
        if name in frame:
            value = frame[name]
            if value is None:
                raise ModelError(f"{self.where(line)}: LOCAL variable {name} is read before it is set")
            return value
        if name in self.states:
            return ("name", name)
        if name in self.env:
            return self.env[name]
        return ("name", name)  # read but never set: refused later where it matters, by name

    def assign(self, target: str, value: tuple, frame: dict, line: int) -> None:
        if target in frame:
            frame[target] = value
        elif target in self.states:
            self.env[("=", self.mode, target)] = (value, line)
        elif target in self.mod.parameters:
            raise ModelError(f"{self.where(line)}: assignment to PARAMETER {target}; hhsim reads parameters as "
                             "constants (declare it ASSIGNED)")
        else:
            self.env[target] = value

    # ---------------------------------------------------------- IF / ELSE
    def if_(self, st: S.If, frame: dict) -> None:
        cond = self.condition(st.cond, frame)
        if cond is True or cond is False:
            self.block(st.body if cond else st.orelse, frame)
            return
        env0, frame0 = dict(self.env), dict(frame)
        self.block(st.body, frame)
        env1, frame1 = self.env, dict(frame)
        self.env, frame_else = dict(env0), dict(frame0)
        self.block(st.orelse, frame_else)
        env2 = self.env
        merged = dict(env0)
        for key in set(env1) | set(env2):
            a, b = env1.get(key, env0.get(key)), env2.get(key, env0.get(key))
            if a == b:
                if a is not None:
                    merged[key] = a
                continue
            if a is None or b is None:
                if isinstance(key, tuple):
                    raise ModelError(f"{self.where(st.line)}: {_label(key)} is set in one branch of this IF only; "
                                     "set it in both branches")
                # set in one branch only, with no value before: an error only where it is read
                merged[key] = ("name", key)
                continue
            if isinstance(key, tuple):  # a recorded state equation: (tree, line)
                merged[key] = (self.branch(cond, a[0], b[0], st.line), a[1])
            else:
                merged[key] = self.branch(cond, a, b, st.line)
        self.env = merged
        for name in frame:
            a, b = frame1.get(name), frame_else.get(name)
            if a == b or a is None or b is None:
                frame[name] = a if a == b else None  # set in one branch only: an error only if read later
            else:
                frame[name] = self.branch(cond, a, b, st.line)

    def condition(self, c, frame: dict):
        """True/False when known now, else a condition tree: ("cmp", ...), ("and"|"or", c1, c2), ("not", c)."""
        if isinstance(c, S.BinOp) and c.op in ("&&", "||"):
            a, b = self.condition(c.left, frame), self.condition(c.right, frame)
            if c.op == "&&":
                if a is False or b is False:
                    return False
                return b if a is True else a if b is True else ("and", a, b)
            if a is True or b is True:
                return True
            return b if a is False else a if b is False else ("or", a, b)
        if isinstance(c, S.UnaryOp) and c.op == "!":
            a = self.condition(c.operand, frame)
            return (not a) if isinstance(a, bool) else ("not", a)
        if isinstance(c, S.BinOp) and c.op in ("<", "<=", ">", ">=", "==", "!="):
            left, right = self.expr(c.left, frame), self.expr(c.right, frame)
            if is_num(left) and is_num(right):
                x, y = left[1], right[1]
                return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[c.op]
            if c.op in ("==", "!="):
                # exact equality of values that change (``if (v == -35) {v = v + 1e-4}``, a guard against
                # 0/0) holds at isolated points only: read as never true; the 0/0 forms are made exact
                return c.op == "!="
            return ("cmp", c.op, left, right)
        value = self.expr(c, frame)
        if is_num(value):
            return value[1] != 0.0
        raise ModelError(f"{self.where(_line_of(c))}: IF on a value that is not a comparison; "
                         "hhsim accepts comparisons (<, <=, >, >=) joined by && and ||")

    def branch(self, cond, a: tuple, b: tuple, line: int) -> tuple:
        kind = cond[0]
        if kind == "cmp":
            return call("where", cond, a, b)
        if kind == "not":
            return self.branch(cond[1], b, a, line)
        if kind == "and":
            return self.branch(cond[1], self.branch(cond[2], a, b, line), b, line)
        return self.branch(cond[1], a, self.branch(cond[2], a, b, line), line)

    # ---------------------------------------------------------- calls
    def call_routine(self, name: str, args, frame: dict, line: int, as_statement: bool) -> tuple | None:
        routine = self.mod.routines.get(name)
        if routine is None or routine.kind in ("DERIVATIVE", "KINETIC"):
            if routine is not None:
                raise ModelError(f"{self.where(line)}: {routine.kind} block {name} called like a procedure")
            raise ModelError(f"{self.where(line)}: call of unknown procedure or function {name!r}; accepted "
                             f"functions: {', '.join(sorted(BUILTINS))}, pow and the file's own")
        if routine.kind == "PROCEDURE" and not as_statement:
            raise ModelError(f"{self.where(line)}: PROCEDURE {name} used as a value")
        if len(args) != len(routine.formals):
            raise ModelError(f"{self.where(line)}: {name} takes {len(routine.formals)} arguments, "
                             f"{len(args)} given")
        if self.depth >= MAX_CALL_DEPTH:
            raise ModelError(f"{self.where(line)}: calls of {name} nest deeper than {MAX_CALL_DEPTH} "
                             "(recursion cannot be inlined)")
        inner = {f: self.expr(a, frame) for f, a in zip(routine.formals, args)}
        if routine.kind == "FUNCTION":
            inner[name] = None
        self.depth += 1
        try:
            self.block(routine.body, inner)
        finally:
            self.depth -= 1
        if routine.kind == "FUNCTION":
            if inner[name] is None:
                raise ModelError(f"{self.where(routine.line)}: FUNCTION {name} does not set its value")
            return inner[name]
        return None

    # ---------------------------------------------------------- expressions
    def expr(self, e, frame: dict) -> tuple:
        if isinstance(e, S.Num):
            return num(e.value)
        if isinstance(e, S.Var):
            return self.lookup(e.name, frame, e.line)
        if isinstance(e, S.UnaryOp):
            if e.op == "-":
                return neg(self.expr(e.operand, frame))
            raise ModelError(f"{self.where(e.line)}: `!` outside an IF condition is not supported")
        if isinstance(e, S.BinOp):
            if e.op in ("+", "-", "*", "/", "^"):
                return binop("**" if e.op == "^" else e.op, self.expr(e.left, frame), self.expr(e.right, frame))
            raise ModelError(f"{self.where(e.line)}: comparison {e.op} used as a value; hhsim accepts comparisons "
                             "in IF conditions only")
        if isinstance(e, S.Call):
            if e.func in BUILTINS:
                if len(e.args) != 1:
                    raise ModelError(f"{self.where(e.line)}: {e.func} takes one argument")
                return call(BUILTINS[e.func], self.expr(e.args[0], frame))
            if e.func == "pow":
                if len(e.args) != 2:
                    raise ModelError(f"{self.where(e.line)}: pow takes two arguments")
                return binop("**", self.expr(e.args[0], frame), self.expr(e.args[1], frame))
            return self.call_routine(e.func, e.args, frame, e.line, as_statement=False)
        raise ModelError(f"{self.mod.path}: unsupported expression {e!r}")  # pragma: no cover


def refuse(mod: S.ModFile, construct: str, line: int) -> ModelError:
    """The error for a construct outside the subset, with ``file:line``."""
    return ModelError(
        f"{mod.where(line)}: {construct} is not supported; hhsim imports HH-type density mechanisms: "
        "NEURON (SUFFIX, USEION, NONSPECIFIC_CURRENT, RANGE, GLOBAL), UNITS, PARAMETER, STATE, ASSIGNED, "
        "INITIAL, BREAKPOINT with SOLVE ... METHOD cnexp/derivimplicit, METHOD sparse (a KINETIC block of "
        "first-order reactions ~ A <-> B (kf, kb) and CONSERVE) or an explicit-update PROCEDURE, "
        "DERIVATIVE, PROCEDURE and FUNCTION (LOCAL, IF/ELSE, TABLE)"
    )


def _label(key) -> str:
    if isinstance(key, tuple):
        return f"{key[-1]}'" if key[0] == "'" else f"state {key[-1]}"
    return str(key)


def _line_of(e) -> int:
    return getattr(e, "line", 0)
