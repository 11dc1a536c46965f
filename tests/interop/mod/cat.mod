TITLE cat.mod   low-threshold (T-type) calcium current, GHK

COMMENT
Activation at its steady state (assigned, not integrated, in the DERIVATIVE
block), inactivation relaxing with a temperature factor; the current is the
Goldman-Hodgkin-Katz flux computed in the file with FARADAY and R.
ENDCOMMENT

NEURON {
    SUFFIX cat
    USEION ca READ cai, cao WRITE ica
    RANGE pcabar, m_inf, tau_h, h_inf
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    pcabar = 2e-4 (cm/s)
    shift = 2 (mV)
    qh = 3
}

STATE { m h }

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    m_inf h_inf
    tau_h (ms)
    phi_h
}

BREAKPOINT {
    SOLVE castate METHOD cnexp
    ica = pcabar*m*m*h*ghk(v, cai, cao)
}

DERIVATIVE castate {
    evaluate_fct(v)
    m = m_inf
    h' = (h_inf - h)/tau_h
}

INITIAL {
    phi_h = qh^((celsius - 24 (degC))/10 (degC))
    evaluate_fct(v)
    m = m_inf
    h = h_inf
}

PROCEDURE evaluate_fct(v (mV)) {
    m_inf = 1/(1 + exp(-(v + shift + 57)/6.2))
    h_inf = 1/(1 + exp((v + shift + 81)/4))
    tau_h = (30.8 + (211.4 + exp((v + shift + 113.2)/5))/(1 + exp((v + shift + 84)/3.2)))/phi_h
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (.001 coul/cm3) {
    LOCAL z, eci, eco
    z = (1e-3)*2*FARADAY*v/(R*(celsius + 273.15))
    eco = co*efun(z)
    eci = ci*efun(-z)
    ghk = (.001)*2*FARADAY*(eci - eco)
}

FUNCTION efun(z) {
    if (fabs(z) < 1e-4) {
        efun = 1 - z/2
    } else {
        efun = z/(exp(z) - 1)
    }
}
