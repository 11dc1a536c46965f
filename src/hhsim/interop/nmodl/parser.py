"""Parse an NMODL file with the lark grammar ``nmodl.lark`` into :class:`~.syntax.ModFile`.

Syntax errors and constructs outside the subset are reported as
:class:`hhsim.errors.ModelError` with ``file:line``; nothing in the file is
ever executed.
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources
from pathlib import Path

import lark

from ...errors import ModelError
from ...io import read_text
from ...units import FARADAY, GAS_CONSTANT
from . import syntax as S

#: NEURON's physical constants as UNITS writes them: (unit of the constant,
#: unit asked for) -> value (NEURON's units database, 2019 SI values, as hhsim.units).
PHYSICAL_CONSTANTS = {
    ("faraday", "coulomb"): FARADAY, ("faraday", "coulombs"): FARADAY, ("faraday", "coul"): FARADAY,
    ("faraday", "c"): FARADAY,
    ("faraday", "kilocoulombs"): FARADAY * 1e-3, ("faraday", "kilocoulomb"): FARADAY * 1e-3,
    ("k-mole", "joule/degc"): GAS_CONSTANT, ("k-mole", "joule/kelvin"): GAS_CONSTANT,
    ("k-mole", "j/degc"): GAS_CONSTANT,
    ("pi", "1"): math.pi, ("k", "joule/degc"): 1.380649e-23, ("k", "joule/kelvin"): 1.380649e-23, ("e", "coulomb"): 1.602176634e-19, ("mole", "1"): 6.02214076e23,
}


@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = resources.files(__package__).joinpath("nmodl.lark").read_text()
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse_file(path: str | Path) -> S.ModFile:
    """The syntax tree of the ``.mod`` file ``path``."""
    text = read_text(path, "NMODL file", ModelError)
    return parse_text(text, str(path))


def parse_text(text: str, path: str = "<text>") -> S.ModFile:
    """The syntax tree of NMODL source ``text`` (``path`` names it in messages)."""
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        raise ModelError(_syntax_message(exc, text, path)) from None
    except RecursionError:
        raise ModelError(f"{path}: nested too deeply to be read") from None
    mod = S.ModFile(path=path)
    title = re.search(r"^\s*TITLE\b([^\n]*)", text, re.MULTILINE)
    mod.title = title.group(1).strip() if title else ""
    _Builder(mod).visit_top(tree)
    return mod


def _syntax_message(exc: lark.exceptions.UnexpectedInput, text: str, path: str) -> str:
    line = getattr(exc, "line", None) or 0
    column = getattr(exc, "column", None) or 0
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        token = exc.token
        what = "end of file" if token.type == "$END" else repr(str(token))
    elif isinstance(exc, lark.exceptions.UnexpectedCharacters):
        what = repr(text[exc.pos_in_stream]) if exc.pos_in_stream < len(text) else "end of file"
    else:
        what = "end of file"
    word = re.match(r"[A-Za-z_]\w*", what.strip("'\""))
    hint = ""
    if word and word.group(0) in _OUTSIDE_SUBSET:
        hint = f" ({word.group(0)} is not part of the NMODL subset hhsim reads; see `hhsim import-mod --help`)"
    expected = _expected(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    return f"{path}:{line}:{column}: NMODL syntax error: unexpected {what}{hint}{expected}"


#: NMODL keywords that the subset does not read (a syntax error there says so).
_OUTSIDE_SUBSET = {"INCLUDE", "RANDOM", "REPRESENTS", "EXTERNAL", "COMPARTMENT", "LONGITUDINAL_DIFFUSION",
                   "SWEEP", "WATCH", "PROTECT", "MUTEXLOCK", "MUTEXUNLOCK", "STEADYSTATE", "LAG",
                   "PARTIAL", "MATCH", "SOLVEFOR", "REACTION", "FORALL", "CONDUCTANCE", "TITLE"}

_KINDS = {"NAME": "a name", "NUMBER": "a number", "UNIT": "a unit such as (mV)", "PRIMED": "x'",
          "VERBATIM": "VERBATIM", "IF": "IF", "ELSE": "ELSE"}


def _expected(names) -> str:
    """``; expected one of ...`` from lark's terminal names (at most eight shown)."""
    shown = []
    for name in sorted(names):
        try:
            term = _parser().get_terminal(name)
        except KeyError:
            continue
        if name in _KINDS:
            shown.append(_KINDS[name])
        elif term.pattern.type == "str":
            shown.append(repr(term.pattern.value))
    if not shown or len(shown) > 8:
        return ""
    return "; expected " + (shown[0] if len(shown) == 1 else "one of " + ", ".join(shown))


