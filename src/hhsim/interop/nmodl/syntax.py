"""The syntax tree of an NMODL file: plain dataclasses, each with its line.

Produced by :mod:`hhsim.interop.nmodl.parser`, read by
:mod:`hhsim.interop.nmodl.symbolic` and :mod:`hhsim.interop.nmodl.translate`.
Nothing here is ever executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# ------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Num:
    value: float
    line: int


@dataclass(frozen=True)
class Var:
    name: str
    line: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple
    line: int


@dataclass(frozen=True)
class BinOp:
    """``op`` one of ``+ - * / ^ < <= > >= == != && ||``."""

    op: str
    left: object
    right: object
    line: int


@dataclass(frozen=True)
class UnaryOp:
    """``op`` is ``-`` or ``!``."""

    op: str
    operand: object
    line: int


# ------------------------------------------------------------ statements
@dataclass(frozen=True)
class Assign:
    target: str
    value: object
    line: int


@dataclass(frozen=True)
class DiffEq:
    """``x' = value`` in a DERIVATIVE block."""

    state: str
    value: object
    line: int


@dataclass(frozen=True)
class CallStmt:
    func: str
    args: tuple
    line: int


@dataclass(frozen=True)
class Local:
    names: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class If:
    cond: object
    body: tuple
    orelse: tuple  # statements of the ELSE branch (an ELSE IF is one If in it)
    line: int


@dataclass(frozen=True)
class Solve:
    block: str
    method: str | None
    line: int
    steadystate: str | None = None


@dataclass(frozen=True)
class Reaction:
    """``~ A <-> B (kf, kb)`` in a KINETIC block: each side ((stoichiometry, name), ...)."""

    left: tuple
    right: tuple
    forward: object
    backward: object
    line: int


@dataclass(frozen=True)
class Verbatim:
    text: str
    line: int


@dataclass(frozen=True)
class Ignored:
    """A statement without effect on the equations (TABLE, UNITSOFF, UNITSON)."""

    what: str
    line: int


@dataclass(frozen=True)
class Unsupported:
    """A construct outside the subset; the translator refuses it with its line."""

    construct: str
    line: int


# ------------------------------------------------------------ declarations
@dataclass(frozen=True)
class UseIon:
    ion: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    valence: float | None
    line: int


@dataclass(frozen=True)
class Declared:
    """A PARAMETER, STATE or ASSIGNED name, its value (parameters) and unit text."""

    name: str
    value: float | None
    unit: str
    line: int


@dataclass(frozen=True)
class Routine:
    """A PROCEDURE, FUNCTION or DERIVATIVE block."""

    kind: str  # "PROCEDURE", "FUNCTION", "DERIVATIVE" or "KINETIC"
    name: str
    formals: tuple[str, ...]
    body: tuple
    line: int


@dataclass
class ModFile:
    """Everything the translator needs from one ``.mod`` file."""

    path: str
    suffix: str | None = None
    suffix_line: int = 0
    title: str = ""
    useions: list[UseIon] = field(default_factory=list)
    nonspecific: list[tuple[str, int]] = field(default_factory=list)
    parameters: dict[str, Declared] = field(default_factory=dict)
    states: dict[str, Declared] = field(default_factory=dict)
    assigned: dict[str, Declared] = field(default_factory=dict)
    #: UNITS constants: name -> (value, line)
    constants: dict[str, tuple[float, int]] = field(default_factory=dict)
    initial: tuple = ()
    breakpoint: tuple = ()
    breakpoint_line: int = 0
    routines: dict[str, Routine] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)

    def where(self, line: int) -> str:
        """``file:line`` for messages."""
        return f"{self.path}:{line}"
