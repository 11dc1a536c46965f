"""Pharmacology for the protocols: the drugs of :mod:`hhsim.drugs`.

Drugs transform a model description, so they live in the description layer
(:mod:`hhsim.drugs`), where :func:`hhsim.simulate_batch` can reach them too;
this module keeps their names where the protocols have always offered them.
"""

from ..drugs import (  # noqa: F401  (re-exported)
    DRUG_PARAMS,
    DRUGS,
    PRONASE_SOURCE,
    TEA_SOURCE,
    TTX_SOURCE,
    Application,
    Drug,
    application,
    apply_drugs,
    describe_drugs,
    parse_drug,
)
