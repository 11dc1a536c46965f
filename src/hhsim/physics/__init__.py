"""The membrane's structure and its equations, below the model's methods and the engine.

* :mod:`~hhsim.physics.structure`: lowering of a model description into a
  structure key and parameter columns (:class:`~hhsim.physics.structure.Plan`);
* :mod:`~hhsim.physics.exp_sharing`: which rate exponentials can share one ``exp``;
* :mod:`~hhsim.physics.evaluate`: the NumPy equations of every kind of state.

This layer reads model descriptions by their attributes only and never imports
:mod:`hhsim.model`, so that the model's methods (currents, steady states, the
resting potential) and the engine both build on it without an import circle.
"""
