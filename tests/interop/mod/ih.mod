TITLE ih.mod   hyperpolarisation-activated cation current as a nonspecific current

NEURON {
    SUFFIX hcn
    NONSPECIFIC_CURRENT ih
    RANGE ghbar, eh
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    ghbar = 2e-5 (S/cm2)
    eh = -40 (mV)
    taumin = 20 (ms)
}

STATE { r }

ASSIGNED {
    v (mV)
    celsius (degC)
    ih (mA/cm2)
    rinf
    rtau (ms)
    tadj
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ih = ghbar*r*(v - eh)
}

INITIAL {
    rates(v)
    r = rinf
}

DERIVATIVE states {
    rates(v)
    r' = (rinf - r)/rtau
}

PROCEDURE rates(v (mV)) {
    tadj = 3^((celsius - 36)/10)
    rinf = 1/(1 + exp((v + 75)/5.5))
    rtau = (taumin + 1000/(exp((v + 71.5)/14.2) + exp(-(v + 89)/11.6)))/tadj
}
