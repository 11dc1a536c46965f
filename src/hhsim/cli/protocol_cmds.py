"""The electrophysiology-lab subcommands: thin wrappers over :mod:`hhsim.analysis`.

``rheobase``, ``threshold``, ``strength-duration``, ``fi``, ``refractory``,
``anode-break``, ``vclamp`` and ``scan``; each takes ``--model``, ``--set``,
``--temperature``, ``--drug``, ``--plot FILE``, ``--json`` and ``--quiet``.
"""

from __future__ import annotations

import click

from .. import analysis
from ..analysis._common import parse_range, arange_inclusive
from ..drugs import apply_drugs, parse_drug
from ..errors import OutputError
from ..stimspec import parse as parse_stim
from ..stim import total
from ..errors import ProtocolError
from .common import FIGURE_SUFFIXES, build_model, check_output, emit_json, model_options
from .noise_options import noise_options, noise_record

def protocol_options(f):
    """Options every protocol shares (on top of --model/--set/--temperature)."""
    f = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")(f)
    f = click.option("--plot", default=None, metavar="FILE", help="Save the figure: .png, .svg or .pdf.")(f)
    f = click.option("--dt", type=float, default=None, metavar="MS",
                     help="Output grid (ms) for dopri5, the time step for fixed-step methods; "
                          "default 0.025 (shortened to put pulse edges on the grid).")(f)
    f = click.option("--method", default=None, metavar="NAME",
                     help="Solver: dopri5 (default, adaptive per neuron), rk4, expeuler or euler.")(f)
    return model_options(f)


def _finish(result, plot, as_json, lines):
    if plot is not None:
        result.plot(plot)
    if as_json:
        emit_json(result.to_dict())
        return
    for line in lines:
        click.echo(line)
    if plot is not None:
        click.echo(f"wrote {plot}")


def _common(kw):
    """Split the shared options off the keyword arguments."""
    model = build_model(kw.pop("model_name"), kw.pop("overrides"), kw.pop("temperature"), kw.pop("drugs"),
                        kw.pop("channel_files"))
    plot = check_output(kw.pop("plot"), FIGURE_SUFFIXES, "figure")
    as_json = kw.pop("as_json")
    run = {"method": kw.pop("method"), "dt": kw.pop("dt"), "progress": False if kw.pop("quiet") else None}
    return model, plot, as_json, run


def _nwb_out(kw):
    """--out FILE.nwb of a protocol (its sweeps), checked before any work."""
    return check_output(kw.pop("out"), (".nwb",), "NWB")


def _save_nwb(result, out, quiet: bool) -> None:
    if out is not None:
        from ..interop.nwb import write_result

        write_result(result, out)
        if not quiet:
            click.echo(f"wrote {out}")


_NWB_OUT = click.option("--out", default=None, metavar="FILE.nwb",
                        help="Save the sweeps just below and just above threshold as an NWB file.")


def _head(model) -> str:
    return f"model {model.name} at {model.temperature:g} °C"


def _noise(kw):
    """The ChannelNoise of the --noise/--area/--density/--count/--seed options (popped), or None."""
    spec = noise_record(kw.pop("noise"), kw.pop("area"), kw.pop("density"), kw.pop("counts"), kw.pop("seed"))
    return spec if spec.active else None


def _refuse_noise(kw, command: str) -> None:
    """A bisection on a deterministic threshold takes no channel noise: one line naming what is accepted."""
    if _noise(kw) is not None:
        raise ProtocolError(f"hhsim {command} bisects on a deterministic threshold, which channel noise turns into "
                            "a firing probability; accepted: --noise none (noisy firing: hhsim fi --noise, "
                            "hhsim run --noise, hhsim spontaneous)")


# ------------------------------------------------------------------ commands
@click.command("rheobase")
@protocol_options
@click.option("--dur", type=float, default=200.0, show_default=True, metavar="MS", help="Step duration (ms).")
@click.option("--i-max", type=float, default=50.0, show_default=True, metavar="UA",
              help="Top of the search bracket (µA/cm²).")
