"""Every command and option of the CLI, every key of the TOML formats and every name of the
public API has its entry in the built reference.

The lists come from the code itself (the click commands, the key sets the file readers
check against), so a new command, option or key without documentation fails here.
"""

from __future__ import annotations

import pytest

bs4 = pytest.importorskip("bs4")
click = pytest.importorskip("click")


def _soup(path):
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _commands(group, prefix=("hhsim",)):
    """Every (sub)command, as the command line itself lists and loads them (lazily)."""
    ctx = click.Context(group, info_name=prefix[-1])
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        path = prefix + (name,)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)


def test_every_command_and_option_has_an_entry(built):
    from hhsim.cli.main import cli

    soup = _soup(built.html / "reference" / "cli.html")
    ids = {el["id"] for el in soup.find_all(id=True)}
    missing = []
    for path, cmd in _commands(cli):
        program = "-".join(path)
        if program not in ids:
            missing.append(f"command {' '.join(path)}")
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts + param.secondary_opts:
                    anchor = f"cmdoption-{program}-{opt.lstrip('-')}"
                    if anchor not in ids:
                        missing.append(f"{' '.join(path)} {opt}")
        arguments = [p for p in cmd.params if isinstance(p, click.Argument)]
        if len([i for i in ids if i.startswith(f"cmdoption-{program}-arg-")]) != len(arguments):
            missing.append(f"{' '.join(path)}: arguments {[a.name for a in arguments]}")
    assert len(list(_commands(cli))) >= 20
    assert missing == [], "\n".join(missing)


def _section(soup, anchor: str) -> str:
    """The text of the page section whose heading has this id."""
    sec = soup.find(id=anchor)
    assert sec is not None, f"no section #{anchor}"
    return str(sec)


def _codes(section_html: str) -> set[str]:
    return {c.get_text() for c in bs4.BeautifulSoup(section_html, "html.parser").find_all("code")}


def _format_keys():
    """(section id, what, keys) for every TOML format, from the readers' own key sets."""
    from hhsim.channels import spec
    from hhsim.network import cells as net_cells
    from hhsim.network import toml_io
    from hhsim.network.synapses import KINDS

    out = [("channel-files", "channel file", set(spec.CHANNEL_KEYS)),
           ("channel-files", "[[gates]]", set(spec._GATE_KEYS)),
           ("network-files", "network file", set(toml_io._TOP)),
           ("network-files", "[populations.NAME]", set(toml_io._POP)),
           ("network-files", "[sources.NAME]", set(toml_io._SRC)),
           ("network-files", "[[synapses]]", set(toml_io._SYN)),
           ("network-files", "[[inputs]]", set(toml_io._INPUT)),
           ("network-files", "[[noise]]", set(toml_io._NOISE)),
           ("network-files", "[monitors]", set(toml_io._MON)),
           ("network-files", "stp", {"U", "tau_rec", "tau_fac"}),
           ("network-files", "synapse kinds", set(KINDS)),
           ("network-files", "cable cell table", set(net_cells.TABLE_KEYS))]
    for kind, cls in KINDS.items():
        out.append(("network-files", f"kind {kind}", set(cls.__dataclass_fields__)))
    try:
        from hhsim.cells import file as cell_file
    except ImportError:  # cell files not in this tree
        return out
    from hhsim.channels.ions import DEFAULT_CONCENTRATIONS

    out += [("cell-files", "cell file", set(cell_file.TOP_KEYS)),
            ("cell-files", "[membrane]", set(cell_file.MEMBRANE_KEYS)),
            ("cell-files", "[[pools]]", set(cell_file.POOL_KEYS)),
            ("cell-files", "[concentrations]", set(DEFAULT_CONCENTRATIONS)),
            ("cell-files", "stimulus kinds", set(cell_file.STIMULI))]
    for kind, keys in cell_file.STIMULI.items():
        out.append(("cell-files", f"stimulus {kind}", set(keys)))
    return out


def test_every_key_of_every_file_format_has_an_entry(built):
    soup = _soup(built.html / "reference" / "formats.html")
    missing = []
    for anchor, what, keys in _format_keys():
        codes = _codes(_section(soup, anchor))
        missing += [f"{anchor}: {what} key {k!r}" for k in sorted(keys) if k not in codes]
    assert missing == [], "\n".join(missing)


def test_every_public_name_has_an_api_entry(built):
    import hhsim

    generated = built.html / "reference" / "generated"
    modules = {"models", "analysis", "cable", "plot", "sweep", "explore", "dynamics", "network", "stim",
               "__version__"}
    for name in hhsim.__all__:
        if name not in modules:
            assert (generated / f"hhsim.{name}.html").is_file(), name
    for name in ("simulate", "Model", "Result"):
        text = _soup(generated / f"hhsim.{name}.html").get_text(" ")
        assert f"hhsim.{name}" in text and len(text) > 600


def test_every_preset_model_and_library_channel_is_listed(built):
    import hhsim
    from hhsim import channels

    codes = {c.get_text() for c in _soup(built.html / "reference" / "models.html").find_all("code")}
    missing = [f"model {m}" for m in hhsim.models.names() if m not in codes]
    missing += [f"channel {c}" for c in channels.names() if c not in codes]
    assert missing == [], missing
