"""Reading and writing other tools' formats: NeuroML2 (:mod:`hhsim.interop.neuroml`),
NWB (:mod:`hhsim.interop.nwb`), NEURON's NMODL (:mod:`hhsim.interop.nmodl`, read without
a compiler).  Each format's library is imported only when used.

Importing this package registers the NeuroML reader with
:func:`hhsim.models.register_reader`, so that ``--model cell.nml`` and
``hhsim.models.get("cell.nml")`` read NeuroML files (the command line imports it;
in Python, ``import hhsim.interop`` first).  The registration lives here, above
the model layer, so that :mod:`hhsim.models` never imports this package.
"""

from __future__ import annotations

from pathlib import Path

from ..models.resolve import register_reader


def _neuroml_model(path: Path):
    from .neuroml import load_model  # libNeuroML only when a .nml file is met

    return load_model(path)


def _neuroml_stimulus(path: Path):
    from .neuroml import load_stimulus

    return load_stimulus(path)


register_reader(".nml", _neuroml_model, _neuroml_stimulus)
