"""Reading and writing other tools' formats: NeuroML2 (:mod:`hhsim.interop.neuroml`),
NWB (:mod:`hhsim.interop.nwb`).  Each format's library is imported only when used."""
