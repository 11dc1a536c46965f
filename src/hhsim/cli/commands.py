"""The commands of ``hhsim`` by name: the module that defines each and its one-line help.

``hhsim --help`` lists the commands from this table without importing them, so
that the help and argument errors answer before NumPy, SciPy and numba are
loaded; a command's module is imported when the command runs (or its own
``--help`` is asked for).  A test checks the table against the commands the
modules define.
"""

from __future__ import annotations

#: command name -> (module in hhsim.cli, short help as ``hhsim --help`` prints it)
COMMANDS: dict[str, tuple[str, str]] = {
    'anode-break': ('protocol_cmds',
                   'Smallest hyperpolarising step whose release gives a rebound spike.'),
    'bifurcation': ('dynamics_cmds',
                   'Bifurcation diagram along the injected current: equilibria, saddle-nodes, Hopf points...'),
    'cable': ('cable_cmds',
             'Simulate an axon (or a morphology) and measure the conduction velocity.'),
    'channels': ('channel_cmds',
                "List the channel library, or show one channel's equations and defaults."),
    'demo': ('simulate_cmds',
            'The classic experiment: 10 µA/cm² from 10 to 40 ms on the squid axon, 80 ms.'),
    'equilibria': ('dynamics_cmds',
                  'Every equilibrium at one injected current, with its type and the eigenvalues of the...'),
    'explore': ('explore_cmds',
               'Explore a model in the browser: live traces, rates, clamp, protocols, propagation.'),
    'export-neuroml': ('neuroml_cmds',
                      'Write a model or a network as NeuroML2 (valid against the NeuroML2 schema): ion...'),
    'fi': ('protocol_cmds',
          'The f-I curve from rest and by up/down continuation (exposes bistability).'),
    'fit': ('fit_cmds',
           'Fit model parameters to recorded current- or voltage-clamp sweeps.'),
    'import-mod': ('interop_cmds',
                  'Import a NEURON .mod file (an HH-type density mechanism) as an hhsim channel.'),
    'import-neuroml': ('neuroml_cmds',
                      'Read a NeuroML2 file: list its cells (channels, gates) and networks, and convert a cell...'),
    'models': ('simulate_cmds',
              "List the preset models, or show one model's parameters and equations (NAME may also be..."),
    'network': ('network_cmds',
               'Simulate a network of neurons connected by synapses.'),
    'phase-plane': ('dynamics_cmds',
                   'Phase plane of two states: nullclines, vector field, equilibria with their types,...'),
    'reliability': ('noise_cmds',
                   'Spike-time reliability and jitter under a repeated stimulus (Schneidman 1998).'),
    'rates': ('channel_cmds',
             'Rate functions of every gate against voltage (alpha, beta, x_inf, tau).'),
    'prebuild': ('prebuild_cmds',
                 'Compile the fixed kernels (drivers, loops, solvers) once for this installation.'),
    'refractory': ('protocol_cmds',
                  'Paired pulses: absolute and relative refractory periods and the recovery curve.'),
    'rheobase': ('protocol_cmds',
                'Smallest step current (from rest) that gives at least one spike.'),
    'run': ('simulate_cmds',
           'Simulate one neuron and report spikes; optionally save data, figure, animation.'),
    'scan': ('protocol_cmds',
            'Vary one parameter and tabulate a feature (with a figure).'),
    'spontaneous': ('noise_cmds',
                   'Spontaneous firing rate at rest against membrane area (channel noise).'),
    'strength-duration': ('protocol_cmds',
                         'Pulse thresholds over durations, with rheobase and chronaxie from the Weiss and...'),
    'sweep': ('sweep_cmds',
             'Measure features over a grid (or Latin hypercube) of parameters, on Dask.'),
    'threshold': ('protocol_cmds',
                 'Smallest amplitude of one brief pulse (from rest) that gives a spike.'),
    'vclamp': ('protocol_cmds',
              'Voltage-clamp steps: I-V, conductances, activation/inactivation curves, tail currents.'),
}
