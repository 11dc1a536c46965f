TITLE kv3.mod   fast delayed rectifier of fast-spiking interneurons (Kv3)

COMMENT
The state equation in the opening/closing-rate form n' = alpha (1 - n) - beta n,
with the rates in FUNCTIONs.
ENDCOMMENT

NEURON {
    SUFFIX kv3
    USEION k READ ek WRITE ik
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gbar = 0.112 (S/cm2)
    vh = 12 (mV)
}

STATE { n }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
}

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    ik = gbar*pow(n, 2)*(v - ek)
}

INITIAL {
    n = alpha(v)/(alpha(v) + beta(v))
}

DERIVATIVE states {
    n' = alpha(v)*(1 - n) - beta(v)*n
}

FUNCTION alpha(v (mV)) (/ms) {
    alpha = (95 - v)/(exp(-(v - 95)/11.8) - 1)
}

FUNCTION beta(v (mV)) (/ms) {
    beta = 0.025*exp(-v/22.222)
}
