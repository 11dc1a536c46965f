TITLE kdr_explicit.mod   delayed rectifier in the explicit-update idiom of older files

COMMENT
The state is advanced by hand in a PROCEDURE solved without METHOD:
n = n + nexp*(ninf - n) with nexp = 1 - exp(-dt/ntau), the exact relaxation
over one step.  The rates are those of kdr.mod.
ENDCOMMENT

NEURON {
    SUFFIX kdrx
    USEION k READ ek WRITE ik
    RANGE gkbar, ninf, ntau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    v (mV)
    celsius = 6.3 (degC)
    dt (ms)
    ek (mV)
    gkbar = .036 (mho/cm2)
}

STATE { n }

ASSIGNED {
    ik (mA/cm2)
    ninf
    ntau (ms)
    nexp
    tadj
}

BREAKPOINT {
    SOLVE states
    ik = gkbar*n*n*n*n*(v - ek)
}

INITIAL {
    tadj = 3.0^((celsius - 6.3)/10)
    trates(v)
    n = ninf
}

PROCEDURE states() {
    trates(v)
    n = n + nexp*(ninf - n)
    VERBATIM
    return 0;
    ENDVERBATIM
}

PROCEDURE trates(v) {
    LOCAL tinc, alpha, beta
    TABLE ninf, nexp DEPEND dt, celsius FROM -100 TO 100 WITH 200
    alpha = 0.01*(v + 55)/(1 - exp(-(v + 55)/10))
    beta = 0.125*exp(-(v + 65)/80)
    ntau = 1/(alpha + beta)
    ninf = alpha*ntau
    tinc = -dt*tadj
    nexp = 1 - exp(tinc/ntau)
}
