TITLE bad_kinetic.mod   a Markov scheme: outside the subset

NEURON {
    SUFFIX kin
    USEION k READ ek WRITE ik
}

STATE { c o }

BREAKPOINT {
    SOLVE scheme METHOD sparse
    ik = 0.01*o*(v - ek)
}

KINETIC scheme {
    ~ c <-> o (0.1, 0.2)
    CONSERVE c + o = 1
}