@click.option("--rtol", type=float, default=1e-3, show_default=True, help="Relative precision.")
@_NWB_OUT
@noise_options
def rheobase_cmd(**kw):
    """Smallest step current (from rest) that gives at least one spike.  JSON: rheobase_uA_cm2."""
    _refuse_noise(kw, "rheobase")
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    r = analysis.rheobase(model, kw["dur"], i_max=kw["i_max"], rtol=kw["rtol"], **run)
    _save_nwb(r, out, as_json)
    _finish(r, plot, as_json, [
        _head(model),
        f"rheobase ({r.pulse_dur_ms:g} ms step)   {r.threshold_uA_cm2:.6g} µA/cm²   "
        f"(bracket {r.bracket_uA_cm2[0]:.6g} to {r.bracket_uA_cm2[1]:.6g})",
    ])


@click.command("threshold")
@protocol_options
@click.option("--pulse-dur", type=float, default=1.0, show_default=True, metavar="MS", help="Pulse duration (ms).")
@click.option("--i-max", type=float, default=None, metavar="UA",
              help="Top of the search bracket (µA/cm²); default max(50, 100 mV x Cm / duration).")
@click.option("--rtol", type=float, default=1e-3, show_default=True, help="Relative precision.")
@_NWB_OUT
@noise_options
def threshold_cmd(**kw):
    """Smallest amplitude of one brief pulse (from rest) that gives a spike.  JSON: threshold_uA_cm2."""
    _refuse_noise(kw, "threshold")
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    r = analysis.threshold(model, kw["pulse_dur"], i_max=kw["i_max"], rtol=kw["rtol"], **run)
    _save_nwb(r, out, as_json)
    _finish(r, plot, as_json, [
        _head(model),
        f"threshold ({r.pulse_dur_ms:g} ms pulse)   {r.threshold_uA_cm2:.6g} µA/cm²   "
        f"(charge {r.threshold_uA_cm2 * r.pulse_dur_ms:.4g} nC/cm²)",
    ])


@click.command("strength-duration")
@protocol_options
@click.option("--d-min", type=float, default=0.05, show_default=True, metavar="MS", help="Shortest pulse (ms).")
@click.option("--d-max", type=float, default=50.0, show_default=True, metavar="MS", help="Longest pulse (ms).")
@click.option("--n", type=int, default=16, show_default=True, help="Number of durations (log spaced).")
@click.option("--law", type=click.Choice(["lapicque", "weiss"]), default="lapicque", show_default=True,
              help="Law whose fitted rheobase and chronaxie are reported first (both are fitted).")
@click.option("--i-max", type=float, default=None, metavar="UA", help="Top of every search bracket (µA/cm²).")
@click.option("--rtol", type=float, default=1e-3, show_default=True, help="Relative precision.")
@noise_options
def strength_duration_cmd(**kw):
    """Pulse thresholds over durations, with rheobase and chronaxie from the Weiss and Lapicque laws.

    JSON: rheobase_uA_cm2, chronaxie_ms, points [[duration_ms, threshold_uA_cm2], ...], fits.
    """
    _refuse_noise(kw, "strength-duration")
    model, plot, as_json, run = _common(kw)
    r = analysis.strength_duration(model, d_min=kw["d_min"], d_max=kw["d_max"], n=kw["n"], law=kw["law"],
                                   i_max=kw["i_max"], rtol=kw["rtol"], **run)
    lines = [_head(model), f"{'duration (ms)':>14s} {'threshold (µA/cm²)':>20s}"]
    lines += [f"{d:14.4g} {i:20.6g}" for d, i in zip(r.durations_ms, r.thresholds_uA_cm2)]
    for name, fit in r.fits.items():
        lines.append(f"{name:9s} fit: rheobase {fit.rheobase_uA_cm2:.4g} µA/cm², chronaxie "
                     f"{fit.chronaxie_ms:.4g} ms (rms relative residual {fit.rms_relative_residual:.2g})")
    mc = r.measured_chronaxie_ms
    lines.append(f"measured : rheobase {r.measured_rheobase_uA_cm2:.4g} µA/cm², chronaxie "
                 + (f"{mc:.4g} ms" if mc is not None else "outside the durations tried"))
    _finish(r, plot, as_json, lines)


