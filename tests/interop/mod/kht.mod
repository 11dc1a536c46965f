TITLE kht.mod   high-threshold potassium current whose conductance is not a product of gates

COMMENT
The two activation gates n and p share one conductance as a weighted sum,
g = gkhtbar*(nf*n^2 + (1 - nf)*p), in the form of Rothman and Manis (2003,
J Neurophysiol 89:3097-3113) for cochlear-nucleus neurons, with their
steady states and time constants at 22 degC and Q10 = 3.
ENDCOMMENT

NEURON {
    SUFFIX kht
    USEION k READ ek WRITE ik
    RANGE gkhtbar, nf
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
}

PARAMETER {
    gkhtbar = 0.01592 (mho/cm2) <0,1e9>
    nf = 0.85 <0,1>
}

STATE { n p }

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    ninf pinf
    ntau (ms) ptau (ms)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkhtbar*(nf*n^2 + (1 - nf)*p)*(v - ek)
}

INITIAL {
    trates(v)
    n = ninf
    p = pinf
}

DERIVATIVE states {
    trates(v)
    n' = (ninf - n)/ntau
    p' = (pinf - p)/ptau
}

PROCEDURE trates(v (mV)) {
    LOCAL q10
    q10 = 3^((celsius - 22)/10)
    ninf = (1 + exp(-(v + 15)/5))^-0.5
    pinf = 1/(1 + exp(-(v + 23)/6))
    ntau = (100/(11*exp((v + 60)/24) + 21*exp(-(v + 60)/23)) + 0.7)/q10
    ptau = (100/(4*exp((v + 60)/32) + 5*exp(-(v + 60)/22)) + 5)/q10
}
