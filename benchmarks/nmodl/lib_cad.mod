: Submembrane calcium shell: influx from ica, first-order decay to cainf (hhsim benchmark)
NEURON {
    SUFFIX lib_cad
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf
}
UNITS { (mA) = (milliamp) (mM) = (milli/liter) (um) = (micron) FARADAY = 96485.33212 (coulomb) }
PARAMETER { depth = 1 (um) taur = 5 (ms) cainf = 2.4e-4 (mM) }
ASSIGNED { ica (mA/cm2) drive (mM/ms) }
STATE { cai (mM) }
INITIAL { cai = cainf }
BREAKPOINT { SOLVE state METHOD derivimplicit }
DERIVATIVE state {
    drive = -(10000) * ica / (2 * FARADAY * depth)
    if (drive < 0) { drive = 0 }
    cai' = drive + (cainf - cai) / taur
}