@click.command("fi")
@protocol_options
@click.option("--i-min", type=float, default=0.0, show_default=True, metavar="UA", help="Lowest current (µA/cm²).")
@click.option("--i-max", type=float, default=20.0, show_default=True, metavar="UA", help="Highest current (µA/cm²).")
@click.option("--n", type=int, default=41, show_default=True, help="Number of currents.")
@click.option("--dur", type=float, default=1000.0, show_default=True, metavar="MS",
              help="Duration of each current (ms).")
@click.option("--out", default=None, metavar="FILE.nwb",
              help="Save the runs from rest, one sweep per current, as an NWB file.")
@noise_options
def fi_cmd(**kw):
    """The f-I curve from rest and by up/down continuation (exposes bistability).

    With --noise every run is a noisy neuron (markov or langevin; below rheobase the rate is
    the spontaneous firing that channel noise gives).

    JSON: currents_uA_cm2, rates_hz, rates_up_hz, rates_down_hz, bistable_range_uA_cm2, noise.
    """
    noise = _noise(kw)
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    r = analysis.fi_curve(model, kw["i_min"], kw["i_max"], kw["n"], dur=kw["dur"], noise=noise, **run)
    _save_nwb(r, out, as_json)
    head = _head(model)
    if noise is not None:
        counts = ", ".join(f"{k} {v}" for k, v in noise.channel_counts(model).items())
        head += f"; channel noise {noise.method} (seed {noise.seed}): {counts} channels per neuron"
    lines = [head, f"{'I (µA/cm²)':>11s} {'from rest':>10s} {'up':>8s} {'down':>8s}   (Hz)"]
    lines += [f"{c:11.4g} {a:10.2f} {u:8.2f} {w:8.2f}"
              for c, a, u, w in zip(r.currents_uA_cm2, r.rates_hz, r.rates_up_hz, r.rates_down_hz)]
    if noise is None:  # bistability and the onset rate are properties of the deterministic sweeps
        br = r.bistable_range_uA_cm2
        lines.append("bistable range: " + (f"{br[0]:.4g} to {br[1]:.4g} µA/cm² (rest and repetitive firing "
                                           "coexist)" if br else "none found"))
        if r.onset_rate_hz is not None:
            lines.append(f"firing starts at {r.onset_rate_hz:.1f} Hz on the way up; slowest repetitive firing "
                         f"{r.min_rate_hz:.1f} Hz")
    _finish(r, plot, as_json, lines)


@click.command("refractory")
@protocol_options
@click.option("--pulse-dur", type=float, default=0.5, show_default=True, metavar="MS", help="Pulse duration (ms).")
@click.option("--intervals", default=None, metavar="START:STOP:STEP",
              help="Intervals (ms, onset to onset) of the recovery curve; default 1-9.5 by 0.5, 10-30 by 2.")
@click.option("--max-interval", type=float, default=40.0, show_default=True, metavar="MS",
              help="Longest interval examined for the refractory periods (ms).")
@click.option("--max-factor", type=float, default=20.0, show_default=True,
              help="Largest second pulse tried, in units of the single-pulse threshold.")
@click.option("--out", default=None, metavar="FILE.nwb",
              help="Save the conditioning pulse alone and, per interval, the test just above threshold "
                   "as an NWB file.")
@noise_options
def refractory_cmd(**kw):
    """Paired pulses: absolute and relative refractory periods and the recovery curve.

    JSON: absolute_ms, relative_ms, curve [[interval_ms, threshold_ratio], ...].
    """
    _refuse_noise(kw, "refractory")
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    intervals = None
    if kw["intervals"] is not None:
        intervals = arange_inclusive(*parse_range(kw["intervals"], "--intervals", "ms"))
    r = analysis.refractory(model, pulse_dur=kw["pulse_dur"], intervals=intervals,
                            max_interval=kw["max_interval"], max_factor=kw["max_factor"], **run)
    _save_nwb(r, out, as_json)
    lines = [_head(model),
             f"single-pulse threshold ({r.pulse_dur_ms:g} ms)  {r.single_threshold_uA_cm2:.5g} µA/cm²",
             "absolute refractory period  " + (f"{r.absolute_ms:.3f} ms" if r.absolute_ms is not None
                                               else "none (a second spike at every interval)"),
             f"relative refractory period  up to {r.relative_ms:.3f} ms",
             f"{'interval (ms)':>14s} {'threshold / T1':>15s}"]
    lines += [f"{i:14.4g} " + (f"{x:15.4g}" if x == x else f"{'> ' + format(r.max_factor, 'g'):>15s}")
              for i, x in zip(r.intervals_ms, r.threshold_ratio)]
    _finish(r, plot, as_json, lines)


