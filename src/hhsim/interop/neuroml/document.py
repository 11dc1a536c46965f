"""NeuroML2 files: reading (checked against the schema) and writing (atomically, valid).

A file is read in three steps, each failing with one line that names the
file and line: the XML is parsed (lxml), checked against the NeuroML2
schema that libNeuroML ships, then loaded into libNeuroML's objects, which
the readers of cells, channels and networks turn into hhsim descriptions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ...errors import ModelError
from ...io import atomic_write
from .channels import Context

#: The schema files are checked against (the newest libNeuroML ships).
SCHEMA = "NeuroML_v2.3.1.xsd"


@dataclass(frozen=True)
class Source:
    """A NeuroML file loaded: the libNeuroML document, its reading context and name."""

    doc: object
    ctx: Context
    path: str


@functools.lru_cache(maxsize=1)
def schema():
    """The NeuroML2 XML schema (lxml), from libNeuroML's package."""
    from lxml import etree
    import neuroml

    path = Path(neuroml.__file__).parent / "nml" / SCHEMA
    return etree.XMLSchema(etree.parse(str(path)))


def _first_error(log) -> tuple[int, str]:
    err = log[0] if len(log) else None
    if err is None:
        return 0, "does not follow the NeuroML2 schema"
    msg = err.message
    # lxml names elements with their namespace: keep the local name
    msg = msg.replace("{http://www.neuroml.org/schema/neuroml2}", "")
    return err.line, msg


def check_file(path: str | Path) -> dict[str, int]:
    """Parse and schema-check ``path``; returns element id -> line.  Raises
    :class:`ModelError` with ``file:line`` on the first problem."""
    from lxml import etree

    from ...limits import read_bounded

    shown = str(path)
    try:
        data = read_bounded(shown, "NeuroML file", ModelError)
    except FileNotFoundError:
        raise ModelError(f"NeuroML file {shown!r} not found") from None
    except OSError as exc:
        raise ModelError(f"NeuroML file {shown!r} cannot be read: {exc.strerror or exc}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise ModelError(f"{shown}:{line}: not well-formed XML: {exc.msg.split(' (line')[0]}; a NeuroML2 file "
                         "is XML with a <neuroml> root") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ModelError(f"{shown}:1: a DOCTYPE declaration is not accepted in a NeuroML2 file (entities are "
                         "not expanded); remove it")
    local = etree.QName(root).localname
    if local != "neuroml":
        raise ModelError(f"{shown}:{root.sourceline}: the root element is <{local}>; a NeuroML2 file has a "
                         "<neuroml> root (LEMS simulation files are not read: give the .nml file they include)")
    xsd = schema()
    if not xsd.validate(etree.ElementTree(root)):
        line, msg = _first_error(xsd.error_log)
        raise ModelError(f"{shown}:{line}: not valid NeuroML2 ({SCHEMA}): {msg}")
    return {el.get("id"): f"{shown}:{el.sourceline}" for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


def _includes(path: Path) -> list[str]:
    """The ``href`` of each ``<include>`` of a checked NeuroML file."""
    from lxml import etree

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return [el.get("href") for el in tree.getroot() if isinstance(el.tag, str)
            and etree.QName(el).localname == "include" and el.get("href")]


#: At most this many files are read through <include>.
MAX_FILES = 200


def _read(path: Path):
    from neuroml import loaders

    try:
        return loaders.read_neuroml2_file(str(path), include_includes=False, verbose=False)
    except Exception as exc:  # libNeuroML raises bare Exception with the parser's message
        raise ModelError(f"{path}: not readable by libNeuroML: {str(exc.args[0] if exc.args else exc)[:300]}") from None


def _merge(into, other) -> None:
    """Append every element list of libNeuroML document ``other`` to ``into``'s."""
    for item in type(into).member_data_items_:
        if item.container and item.name != "includes":
            mine, theirs = getattr(into, item.name, None), getattr(other, item.name, None)
            if isinstance(mine, list) and theirs:
                mine.extend(theirs)


#: A cell's hhsim properties as a network of a network file keeps them
#: (``hhsim:cell:<cell id>:<key>``): jNeuroML (0.14) attaches no projection's synapse to a
#: <cell> that has <property> children ("No attachments list in <cell>").
CELL_PREFIX = "hhsim:cell:"


def cell_properties_to_network(doc) -> None:
    """Move the hhsim properties of ``doc``'s cells onto its first network (see :data:`CELL_PREFIX`)."""
    import neuroml

    if not doc.networks:
        return
    net = doc.networks[0]
    for cell in doc.cells or []:
        ours = [p for p in cell.properties or [] if str(p.tag).startswith("hhsim:")]
        if ours:
            cell.properties = [p for p in cell.properties if p not in ours]
            net.properties.extend(neuroml.Property(tag=f"{CELL_PREFIX}{cell.id}:{p.tag[len('hhsim:'):]}",
                                                   value=p.value) for p in ours)


def _cell_properties_from_networks(doc) -> None:
    """Give the cells back the hhsim properties their network keeps for them."""
    import neuroml

    cells = {c.id: c for c in doc.cells or []}
    for net in doc.networks or []:
        for p in net.properties or []:
            cell_id, _, key = str(p.tag)[len(CELL_PREFIX):].partition(":")
            if str(p.tag).startswith(CELL_PREFIX) and cell_id in cells and key:
                cells[cell_id].properties.append(neuroml.Property(tag=f"hhsim:{key}", value=p.value))


def load(path: str | Path) -> Source:
    """The checked NeuroML file ``path`` as libNeuroML objects, with the files it
    includes (``<include href=...>``, relative to the including file) merged in."""
    path = Path(path)
    lines = check_file(path)
    doc = _read(path)
    seen = {path.resolve()}
    queue = [(path, href) for href in _includes(path)]
    while queue:
        parent, href = queue.pop(0)
        if "://" in href:
            raise ModelError(f"{parent}: <include href={href!r}>: only local files are read")
        child = parent.parent / href
        if child.resolve() in seen:
            continue
        if len(seen) >= MAX_FILES:
            raise ModelError(f"{path}: more than {MAX_FILES} files through <include>")
        if not child.is_file():
            raise ModelError(f"{parent}: included file {href!r} not found (looked for {str(child)!r})")
        seen.add(child.resolve())
        for ident, where in check_file(child).items():
            lines.setdefault(ident, where)
        _merge(doc, _read(child))
        queue += [(child, h) for h in _includes(child)]
    _cell_properties_from_networks(doc)
    cts = {ct.name: ct for ct in (getattr(doc, "ComponentType", None) or [])}
    return Source(doc, Context(component_types=cts, where=str(path), lines=lines), str(path))


def write(doc, path: str | Path) -> Path:
    """Write libNeuroML document ``doc`` to ``path`` atomically, after checking the
    written text against the NeuroML2 schema (an invalid document is a bug here)."""
    from lxml import etree
    from neuroml.writers import NeuroMLWriter

    def _write(tmp: str) -> None:
        NeuroMLWriter.write(doc, tmp)
        xsd = schema()
        if not xsd.validate(etree.parse(tmp)):
            line, msg = _first_error(xsd.error_log)
            raise RuntimeError(f"hhsim wrote NeuroML that its schema refuses (line {line}): {msg}")

    atomic_write(path, _write)
    return Path(path)
