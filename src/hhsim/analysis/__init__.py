"""The electrophysiology lab: spike features and the classic protocols.

Each protocol is one function returning a small typed result (numbers plus
the traces it used) with ``to_dict()`` (JSON-ready, units in the keys) and
``plot(path)``.  Protocols that need many simulations run them as vectorised
batches through the compiled engine (one neuron per amplitude, interval or
parameter value), never as a Python loop of single runs.

>>> from hhsim import analysis
>>> analysis.rheobase("hh").threshold_uA_cm2            # doctest: +SKIP
2.2404...

=====================  =====================================================
function               measures
=====================  =====================================================
:func:`ap_features`    spike times, threshold voltage, peak, amplitude,
                       half-width, AHP, latency, ISIs, adaptation (eFEL
                       where it has the feature)
:func:`rheobase`       smallest long step that fires (200 ms, from rest)
:func:`threshold`      smallest brief pulse that fires
:func:`strength_duration`  thresholds over pulse durations; Weiss and
                       Lapicque fits: rheobase and chronaxie
:func:`fi_curve`       f-I from rest and by up/down continuation (bistability)
:func:`refractory`     paired pulses: absolute and relative refractory periods
:func:`anode_break`    smallest hyperpolarising step whose release fires
:func:`vclamp`         voltage clamp: I-V, G-V, activation/inactivation, tails
:func:`apply_drugs`    TTX, TEA (concentration-dependent block), pronase
:func:`scan`           vary one parameter, tabulate a feature
=====================  =====================================================
"""

from __future__ import annotations

from ._common import BracketError, FeatureError, ProtocolError
from .excitability import (
    StrengthDurationResult, ThresholdResult, anode_break, fit_lapicque, fit_weiss, rheobase,
    strength_duration, threshold,
)
from .features import ap_features, efel_available
from .fi import FICurve, fi_curve
from .pharmacology import DRUGS, Application, Drug, application, apply_drugs, parse_drug
from .refractory import RefractoryResult, refractory
from .scan import FEATURES, ScanResult, scan
from .search import bracket_search
from .spikes import APFeatures, detect_spikes, steady_rate
from .vclamp import Boltzmann, VClampResult, fit_boltzmann, vclamp

__all__ = [
    "ap_features", "detect_spikes", "steady_rate", "APFeatures", "efel_available",
    "rheobase", "threshold", "strength_duration", "anode_break", "ThresholdResult",
    "StrengthDurationResult", "fit_weiss", "fit_lapicque",
    "fi_curve", "FICurve",
    "refractory", "RefractoryResult",
    "vclamp", "VClampResult", "Boltzmann", "fit_boltzmann",
    "DRUGS", "Drug", "Application", "application", "apply_drugs", "parse_drug",
    "scan", "ScanResult", "FEATURES",
    "bracket_search",
    "ProtocolError", "BracketError", "FeatureError",
]
