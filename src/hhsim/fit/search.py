"""The search: CMA-ES (or differential evolution) over the unit box, one batch per generation,
then an optional polish.

CMA-ES (the ``cma`` package) asks for a population of candidates; all of
them run on all sweeps in one batch (:mod:`.simulate`), their losses are
told back, and the best candidate seen is kept.  With the same seed the
same candidates are asked, so the same data give the same result.

The polish (``scipy.optimize.least_squares``, trust-region reflective
inside the bounds) works on the residuals of the trace (``mse``) or clamp
objective; its Jacobian is a forward difference whose d + 1 simulations
are again one batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError, SolverError
from ..progress import bar as progress_bar
from .simulate import FAILED
from .space import Space

#: Forward-difference step of the polish's Jacobian, in the unit box (0.1 % of each range).
JAC_STEP = 1e-3


@dataclass
class SearchOutcome:
    """Best unit-box point and loss, the final population (unit box), the best loss after
    each generation and the number of candidates simulated."""

    best: np.ndarray
    loss: float
    population: np.ndarray
    history: list[float]
    evaluations: int
    polished: bool = False


def default_population(dim: int) -> int:
    """CMA-ES's default population for ``dim`` parameters, at least 8."""
    return max(8, 4 + int(3 * math.log(max(dim, 1))))


def cmaes(evaluate: Callable[[np.ndarray], np.ndarray], space: Space, *, generations: int, population: int,
          seed: int, sigma0: float = 0.3, progress: bool | None = None,
          on_generation: Callable[[int, float], None] | None = None) -> SearchOutcome:
    """Minimise ``evaluate`` ((n, d) unit-box points -> (n,) losses) with CMA-ES.

    ``on_generation(g, best_loss)`` is called after each generation (e.g. to time the search).
    Starts at the centre of the box (the geometric centre of a log range).
    A one-parameter space gets a second, ignored coordinate (CMA-ES needs two).
    """
    import cma

    _check_budget(generations, population, seed, minimum=4)
    d = space.dim
    pad = 1 if d == 1 else 0
    opts = {"bounds": [0.0, 1.0], "popsize": population, "seed": seed + 1, "verbose": -9,
            "maxiter": generations, "tolfun": 0.0, "tolfunhist": 0.0, "tolx": 1e-12, "tolstagnation": 10 ** 9}
    es = cma.CMAEvolutionStrategy([0.5] * (d + pad), sigma0, opts)
    bar = progress_bar(generations, desc="fit", unit="gen", progress=progress)
    best, best_loss, history, evaluations = None, math.inf, [], 0
    pop = None
    try:
        for _ in range(generations):
            asked = es.ask()
            pop = np.clip(np.array(asked), 0.0, 1.0)
            losses = np.asarray(evaluate(pop[:, :d]), dtype=float)
            if not history and np.all(losses >= FAILED):
                raise SolverError("every candidate of the first generation diverged; use the default method "
                                  "(dopri5) or a smaller --dt, or narrow the bounds")
            evaluations += len(asked)
            es.tell(asked, losses.tolist())
            k = int(np.argmin(losses))
            if losses[k] < best_loss:
                best, best_loss = pop[k, :d].copy(), float(losses[k])
            history.append(best_loss)
            bar.set_postfix_str(f"loss {best_loss:.4g}")
            bar.update(1)
            if on_generation is not None:
                on_generation(len(history), best_loss)
            if es.stop() and "maxiter" not in es.stop():
                break
    finally:
        bar.close()
    return SearchOutcome(best=best, loss=best_loss, population=pop[:, :d], history=history, evaluations=evaluations)


