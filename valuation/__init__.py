"""Patent valuation for IP pledge financing: a pure, vectorised library (numpy, scipy;
lazy_loader loads its modules on first use).

Patent records in; scores, CNIPA high-value flags, pledge eligibility with reasons, maintenance
survival, money-value intervals and explanations out. It never imports the service, the web
framework or the ORM. Typical use::

    from valuation import Portfolio, valuate, fit_survival, load_params
    portfolio = Portfolio.from_records(records)        # import-style dicts, money in yuan
    reference = build_reference(portfolio, as_of)     # or Reference.from_dict(stored), shipped_reference()
    result = valuate(portfolio, as_of, reference=reference, seed=0)
    rows = result.records()

Method and sources: DESIGN.md §5; GB/T 42748-2023《专利评估指引》; Pakes (1986) renewal model;
Weibull proportional hazards with left truncation; parameters with their sources in
``valuation/params/*.toml``.
"""

import lazy_loader

# The names of __init__.pyi, each imported from its module on first use (lazy_loader, SPEC 1): the
# parsers of the importer and of `ipfin valuate` need the light modules (params, portfolio, explain),
# not the engine and scipy (a second of start-up).
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