# ------------------------------------------------------------ tree -> dataclasses
def _line(tree) -> int:
    meta = getattr(tree, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line
    if isinstance(tree, lark.Token):
        return tree.line
    return 0


def _names(tree) -> tuple[str, ...]:
    return tuple(str(t) for t in tree.children) if tree is not None else ()


def _number(tree) -> float:
    """A ``signed_number``."""
    sign = -1.0 if len(tree.children) == 2 and str(tree.children[0]) == "-" else 1.0
    return sign * float(tree.children[-1])


def _unit(tok) -> str:
    return str(tok)[1:-1].strip() if tok is not None else ""


class _Builder:
    """Fills a :class:`~.syntax.ModFile` from lark's tree."""

    def __init__(self, mod: S.ModFile):
        self.mod = mod

    def visit_top(self, tree) -> None:
        for block in tree.children:
            getattr(self, "top_" + block.data)(block)

    # ---------------------------------------------------------- NEURON block
    def top_neuron_block(self, tree):
        mod = self.mod
        for st in tree.children:
            kind, line = st.data, _line(st)
            if kind == "suffix":
                mod.suffix, mod.suffix_line = str(st.children[0]), line
            elif kind == "useion":
                ion, read, write, val = st.children
                mod.useions.append(S.UseIon(
                    str(ion), _names(read.children[0]) if read is not None else (),
                    _names(write.children[0]) if write is not None else (),
                    _number(val.children[0]) if val is not None else None, line))
            elif kind == "nonspecific":
                mod.nonspecific.extend((n, line) for n in _names(st.children[0]))
            elif kind == "pointer":
                mod.unsupported.append(S.Unsupported(f"{st.children[0]} ({', '.join(_names(st.children[1]))})", line))
            elif kind == "point_process":
                mod.unsupported.append(S.Unsupported(f"{st.children[0]} {st.children[1]} (a point process)", line))
            elif kind == "electrode_current":
                mod.unsupported.append(S.Unsupported("ELECTRODE_CURRENT", line))
            # RANGE, GLOBAL, THREADSAFE: visibility only

    # ---------------------------------------------------------- declarations
    def top_units_block(self, tree):
        for st in tree.children:
            line = _line(st)
            if st.data == "unit_constant":
                name, have, want = str(st.children[0]), _unit(st.children[1]), _unit(st.children[2])
                key = (have.lower().replace(" ", ""), want.lower().replace(" ", ""))
                if key not in PHYSICAL_CONSTANTS and key[1].endswith("s"):
                    key = (key[0], key[1][:-1])  # (coulombs) as (coulomb)
                if key not in PHYSICAL_CONSTANTS:
                    known = ", ".join(f"({a}) ({b})" for a, b in PHYSICAL_CONSTANTS)
                    raise ModelError(f"{self.mod.where(line)}: physical constant {name} = ({have}) ({want}) is not "
                                     f"known to hhsim; known: {known}")
                self.mod.constants[name] = (PHYSICAL_CONSTANTS[key], line)
            elif st.data == "unit_number":
                self.mod.constants[str(st.children[0])] = (_number(st.children[1]), line)

    def _declared(self, tree, target: dict, with_value: bool) -> None:
        for d in tree.children:
            name = str(d.children[0])
            value = None
            unit = ""
            for c in d.children[1:]:
                if isinstance(c, lark.Tree) and c.data == "signed_number" and with_value and value is None:
                    value = _number(c)
                elif isinstance(c, lark.Token) and c.type == "UNIT":
                    unit = _unit(c)
            target[name] = S.Declared(name, value, unit, _line(d))

    def top_parameter_block(self, tree):
        self._declared(tree, self.mod.parameters, True)

    def top_constant_block(self, tree):
        for d in tree.children:
            value = next((_number(c) for c in d.children[1:]
                          if isinstance(c, lark.Tree) and c.data == "signed_number"), None)
            if value is not None:
                self.mod.constants[str(d.children[0])] = (value, _line(d))

    def top_state_block(self, tree):
        self._declared(tree, self.mod.states, False)

    def top_assigned_block(self, tree):
        self._declared(tree, self.mod.assigned, False)

    # ---------------------------------------------------------- code blocks
    def top_initial_block(self, tree):
        self.mod.initial = self.body(tree.children[0])

    def top_breakpoint_block(self, tree):
        self.mod.breakpoint = self.body(tree.children[0])
        self.mod.breakpoint_line = _line(tree)

    def top_derivative_block(self, tree):
        name = str(tree.children[0])
        self.mod.routines[name] = S.Routine("DERIVATIVE", name, (), self.body(tree.children[1]), _line(tree))

    def top_kinetic_block(self, tree):
        name = str(tree.children[0])
        self.mod.routines[name] = S.Routine("KINETIC", name, (), self.body(tree.children[1]), _line(tree))

    def _routine(self, tree, kind):
        name, formals = str(tree.children[0]), tree.children[1]
        args = tuple(str(f.children[0]) for f in formals.children) if formals is not None else ()
        self.mod.routines[name] = S.Routine(kind, name, args, self.body(tree.children[-1]), _line(tree))

    def top_procedure_block(self, tree):
        self._routine(tree, "PROCEDURE")

    def top_function_block(self, tree):
        self._routine(tree, "FUNCTION")

    def top_unsupported_block(self, tree):
        tok = tree.children[0]
        word = re.match(r"\w+", str(tok)).group(0)
        self.mod.unsupported.append(S.Unsupported(f"{word} block", tok.line))

    def top_ignored_block(self, tree):
        pass

    def top_top_verbatim(self, tree):
        tok = tree.children[0]
        self.mod.unsupported.append(S.Unsupported("VERBATIM (C code) outside a procedure", tok.line))

    def top_define(self, tree):
        name, value = tree.children
        self.mod.constants[str(name)] = (float(value), _line(tree))

    def top_top_local(self, tree):
        pass  # file-wide LOCAL variables of old files: assigned before use, like ASSIGNED

    def top_units_switch(self, tree):
        pass

    # ---------------------------------------------------------- statements
    def body(self, tree) -> tuple:
        return tuple(self.statement(st) for st in tree.children)

    def statement(self, st):
        kind, line = st.data, _line(st)
        ch = st.children
        if kind == "assign":
            return S.Assign(str(ch[0]), self.expr(ch[1]), line)
        if kind == "diffeq":
            return S.DiffEq(str(ch[0])[:-1], self.expr(ch[1]), line)
        if kind == "call_stmt":
            return S.CallStmt(str(ch[0]), self.args(ch[1]), line)
        if kind == "local":
            return S.Local(_names(ch[0]), line)
        if kind == "if_stmt":
            return self.if_stmt(st)
        if kind == "solve":
            return S.Solve(str(ch[0]), str(ch[1]) if ch[1] is not None else None, line,
                           str(ch[2]) if len(ch) > 2 and ch[2] is not None else None)
        if kind == "reaction":
            return S.Reaction(self.species(ch[0]), self.species(ch[1]), self.expr(ch[2]), self.expr(ch[3]), line)
        if kind == "flux":
            return S.Unsupported("a flux reaction ~ x << (...)", line)
        if kind == "conserve":
            return S.Ignored("CONSERVE", line)
        if kind == "table":
            return S.Ignored("TABLE", line)
        if kind == "verbatim":
            return S.Verbatim(str(ch[0])[len("VERBATIM"):-len("ENDVERBATIM")], ch[0].line)
        if kind == "units_switch":
            return S.Ignored(str(ch[0]), line)
        if kind == "nested":
            return S.If(S.Num(1.0, line), self.body(ch[0]), (), line)
        if kind == "from_loop":
            return S.Unsupported("FROM ... TO loop", line)
        if kind == "while_loop":
            return S.Unsupported("WHILE loop", line)
        raise ModelError(f"{self.mod.where(line)}: statement {kind} is not supported")  # pragma: no cover

    def species(self, tree) -> tuple:
        """One side of a reaction: ((stoichiometry, name), ...)."""
        out = []
        for st in tree.children:
            count, name = st.children
            out.append((float(count) if count is not None else 1.0, str(name)))
        return tuple(out)

    def if_stmt(self, st):
        ch = st.children  # IF, cond, body, [ELSE, if_stmt | body]
        cond, body = self.expr(ch[1]), self.body(ch[2])
        orelse: tuple = ()
        if len(ch) > 4 and ch[4] is not None:
            other = ch[4]
            orelse = (self.if_stmt(other),) if other.data == "if_stmt" else self.body(other)
        return S.If(cond, body, orelse, _line(st))

    def args(self, tree) -> tuple:
        return tuple(self.expr(a) for a in tree.children) if tree is not None else ()

    # ---------------------------------------------------------- expressions
    def expr(self, t):
        if isinstance(t, lark.Token):  # pragma: no cover - the grammar wraps every token
            raise ModelError(f"{self.mod.where(t.line)}: unexpected {t!s}")
        kind, line, ch = t.data, _line(t), t.children
        if kind in ("or_", "and_"):
            out = self.expr(ch[0])
            for c in ch[1:]:
                out = S.BinOp("||" if kind == "or_" else "&&", out, self.expr(c), line)
            return out
        if kind == "compare":
            if len(ch) == 1:
                return self.expr(ch[0])
            return S.BinOp(str(ch[1]), self.expr(ch[0]), self.expr(ch[2]), line)
        if kind in ("sum_", "product_"):
            out = self.expr(ch[0])
            for op, c in zip(ch[1::2], ch[2::2]):
                out = S.BinOp(str(op), out, self.expr(c), line)
            return out
        if kind == "neg":
            return S.UnaryOp("-", self.expr(ch[1]), line)
        if kind == "pos":
            return self.expr(ch[1])
        if kind == "not_":
            return S.UnaryOp("!", self.expr(ch[1]), line)
        if kind == "pow_":
            return S.BinOp("^", self.expr(ch[0]), self.expr(ch[1]), line)
        if kind == "number":
            return S.Num(float(ch[0]), line)
        if kind == "var":
            return S.Var(str(ch[0]), line)
        if kind == "call":
            return S.Call(str(ch[0]), self.args(ch[1]), line)
        raise ModelError(f"{self.mod.where(line)}: expression {kind} is not supported")  # pragma: no cover