def differential_evolution(evaluate: Callable[[np.ndarray], np.ndarray], space: Space, *, generations: int,
                           population: int, seed: int, progress: bool | None = None,
                           on_generation: Callable[[int, float], None] | None = None) -> SearchOutcome:
    """Minimise ``evaluate`` with scipy's differential evolution, vectorised: each generation's
    trial population is one call of ``evaluate`` (one batch).

    The initial population is a Latin hypercube of ``population`` points drawn from ``seed``.
    """
    from scipy.optimize import differential_evolution as de
    from scipy.stats import qmc

    _check_budget(generations, population, seed, minimum=5)
    d = space.dim
    init = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(population)
    bar = progress_bar(generations, desc="fit", unit="gen", progress=progress)
    state = {"best": None, "loss": math.inf, "evaluations": 0, "history": [], "first": True}

    def batch(x):  # x: (d, S) -> (S,)
        pts = np.clip(np.asarray(x, dtype=float).T, 0.0, 1.0)
        losses = np.asarray(evaluate(pts), dtype=float)
        if state["first"] and np.all(losses >= FAILED):
            raise SolverError("every candidate of the first generation diverged; use the default method "
                              "(dopri5) or a smaller --dt, or narrow the bounds")
        state["first"] = False
        state["evaluations"] += pts.shape[0]
        k = int(np.argmin(losses))
        if losses[k] < state["loss"]:
            state["best"], state["loss"] = pts[k].copy(), float(losses[k])
        return losses

    def callback(intermediate_result=None):
        state["history"].append(state["loss"])
        bar.set_postfix_str(f"loss {state['loss']:.4g}")
        bar.update(1)
        if on_generation is not None:
            on_generation(len(state["history"]), state["loss"])

    try:
        res = de(batch, [(0.0, 1.0)] * d, maxiter=generations, init=init, tol=0.0, atol=0.0, polish=False,
                 vectorized=True, updating="deferred", rng=np.random.default_rng(seed + 1), callback=callback)
    finally:
        bar.close()
    return SearchOutcome(best=state["best"], loss=state["loss"], population=np.asarray(res.population),
                         history=state["history"], evaluations=state["evaluations"])


#: Population-based searches by name (each generation one batch).
SEARCHES = {"cmaes": cmaes, "de": differential_evolution}


def _check_budget(generations, population, seed, minimum: int) -> None:
    if not (isinstance(generations, int) and generations >= 1):
        raise ParameterError(f"--generations must be a whole number >= 1, got {generations}")
    if not (isinstance(population, int) and population >= minimum):
        raise ParameterError(f"--population must be a whole number >= {minimum}, got {population}")
    if not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"--seed must be a whole number >= 0, got {seed}")


def polish(residuals: Callable[[np.ndarray], np.ndarray], outcome: SearchOutcome, *,
           max_iter: int = 100) -> SearchOutcome:
    """Refine ``outcome.best`` by least squares on ``residuals`` ((n, d) -> (n, samples));
    kept only when it lowers the loss (the mean square of the residuals, as the objective)."""
    from scipy.optimize import least_squares

    d = outcome.best.size
    count = [0]

    def fun(u):
        count[0] += 1
        return residuals(u[None, :])[0]

    def jac(u):
        pts = np.vstack([u] + [u + _step(u, i) for i in range(d)])
        r = residuals(pts)
        count[0] += d + 1
        steps = np.array([_step(u, i)[i] for i in range(d)])
        return ((r[1:] - r[0]) / steps[:, None]).T

    start = np.clip(outcome.best, 1e-9, 1 - 1e-9)
    sol = least_squares(fun, start, jac=jac, bounds=(np.zeros(d), np.ones(d)), method="trf", max_nfev=max_iter,
                        x_scale="jac")
    loss = float(np.sum(sol.fun ** 2))
    out = SearchOutcome(best=outcome.best, loss=outcome.loss, population=outcome.population,
                        history=list(outcome.history), evaluations=outcome.evaluations + count[0], polished=True)
    if np.isfinite(loss) and loss < outcome.loss:
        out.best, out.loss = sol.x.copy(), loss
    return out


def _step(u: np.ndarray, i: int) -> np.ndarray:
    """A forward step along coordinate i that stays inside the box (backward at the upper bound)."""
    e = np.zeros_like(u)
    e[i] = JAC_STEP if u[i] + JAC_STEP <= 1.0 else -JAC_STEP
    return e
