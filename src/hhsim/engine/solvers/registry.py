"""One table of every integration method, read by every driver.

Each :class:`Method` says what a driver needs to know to use it, whatever
the coupling of its nodes (independent neurons, a cable or tree, a network):

* ``order``: the global order of accuracy in dt (measured by the
  convergence tests);
* ``kind``: how a step is taken --
  ``"explicit"`` (fixed-step explicit Runge-Kutta: conditionally stable),
  ``"exponential"`` (gates relaxed exactly at fixed V, V exact for the
  linearised membrane), ``"implicit"`` (the theta method on V with the
  gates staggered half a step: ``theta`` 1/2 is Crank-Nicolson, 1 backward
  Euler; unconditionally stable), ``"adaptive"`` (step-size control);
* ``domains``: where it is implemented: ``"point"`` (the single-compartment
  batch kernels), ``"cable"`` (the tree kernels);
* ``default_dt``: ms, per domain;
* ``stability``: for an explicit method, the extent of its stability region
  on the negative real axis (|dt lambda| at most this), used to refuse an
  unstable dt; None when unconditionally stable;
* ``solver``: the point kernels' emitter object (:class:`FixedStepSolver` or
  :class:`AdaptiveSolver`) when the method runs there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("explicit", "exponential", "implicit", "adaptive")


@dataclass(frozen=True)
class Method:
    name: str
    order: int
    kind: str
    description: str
    default_dt: dict = field(default_factory=dict)  # domain -> ms
    theta: float | None = None
    stability: float | None = None
    solver: object = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"method {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self.default_dt)

    def runs_on(self, domain: str) -> bool:
        return domain in self.default_dt

    @property
    def explicit(self) -> bool:
        return self.kind == "explicit"
