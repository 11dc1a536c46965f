TITLE kdr.mod   squid delayed-rectifier potassium channel

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gkbar
    GLOBAL ninf, ntau
}

PARAMETER {
    gkbar = 0.036 (mho/cm2) <0,1e9>
}

STATE { n }

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    ninf
    ntau (ms)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar*n^4*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/ntau
}

PROCEDURE rates(v (mV)) {
    LOCAL alpha, beta, sum, q10
    TABLE ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200
UNITSOFF
    q10 = 3^((celsius - 6.3)/10)
    alpha = .01*vtrap(-(v + 55), 10)
    beta = .125*exp(-(v + 65)/80)
    sum = alpha + beta
    ntau = 1/(q10*sum)
    ninf = alpha/sum
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
UNITSON
