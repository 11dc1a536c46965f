TITLE cad.mod   submembrane calcium: influx through the calcium currents, decay to rest

NEURON {
    SUFFIX cad
    USEION ca READ ica, cai WRITE cai
    RANGE depth, taur, cainf
}

UNITS {
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
    (mA) = (milliamp)
    (msM) = (ms mM)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = .1 (um)
    taur = 5 (ms)
    cainf = 2.4e-4 (mM)
}

STATE { cai (mM) }

INITIAL { cai = cainf }

ASSIGNED {
    ica (mA/cm2)
    drive_channel (mM/ms)
}

BREAKPOINT {
    SOLVE state METHOD derivimplicit
}

DERIVATIVE state {
    drive_channel = -(10000)*ica/(2*FARADAY*depth)
    if (drive_channel <= 0.) { drive_channel = 0. }  : the channels do not pump calcium out
    cai' = drive_channel + (cainf - cai)/taur
}
