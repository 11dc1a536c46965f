TITLE capump.mod   submembrane calcium: unclipped influx, a pump, decay to 0 mM

COMMENT
Destexhe's cad.mod with its Michaelis-Menten pump (kt, kd) on, the influx not clipped
at 0 (an outward calcium current would remove calcium) and cainf = 0: the pool idioms
hhsim's IonPool reads with clip=False, rest=0 and pump_vmax, pump_km.
ENDCOMMENT

NEURON {
    SUFFIX capump
    USEION ca READ ica, cai WRITE cai
    RANGE depth, taur, cainf, kt, kd, castart
}

UNITS {
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = .1 (um)
    taur = 80 (ms)
    cainf = 0 (mM)
    kt = 2e-4 (mM/ms)
    kd = 1e-4 (mM)
    castart = 1e-4 (mM)
}

STATE { cai (mM) }

INITIAL { cai = castart }

ASSIGNED {
    ica (mA/cm2)
    drive_channel (mM/ms)
    drive_pump (mM/ms)
}

BREAKPOINT {
    SOLVE state METHOD derivimplicit
}

DERIVATIVE state {
    drive_channel = -(10000)*ica/(2*FARADAY*depth)
    drive_pump = -kt*cai/(cai + kd)
    cai' = drive_channel + drive_pump + (cainf - cai)/taur
}
