TITLE bad_kinetic.mod   a Markov scheme with a ligand: outside the subset

NEURON {
    SUFFIX kin
    USEION k READ ek WRITE ik
    USEION ca READ cai
}
STATE { c o }
BREAKPOINT {
    SOLVE scheme METHOD sparse
    ik = 0.01*o*(v - ek)
}
KINETIC scheme {
    : calcium binds: a second-order reaction
    ~ c + cai <-> o (0.1, 0.2)
    CONSERVE c + o = 1
}
