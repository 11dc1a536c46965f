"""``fit``: from recorded sweeps to a fitted model, its uncertainty and a report.

>>> import hhsim
>>> from hhsim.fit import fit, read_recording
>>> sweeps = read_recording("cell.csv", area_um2=2000)                 # doctest: +SKIP
>>> r = fit("hh", sweeps, ["gNa=60:240", "gK=18:72", "gL=0.1:1:log"])   # doctest: +SKIP
>>> r.params, r.uncertainty, r.loss                                     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import models as _models
from ..display import ShownResult, scalars
from ..errors import ParameterError
from ..model import Model
from .data import Sweep, check_kinds
from .objectives import Evaluator, Objective
from .search import SEARCHES, SearchOutcome, default_population, polish
from .simulate import Clamp, group_sweeps, simulate_current_clamp, simulate_voltage_clamp
from .space import Space


@dataclass(repr=False)
class FitResult(ShownResult):
    """Outcome of :func:`fit` (values in the units ``Model.params()`` lists).

    ``params``: fitted value of each parameter; ``uncertainty``: the standard
    deviation of the final CMA-ES population (the spread the search still
    allowed); ``loss``: the best objective value (mV² for traces, plus the
    feature score; (µA/cm²)² for clamp currents); ``history``: best loss after
    each generation; ``fitted``: the fitted model's simulated sweeps; ``features``:
    per sweep, eFEL features of data and fit (features objective only); ``restarts``:
    seed, loss and parameters of every restart (when there were several); ``seed``:
    the seed of the search kept; ``evaluations``: candidates simulated by all searches.
    """

    model: Model
    base: str
    params: dict[str, float]
    uncertainty: dict[str, float]
    loss: float
    history: list[float]
    generations: int
    evaluations: int
    population: int
    seed: int
    polished: bool
    objective: Objective
    sweeps: list[Sweep]
    fitted: list[np.ndarray]
    features: list[dict] | None = None
    bounds: dict[str, list] = field(default_factory=dict)
    restarts: list[dict] | None = None

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready values (units in the key names where not a parameter)."""
        out = {
            "model": self.base,
            "params": dict(self.params),
            "uncertainty": dict(self.uncertainty),
            "loss": float(self.loss),
            "generations": self.generations,
            "evaluations": self.evaluations,
            "population": self.population,
            "seed": self.seed,
            "polished": self.polished,
            "objective": list(self.objective.kinds),
            "distance": self.objective.distance,
            "bounds": self.bounds,
            "loss_history": [float(x) for x in self.history],
            "sweeps": [s.label() for s in self.sweeps],
            "rms_error": [float(np.sqrt(np.mean((f - s.values) ** 2))) for f, s in zip(self.fitted, self.sweeps)],
            "rms_error_unit": self.sweeps[0].unit if self.sweeps else "",
        }
        if self.features is not None:
            out["features"] = self.features
        if self.restarts is not None:
            out["restarts"] = self.restarts
        return out

    def write_cell(self, path) -> Path:
        """The fitted model as a cell file (``hhsim run --model PATH`` runs it)."""
        from .output import write_cell_file

        return write_cell_file(self.model, path)

    def plot(self, path=None):
        from ..plot.fit import plot_fit

        return plot_fit(self, path)

    def _headline(self) -> tuple:
        return (self.base, f"loss {float(self.loss):.6g}", f"{len(self.params)} parameters",
                f"{self.generations} generations")

    def _rows(self) -> dict:
        return {**scalars(self.to_dict()), **{f"fitted {k}": float(v) for k, v in self.params.items()}}

    def _title(self) -> str:
        return f"Fit of {self.base}"


def _sweeps_of(data, stimuli=None, area_um2=None) -> list[Sweep]:
    if isinstance(data, Sweep):
        return [data]
    if isinstance(data, (str, Path)):
        data = [data]
    from .recordings import read_recording

    out = []
    for item in data:
        if isinstance(item, Sweep):
            out.append(item)
        else:
            out.extend(read_recording(item, stimuli=stimuli, area_um2=area_um2))
    if not out:
        raise ParameterError("a fit needs at least one recorded sweep")
    return out


