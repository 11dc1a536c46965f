NEURON {
    SUFFIX broken
    NONSPECIFIC_CURRENT i
}

PARAMETER { g = 0.001 (S/cm2) }

BREAKPOINT {
    i = g*(v + 70
}
