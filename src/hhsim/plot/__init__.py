"""Figures and animations of simulation results (matplotlib object API, headless).

>>> import hhsim
>>> from hhsim.plot import plot_result, animate_result
>>> r = hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)
>>> fig = plot_result(r)                       # doctest: +SKIP
>>> animate_result(r, "ap.gif")                # doctest: +SKIP
"""

from __future__ import annotations

from .animate import animate_result
from .figures import plot_result

__all__ = ["plot_result", "animate_result"]
