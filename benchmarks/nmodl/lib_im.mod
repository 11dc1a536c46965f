: M-current (Yamada et al. 1989 as in Pospischil et al. 2008) (hhsim benchmark)
NEURON {
    SUFFIX lib_im
    USEION k READ ek WRITE ik
    RANGE gkbar, taumax
}
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }
PARAMETER { gkbar = 2.8e-5 (S/cm2) taumax = 4000 (ms) celsius (degC) }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) pinf ptau (ms) }
STATE { p }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gkbar * p * (v - ek)
}
INITIAL { rates(v) p = pinf }
DERIVATIVE states { rates(v) p' = (pinf - p) / ptau }
PROCEDURE rates(v (mV)) {
    UNITSOFF
    pinf = 1 / (1 + exp(-(v + 35) / 10))
    ptau = taumax / (3.3 * exp((v + 35) / 20) + exp(-(v + 35) / 20)) / 2.3 ^ ((celsius - 36) / 10)
    UNITSON
}