@click.command("anode-break")
@protocol_options
@click.option("--dur", type=float, default=20.0, show_default=True, metavar="MS",
              help="Duration of the hyperpolarising step (ms).")
@click.option("--i-max", type=float, default=None, metavar="UA",
              help="Largest hyperpolarising amplitude tried (µA/cm²); default: the steady current "
                   "holding the membrane 30 mV below rest.")
@click.option("--rtol", type=float, default=1e-3, show_default=True, help="Relative precision.")
@_NWB_OUT
@noise_options
def anode_break_cmd(**kw):
    """Smallest hyperpolarising step whose release gives a rebound spike.  JSON: threshold_uA_cm2."""
    _refuse_noise(kw, "anode-break")
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    r = analysis.anode_break(model, kw["dur"], i_max=kw["i_max"], rtol=kw["rtol"], **run)
    _save_nwb(r, out, as_json)
    _finish(r, plot, as_json, [
        _head(model),
        f"anode-break threshold ({r.pulse_dur_ms:g} ms step)   {r.threshold_uA_cm2:.6g} µA/cm² "
        f"(a step of {-r.threshold_uA_cm2:.6g} µA/cm²)",
    ])


@click.command("vclamp")
@protocol_options
@click.option("--hold", type=float, default=None, metavar="MV", help="Holding potential (mV); default: rest.")
@click.option("--steps", default=None, metavar="START:STOP:STEP",
              help="Command potentials (mV); default from rest-35 to rest+125 by 10 (-100:60:10 for hh).")
@click.option("--dur", type=float, default=30.0, show_default=True, metavar="MS", help="Step duration (ms).")
@click.option("--rs", type=float, default=None, metavar="OHM_CM2",
              help="Series resistance (Ω·cm²); default: an ideal clamp.")
@click.option("--gain", type=float, default=None, metavar="A",
              help="Open-loop gain of the clamp amplifier (with --rs; default infinite).")
@click.option("--prepulses", default=None, metavar="START:STOP:STEP",
              help="Prepulse levels (mV) of the steady-state inactivation protocol; default from rest-55 "
                   "to rest+45 by 5 (-120:-20:5 for hh).")
@click.option("--test-v", type=float, default=None, metavar="MV",
              help="Test potential after the prepulses (mV); default rest+65 (0 mV for hh).")
@click.option("--out", default=None, metavar="FILE.nwb",
              help="Save the command steps and the clamp currents, one sweep per step, as an NWB file.")
def vclamp_cmd(**kw):
    """Voltage-clamp steps: I-V, conductances, activation/inactivation curves, tail currents.

    JSON: steps_mV, peak_inward_uA_cm2, steady_state_uA_cm2, peak_currents_uA_cm2 per channel, ...
    """
    out = _nwb_out(kw)
    model, plot, as_json, run = _common(kw)
    steps = None if kw["steps"] is None else arange_inclusive(*parse_range(kw["steps"], "--steps", "mV"))
    prepulses = (None if kw["prepulses"] is None
                 else arange_inclusive(*parse_range(kw["prepulses"], "--prepulses", "mV")))
    r = analysis.vclamp(model, steps, hold=kw["hold"], dur=kw["dur"], series_resistance=kw["rs"],
                        gain=kw["gain"], prepulses=prepulses, test_v=kw["test_v"], **run)
    _save_nwb(r, out, as_json)
    chans = list(r.peak_currents)
    lines = [_head(model) + f", hold {r.hold_mV:.2f} mV, " + ("ideal clamp" if r.ideal else
                                                               f"R_s {r.series_resistance_ohm_cm2:g} Ω·cm²"),
             f"{'V (mV)':>8s} {'peak in':>10s} {'steady':>10s} {'tail':>9s} "
             + " ".join(f"{'peak I_' + c:>10s}" for c in chans) + "   (µA/cm²)"]
    for k, v in enumerate(r.steps_mV):
        lines.append(f"{v:8.3g} {r.peak_inward_uA_cm2[k]:10.2f} {r.steady_state_uA_cm2[k]:10.2f} "
                     f"{r.tail_uA_cm2[k]:9.2f} " + " ".join(f"{r.peak_currents[c][k]:10.2f}" for c in chans))
    for name, fit in r.activation_fits.items():
        if fit is not None:
            lines.append(f"{name} activation: Boltzmann V½ {fit.v_half_mV:.2f} mV, k {fit.slope_mV:.2f} mV")
    for name, fit in r.inactivation_fits.items():
        if fit is not None:
            lines.append(f"{name} inactivation: Boltzmann V½ {fit.v_half_mV:.2f} mV, k {fit.slope_mV:.2f} mV")
    _finish(r, plot, as_json, lines)


