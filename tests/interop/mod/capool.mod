TITLE capool.mod   calcium in a submembrane shell, written in another idiom than cad.mod

COMMENT
The same physics as cad.mod (influx through the calcium currents into a shell, no
pumping out by the channels, first-order decay to a resting level) with other
names and units: the shell depth in micron, Faraday's constant as a number in the
UNITS block, the influx computed by a FUNCTION with IF/ELSE inside UNITSOFF, the
decay written as a rate 1/tau, and METHOD cnexp.
ENDCOMMENT

NEURON {
    SUFFIX capool
    USEION ca READ ica WRITE cai
    RANGE shell, decay_rate, ca_rest
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    F = 96485.309 (coul)
}

PARAMETER {
    shell = 0.2 (um)
    decay_rate = 0.0125 (/ms)
    ca_rest = 5e-5 (mM)
}

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) }

INITIAL { cai = ca_rest }

BREAKPOINT { SOLVE integrate METHOD cnexp }

DERIVATIVE integrate {
    cai' = influx(ica) - decay_rate*(cai - ca_rest)
}

UNITSOFF
FUNCTION influx(i) {
    LOCAL per_cm
    per_cm = 1e4/shell
    if (i < 0) {
        influx = -i*per_cm/(2*F)
    } else {
        influx = 0
    }
}
UNITSON
