TITLE kca.mod   calcium-activated potassium current (slow AHP)

COMMENT
Activation by intracellular calcium: alpha = a*cai^2 (binding of two ions),
beta = b; with a temperature factor.
ENDCOMMENT

NEURON {
    SUFFIX kca
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gkbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
}

PARAMETER {
    gkbar = 0.01 (mho/cm2)
    a = 48 (/ms-mM2)
    b = 0.03 (/ms)
}

STATE { m }

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    ek (mV)
    ik (mA/cm2)
    minf
    mtau (ms)
    tadj
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar*m*m*(v - ek)
}

INITIAL {
    tadj = 3^((celsius - 22)/10)
    rates(cai)
    m = minf
}

DERIVATIVE states {
    rates(cai)
    m' = (minf - m)/mtau
}

PROCEDURE rates(c (mM)) {
    LOCAL alpha
    alpha = a*c*c
    minf = alpha/(alpha + b)
    mtau = 1/(tadj*(alpha + b))
}