@click.command("scan")
@protocol_options
@click.option("--param", "param", required=True, metavar="NAME=START:STOP:N",
              help="Parameter to vary (any `hhsim models NAME` parameter, or ttx_nM / tea_mM).")
@click.option("--measure", required=True, metavar="FEATURE",
              help="Feature to tabulate: " + ", ".join(analysis.FEATURES) + ".")
@click.option("--stim", "stims", multiple=True, metavar="SPEC",
              help="Stimulus for trace features (default 'step(amp=10, start=10, dur=100)').")
@click.option("--t-stop", type=float, default=None, metavar="MS",
              help="Duration (ms); default 20 ms after the stimulus ends.")
@click.option("--pulse-dur", type=float, default=1.0, show_default=True, metavar="MS",
              help="Pulse duration for threshold_uA_cm2 (ms).")
@click.option("--out", default=None, metavar="FILE.nwb",
              help="Save the traces of a trace feature, one sweep per value, as an NWB file.")
def scan_cmd(**kw):
    """Vary one parameter and tabulate a feature (with a figure).  JSON: param, values, measure, results."""
    from ..analysis.scan import feature_name, parse_param

    out = _nwb_out(kw)
    if out is not None:
        from ..interop.nwb import SCAN_WITHOUT_TRACES

        if feature_name(kw["measure"]) in SCAN_WITHOUT_TRACES:
            traced = ", ".join(f for f in analysis.FEATURES if f not in SCAN_WITHOUT_TRACES)
            raise OutputError(f"--out {out}: an NWB file holds the scan's traces, and {kw['measure']} keeps "
                              f"none; accepted with --out: {traced}")

    drugs = [parse_drug(d) for d in kw["drugs"]]
    kw["drugs"] = ()
    base = build_model(kw["model_name"], kw["overrides"], kw["temperature"], (), kw["channel_files"])
    model, plot, as_json, run = _common(kw)
    name, values = parse_param(kw["param"])
    measure = feature_name(kw["measure"])
    stimulus = total([parse_stim(s) for s in kw["stims"]]) if kw["stims"] else None
    r = analysis.scan(base, name, values, measure, stimulus=stimulus, t_stop=kw["t_stop"], drugs=drugs,
                      pulse_dur=kw["pulse_dur"], **run)
    _save_nwb(r, out, as_json)
    lines = [_head(apply_drugs(model, drugs)) + (f", {r.stimulus}" if r.stimulus else ""),
             f"{name:>16s} {measure:>24s}"]
    lines += [f"{x:16.6g} " + (f"{y:24.6g}" if y == y else f"{'-':>24s}") for x, y in zip(r.values, r.results)]
    _finish(r, plot, as_json, lines)


COMMANDS = (rheobase_cmd, threshold_cmd, strength_duration_cmd, fi_cmd, refractory_cmd, anode_break_cmd,
            vclamp_cmd, scan_cmd)


def register(group: click.Group) -> None:
    """Add the protocol subcommands to ``group``."""
    for cmd in COMMANDS:
        group.add_command(cmd)
