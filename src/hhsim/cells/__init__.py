"""Cell files: a whole single-compartment cell in one TOML file.

>>> import hhsim
>>> from hhsim.cells import describe_cell, load_cell
>>> text = describe_cell(hhsim.models.get("hh"))     # TOML text, reads back identical

See :mod:`hhsim.cells.file` for the format.
"""

from __future__ import annotations

from .file import CellFile, cell_to_dict, describe_cell, load_cell, read_cell, write_cell

__all__ = ["CellFile", "cell_to_dict", "describe_cell", "load_cell", "read_cell", "write_cell"]
