: Traub-Miles INa and IK with threshold shift vt (hhsim benchmark)
NEURON {
    SUFFIX lib_traub
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    RANGE gnabar, gkbar, vt
}
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }
PARAMETER {
    gnabar = 0.05 (S/cm2)
    gkbar = 0.004 (S/cm2)
    vt = -50 (mV)
    celsius (degC)
}
ASSIGNED { v (mV) ena (mV) ek (mV) ina (mA/cm2) ik (mA/cm2)
           minf hinf ninf mtau (ms) htau (ms) ntau (ms) tadj }
STATE { m h n }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gnabar * m*m*m*h * (v - ena)
    ik = gkbar * n*n*n*n * (v - ek)
}
INITIAL { rates(v) m = minf h = hinf n = ninf }
DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
    n' = (ninf - n) / ntau
}
FUNCTION vtrap(x, y) {
    if (fabs(x / y) < 1e-6) { vtrap = y * (1 - x / y / 2) } else { vtrap = x / (exp(x / y) - 1) }
}
PROCEDURE rates(v (mV)) { LOCAL a, b, u
    UNITSOFF
    tadj = 3 ^ ((celsius - 36) / 10)
    u = v - vt
    a = 0.32 * vtrap(13 - u, 4)
    b = 0.28 * vtrap(u - 40, 5)
    mtau = 1 / (tadj * (a + b))
    minf = a / (a + b)
    a = 0.128 * exp((17 - u) / 18)
    b = 4 / (1 + exp((40 - u) / 5))
    htau = 1 / (tadj * (a + b))
    hinf = a / (a + b)
    a = 0.032 * vtrap(15 - u, 5)
    b = 0.5 * exp((10 - u) / 40)
    ntau = 1 / (tadj * (a + b))
    ninf = a / (a + b)
    UNITSON
}
