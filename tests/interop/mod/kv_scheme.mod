TITLE kv_scheme.mod   a Markov potassium channel: C1 - C2 - C3 - C4 - O - I (the KINETIC idiom of ModelDB channels)

COMMENT
Four closed states and an open one along HH's n-subunit chain (four subunits),
and an inactivated state I reached from the open state: no HH gate is this scheme.
The rates come from a PROCEDURE called in the KINETIC block, with a Q10 factor.
ENDCOMMENT

NEURON {
    SUFFIX kvs
    USEION k READ ek WRITE ik
    RANGE gbar, g
    GLOBAL q10
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.036 (S/cm2) <0,1e9>
    q10 = 3
    kin = 0.03 (/ms)
    kout = 0.01 (/ms)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    a (/ms)
    b (/ms)
    tadj
}

STATE { c1 c2 c3 c4 o i }

INITIAL {
    SOLVE kstates STEADYSTATE sparse
}

BREAKPOINT {
    SOLVE kstates METHOD sparse
    g = gbar*o
    ik = g*(v - ek)
}

KINETIC kstates {
    rates(v)
    ~ c1 <-> c2 (4*a, b)
    ~ c2 <-> c3 (3*a, 2*b)
    ~ c3 <-> c4 (2*a, 3*b)
    ~ c4 <-> o (a, 4*b)
    ~ o <-> i (kin*tadj, kout*tadj)
    CONSERVE c1 + c2 + c3 + c4 + o + i = 1
}

PROCEDURE rates(v (mV)) {
UNITSOFF
    tadj = q10^((celsius - 6.3)/10)
    a = tadj*.01*vtrap(-(v + 55), 10)
    b = tadj*.125*exp(-(v + 65)/80)
UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