@dataclass
class Problem:
    """Everything one search needs (picklable: restarts run it on Dask workers)."""

    model: Model
    space: Space
    sweeps: list[Sweep]
    objective: Objective
    clamp: Clamp
    generations: int
    population: int
    polish: bool
    method: str | None
    dt: float | None
    sigma0: float
    strategy: str = "cmaes"

    def __post_init__(self):
        self._evaluator = None
        self._groups = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_evaluator"] = state["_groups"] = None  # rebuilt where the problem runs
        return state

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = Evaluator(self.objective, self.sweeps)
        return self._evaluator

    def simulate(self, values: np.ndarray) -> list[np.ndarray]:
        """Simulated sweeps of (n, d) parameter values: per sweep an (n, samples) array."""
        names = self.space.names
        if self.objective.voltage_clamp:
            return simulate_voltage_clamp(self.model, names, values, self.sweeps, self.clamp, method=self.method,
                                          dt=self.dt)
        if self._groups is None:
            self._groups = group_sweeps(self.sweeps)
        return simulate_current_clamp(self.model, names, values, self.sweeps, self._groups, method=self.method,
                                      dt=self.dt)

    def evaluate(self, units: np.ndarray) -> np.ndarray:
        """(n,) losses of (n, d) unit-box points."""
        return self.evaluator.losses(self.simulate(self.space.to_values(units)))

    def search(self, seed: int, progress: bool | None = False, on_generation=None) -> SearchOutcome:
        """One search (and polish) from ``seed``."""
        kw = {"sigma0": self.sigma0} if self.strategy == "cmaes" else {}
        outcome = SEARCHES[self.strategy](self.evaluate, self.space, generations=self.generations,
                                          population=self.population, seed=seed, progress=progress,
                                          on_generation=on_generation, **kw)
        if self.polish:
            outcome = polish(lambda u: _finite(self.evaluator.residuals(self.simulate(self.space.to_values(u)))),
                             outcome)
        return outcome


