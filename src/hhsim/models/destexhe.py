"""Thalamocortical relay cell with T-current and Ih (Destexhe et al.)."""

from __future__ import annotations

from ..channels.cat import cat_ghk
from ..channels.ih import ih
from ..channels.ions import IonPool
from ..channels.leak import k_leak, leak
from ..channels.traub import traub_k, traub_na
from ..model import Model
from ._ions import matching

CITATION = (
    "Destexhe A, Bal T, McCormick DA, Sejnowski TJ (1996) Ionic mechanisms underlying synchronized "
    "oscillations and propagating waves in a model of ferret thalamic slices. J Neurophysiol "
    "76:2049-2070; T-current in GHK form after Destexhe A, Neubig M, Ulrich D, Huguenard J (1998) "
    "J Neurosci 18:3574-3588"
)


def destexhe_tc() -> Model:
    """Single-compartment thalamocortical relay cell.

    Cm 1 µF/cm²; leak gL 0.01 mS/cm², EL -70 mV; potassium leak gKL
    0.0138 mS/cm² (4 nS over 29000 µm²); Traub INa/IK with gNa 90, gK 10
    mS/cm², VT -52 mV; ENa 50, EK -100 mV; T-current (Huguenard & McCormick
    1992, Destexhe's IT: instantaneous activation, shift Vx 2 mV) carried
    as a GHK current with permeability pCaT 2e-4 cm/s (ITGHK default,
    Destexhe et al. 1998); calcium pool depth 1 µm, tau 5 ms, rest 2.4e-4
    mM, Ca_out 2 mM; Ih (gH 0.02 mS/cm², EH -40 mV).  36 °C.

    Simplification: the calcium-dependent up-regulation of Ih (Destexhe et
    al. 1993) is left out; it shapes the waxing and waning of spindles, not
    the single rebound burst.  Signature: a low-threshold calcium spike
    crowned by a burst of fast spikes after release from hyperpolarisation.
    """
    T = 36.0
    conc = matching(T, e_na=50.0, e_k=-100.0)
    conc.update({"Ca_in": 2.4e-4, "Ca_out": 2.0})
    return Model(
        name="destexhe_tc",
        channels=(traub_na(90.0, VT=-52.0), traub_k(10.0, VT=-52.0), cat_ghk(2e-4, Vx=2.0),
                  ih(0.02, -40.0), k_leak(0.0138), leak(0.01, -70.0)),
        Cm=1.0, temperature=T, concentrations=conc, pools=(IonPool("ca", depth=1.0, tau=5.0),),
        source=CITATION,
        description="Destexhe thalamocortical relay cell: T-current (GHK), Ih, Ca pool; rebound bursts",
        notes=(
            "Membrane, INa/IK, IT and calcium decay after Destexhe et al. (1996, ModelDB 3343); the "
            "T-current as a GHK current (Destexhe et al. 1998); Ih without its calcium regulation."
        ),
    )
