"""``hhsim prebuild``: compile the engine's fixed kernels once for this installation."""

from __future__ import annotations

import json

import click


@click.command("prebuild")
@click.option("--force", is_flag=True, help="Build again even when the prebuilt kernels for these sources exist.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def prebuild_cmd(force, as_json):
    """Compile the fixed kernels (drivers, loops, solvers) once for this installation.

    A first run from an empty kernel cache then compiles only its model's own
    functions.  They go to <python prefix>/share/hhsim/prebuilt/ (or
    $HHSIM_PREBUILT_DIR), one set per version of the engine's sources, about 40 s
    on 2 cores; the sets of other versions there are removed once the new one is
    in.  HHSIM_PREBUILT=0 ignores them.
    """
    from ..engine.prebuild import prebuild

    report = prebuild(force=force)
    if as_json:
        click.echo(json.dumps({"path": str(report.path), "built": report.built, "seconds": round(report.seconds, 2),
                               "files": report.files, "megabytes": round(report.megabytes, 2)}))
    elif report.built:
        click.echo(f"prebuilt {report.files} compiled kernels ({report.megabytes:.1f} MB) in "
                   f"{report.seconds:.1f} s: {report.path}")
    else:
        click.echo(f"the prebuilt kernels for these sources are there: {report.path}")


def register(group: click.Group) -> None:
    group.add_command(prebuild_cmd)