def fit(model: str | Model, data, params, *, objective: Objective | str = "trace", clamp: Clamp | None = None,
        generations: int = 40, population: int | None = None, seed: int = 0, polish_fit: bool = False,
        method: str | None = None, dt: float | None = None, sigma0: float = 0.3, search: str = "cmaes",
        restarts: int = 1, area_um2: float | None = None,
        workers: int | None = None, scheduler: str | None = None, client=None,
        progress: bool | None = None, on_generation=None) -> FitResult:
    """Fit ``params`` of ``model`` to recorded sweeps.

    Parameters
    ----------
    model : a preset name or a :class:`~hhsim.Model` (e.g. from a cell file).
    data : :class:`Sweep` objects and/or recording paths (``.nwb``, ``.abf``, ``.csv``; their point
        currents converted through ``area_um2``, µm²).
    params : ``"NAME=LOW:HIGH[:log]"`` texts or :class:`Bound` objects.
    objective : an :class:`Objective` or one of ``"trace"``, ``"features"``, ``"clamp"``
        (``"trace,features"`` for both).
    clamp : voltage-clamp settings (series resistance, leak subtraction) for ``"clamp"``.
    generations, population, seed : search budget and seed (same seed, same result).
    search : ``"cmaes"`` (CMA-ES, the ``cma`` package; ``sigma0`` its initial step in the
        unit box) or ``"de"`` (scipy's differential evolution, vectorised).
    polish_fit : refine the best candidate by least squares (trace ``mse`` or clamp).
    method, dt : integration as :func:`hhsim.simulate_batch` (default dopri5 on the sweeps' grid).
    restarts : independent searches from seeds ``seed``, ``seed + 1``, ...; the best is kept.
        They run as Dask tasks (the sweep machinery's cluster: ``workers`` local
        processes, a ``scheduler`` address or a ``client``); ``workers=0`` runs them here,
        one after another.  The result does not depend on where they ran.
    on_generation : optional ``f(generation, best_loss)`` called after each generation
        (of the single search; not with restarts).
    """
    base = _models.get(model)
    space = Space.parse(params)
    space.check(base)
    if isinstance(objective, str):
        objective = Objective(kinds=tuple(k.strip() for k in objective.split(",") if k.strip()))
    sweeps = _sweeps_of(data, area_um2=area_um2)
    check_kinds(sweeps, "clamp" if objective.voltage_clamp else objective.kinds[0])
    clamp = clamp or Clamp()
    if not objective.voltage_clamp and clamp != Clamp():
        raise ParameterError("series resistance and leak subtraction apply to the clamp objective only")
    if polish_fit and (objective.kinds not in (("trace",), ("clamp",)) or objective.distance != "mse"):
        raise ParameterError("--polish refines the trace (mse) or clamp objective alone; "
                             "drop --polish or use --objective trace --distance mse")
    if search not in SEARCHES:
        raise ParameterError(f"unknown search {search!r}; accepted: {', '.join(SEARCHES)}")
    if not (isinstance(restarts, int) and restarts >= 1):
        raise ParameterError(f"--restarts must be a whole number >= 1, got {restarts}")
    population = default_population(space.dim) if population is None else population
    problem = Problem(base, space, sweeps, objective, clamp, generations, population, polish_fit, method, dt,
                      sigma0, search)
    if restarts == 1:
        outcomes = [problem.search(seed, progress=progress, on_generation=on_generation)]
    else:
        from .restarts import run_restarts

        outcomes = run_restarts(problem, [seed + r for r in range(restarts)], workers=workers,
                                scheduler=scheduler, client=client, progress=progress)
    k = min(range(len(outcomes)), key=lambda i: (outcomes[i].loss, i))
    return _result(problem, outcomes, k, seed)


def _result(problem: Problem, outcomes: list[SearchOutcome], k: int, seed: int) -> FitResult:
    """The :class:`FitResult` of the best of ``outcomes`` (index ``k``)."""
    space, outcome = problem.space, outcomes[k]
    best = space.to_values(outcome.best[None, :])[0]
    spread = space.to_values(outcome.population).std(axis=0, ddof=1)
    fitted_params = {n: float(v) for n, v in zip(space.names, best)}
    sims = problem.simulate(best[None, :])
    features = None
    if "features" in problem.objective.kinds:
        fit_features = problem.evaluator.features_of(sims)
        features = [{"sweep": s.label(), "data": d, "fit": f}
                    for s, d, f in zip(problem.sweeps, problem.evaluator.data_features, fit_features)]
    runs = None
    if len(outcomes) > 1:
        runs = [{"seed": seed + i, "loss": float(o.loss),
                 "params": {n: float(v) for n, v in zip(space.names, space.to_values(o.best[None, :])[0])}}
                for i, o in enumerate(outcomes)]
    return FitResult(
        model=problem.model.with_params(fitted_params), base=problem.model.name, params=fitted_params,
        uncertainty={n: float(v) for n, v in zip(space.names, spread)}, loss=outcome.loss,
        history=outcome.history, generations=len(outcome.history),
        evaluations=sum(o.evaluations for o in outcomes), population=problem.population, seed=seed + k,
        polished=outcome.polished, objective=problem.objective, sweeps=problem.sweeps,
        fitted=[s[0] for s in sims], features=features,
        bounds={b.name: [b.low, b.high, "log" if b.log else "lin"] for b in space.bounds}, restarts=runs,
    )


def _finite(r: np.ndarray) -> np.ndarray:
    """Residuals of a diverged candidate become large finite numbers (least squares needs finite values)."""
    return np.where(np.isfinite(r), r, 1e6)
