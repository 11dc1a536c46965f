: T-type calcium current s_inf^2 u, Nernst E_Ca from cai/cao (hhsim benchmark)
NEURON {
    SUFFIX lib_it
    USEION ca READ cai, cao WRITE ica
    RANGE gcabar, vx
}
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) (mM) = (milli/liter)
        FARADAY = 96485.33212 (coulomb) R = 8.314462618 (joule/degC) }
PARAMETER { gcabar = 4e-4 (S/cm2) vx = -7 (mV) celsius (degC) }
ASSIGNED { v (mV) cai (mM) cao (mM) ica (mA/cm2) eca_t (mV) sinf uinf utau (ms) }
STATE { u }
BREAKPOINT {
    SOLVE states METHOD cnexp
    eca_t = (1e3) * R * (celsius + 273.15) / (2 * FARADAY) * log(cao / cai)
    ica = gcabar * sinf * sinf * u * (v - eca_t)
}
INITIAL { rates(v) u = uinf }
DERIVATIVE states { rates(v) u' = (uinf - u) / utau }
PROCEDURE rates(v (mV)) { LOCAL w
    UNITSOFF
    w = v + vx
    sinf = 1 / (1 + exp(-(w + 57) / 6.2))
    uinf = 1 / (1 + exp((w + 81) / 4))
    utau = (30.8 + (211.4 + exp((w + 113.2) / 5)) / (1 + exp((w + 84) / 3.2))) / 3 ^ ((celsius - 24) / 10)
    UNITSON
}
