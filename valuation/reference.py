"""The reference a patent is valued against: citation field rates and the maintenance model.

A patent's result depends on its own fields, the valuation date and a named reference — never on
the other rows of a request or a small file. The reference is either built from a portfolio large
enough to carry it (a county's stored patents, or a large file: ``survival.min_events`` lapses among
``survival.min_patents`` patents at risk) or the shipped one in ``params/reference.toml``.
``Reference.name`` is reported with every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from valuation.citations import CitationReference, build_citation_reference, citation_percentiles
from valuation.params import Params, load_params
from valuation.portfolio import Portfolio
from valuation.survival import SurvivalModel, default_model, fit_survival, survival_data


@dataclass(frozen=True)
class Reference:
    name: str
    citations: CitationReference
    survival: SurvivalModel

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "citations": self.citations.to_dict(), "survival": self.survival.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(
            name=str(data["name"]),
            citations=CitationReference.from_dict(data["citations"]),
            survival=SurvivalModel.from_dict(data["survival"]),
        )


def shipped_reference(params: Params | None = None) -> Reference:
    """The reference shipped in ``params/reference.toml`` (its source is stated there)."""
    params = params or load_params()
    return Reference(
        name=f"shipped:{params.reference['version']}",
        citations=CitationReference.shipped(params),
        survival=default_model(params),
    )


def build_reference(
    portfolio: Portfolio, as_of: date, params: Params | None = None, *, label: str = "portfolio"
) -> Reference:
    """The reference carried by ``portfolio`` as of ``as_of`` when it is large enough, else the
    shipped one (``.name`` says which: ``"{label}:{as_of}:n={patents}"`` or ``"shipped:…"``)."""
    params = (params or load_params()).at(as_of)
    data = survival_data(portfolio, as_of, params)
    config = params.survival
    if data.event.sum() < int(config["min_events"]) or data.index.size < int(config["min_patents"]):
        return shipped_reference(params)
    citations = build_citation_reference(portfolio, as_of, params)
    survival = fit_survival(
        portfolio, as_of, params=params, citation_pct=citation_percentiles(portfolio, as_of, citations), data=data
    )
    if survival.source != "fitted":
        return shipped_reference(params)
    return Reference(name=f"{label}:{as_of.isoformat()}:n={len(portfolio)}", citations=citations, survival=survival)


__all__ = ["Reference", "build_reference", "shipped_reference"]
