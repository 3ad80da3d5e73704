"""ipfin matching: which pledge products each enterprise qualifies for, why, and the best allocation.

A pure library (numpy, scipy, stdlib; lazy_loader loads its modules on first use). The service
builds the input dataclasses from its rows and stores the plain-data results.

    >>> from matching import match, eligibility
    >>> result = match(enterprises, products, as_of=date(2024, 6, 30))   # doctest: +SKIP
    >>> result.proposals[0].to_dict()                                    # doctest: +SKIP

* :mod:`matching.model` — inputs (Enterprise, CreditLoan, Patent, Product)
* :mod:`matching.pairs` — the rules, vectorised over (enterprise × product) pairs
* :mod:`matching.fit` — the fit score
* :mod:`matching.assignment` — the exact MILP assignment and the greedy baseline
* :mod:`matching.api` — :func:`match`, :func:`eligibility`
* ``matching/params.toml`` — every weight, default and bonus, with its source
"""

import lazy_loader

# The names of __init__.pyi, each imported from its module on first use (lazy_loader, SPEC 1): the
# service's vocabulary reads matching's parameters without loading the solver and scipy.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
