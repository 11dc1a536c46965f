TITLE km.mod   slow non-inactivating potassium current (M-current)

NEURON {
    SUFFIX km
    USEION k READ ek WRITE ik
    RANGE gkbar, tau_max
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gkbar = 4e-4 (mho/cm2)
    tau_max = 4000 (ms)
}

STATE { p }

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    p_inf
    tau_p (ms)
    tadj
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar*p*(v - ek)
}

INITIAL {
    rates(v)
    p = p_inf
}

DERIVATIVE states {
    rates(v)
    p' = (p_inf - p)/tau_p
}

PROCEDURE rates(v (mV)) {
    tadj = 2.3^((celsius - 36)/10)
    p_inf = 1/(1 + exp(-(v + 35)/10))
    tau_p = tau_max/(3.3*exp((v + 35)/20) + exp(-(v + 35)/20))/tadj
}
