TITLE ka.mod   transient (A-type) potassium current

COMMENT
Steady states and time constants as Boltzmann and bell-shaped functions, a
temperature factor computed once in INITIAL, inactivation time constant with
a floor written as IF/ELSE.
ENDCOMMENT

NEURON {
    SUFFIX kat
    USEION k READ ek WRITE ik
    RANGE gkabar, vhalfm, vhalfh
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gkabar = 0.01 (mho/cm2)
    vhalfm = -50 (mV)
    km = 12 (mV)
    vhalfh = -78 (mV)
    kh = 6 (mV)
    taumin = 2 (ms)
    q10 = 2.3
    temp = 23 (degC)
}

STATE { a b }

ASSIGNED {
    v (mV)
    ek (mV)
    celsius (degC)
    ik (mA/cm2)
    ainf binf
    atau (ms) btau (ms)
    tadj
}

INITIAL {
    tadj = q10^((celsius - temp)/10)
    rates(v)
    a = ainf
    b = binf
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    ik = gkabar*a^4*b*(v - ek)
}

DERIVATIVE kinetics {
    rates(v)
    a' = (ainf - a)/atau
    b' = (binf - b)/btau
}

PROCEDURE rates(v (mV)) {
    LOCAL t
    ainf = 1/(1 + exp(-(v - vhalfm)/km))
    binf = 1/(1 + exp((v - vhalfh)/kh))
    atau = (0.5 + 4/(exp((v + 45)/15) + exp(-(v + 80)/20)))/tadj
    t = 50*exp(-((v + 70)/25)^2)
    if (t < taumin) {
        btau = taumin/tadj
    } else {
        btau = t/tadj
    }
}
