"""Reading and writing other tools' formats: NeuroML2 (:mod:`hhsim.interop.neuroml`),
NWB (:mod:`hhsim.interop.nwb`), NEURON's NMODL (:mod:`hhsim.interop.nmodl`, read without
a compiler).  Each format's library is imported only when used."""
