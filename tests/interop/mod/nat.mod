TITLE nat.mod   squid sodium channel, Hodgkin-Huxley rates with vtrap and a rate table

COMMENT
Written for hhsim's NMODL import tests in the style of many ModelDB files:
rates computed in a PROCEDURE with a TABLE, vtrap guarding the removable
singularity, and the temperature factor q10^((celsius - 6.3)/10).
ENDCOMMENT

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

NEURON {
    SUFFIX nat
    USEION na READ ena WRITE ina
    RANGE gnabar, gna
    GLOBAL minf, hinf, mtau, htau
    THREADSAFE
}

PARAMETER {
    gnabar = 0.12 (S/cm2) <0,1e9>
    q10 = 3
}

STATE { m h }

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
    gna (S/cm2)
    minf hinf
    mtau (ms) htau (ms)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gna = gnabar*m*m*m*h
    ina = gna*(v - ena)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
}

PROCEDURE rates(v (mV)) {
    LOCAL alpha, beta, sum, qt
    TABLE minf, mtau, hinf, htau DEPEND celsius FROM -100 TO 100 WITH 200
UNITSOFF
    qt = q10^((celsius - 6.3)/10 (degC))
    alpha = .1 * vtrap(-(v + 40), 10)
    beta = 4 * exp(-(v + 65)/18)
    sum = alpha + beta
    mtau = 1/(qt*sum)
    minf = alpha/sum
    alpha = .07 * exp(-(v + 65)/20)
    beta = 1 / (exp(-(v + 35)/10) + 1)
    sum = alpha + beta
    htau = 1/(qt*sum)
    hinf = alpha/sum
}

FUNCTION vtrap(x, y) {  : x/(exp(x/y) - 1), guarded near x = 0
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
UNITSON
