"""The valuation library's inputs from parsed or stored patent fields: the one place where the
service's integer fen becomes the library's yuan. Light (no database), so ``ipfin valuate`` uses
it without loading the ORM."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from service.imports.kinds import KINDS

PATENT_FIELDS = [column.key for column in KINDS["patents"].columns]  # as parsed and stored (money in fen)


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def valuation_record(
    fields: Mapping[str, Any], *, pledged: bool = False, max_pledge_fen: int | None = None
) -> dict[str, Any]:
    """The valuation library's record from a patent's fields as the importer parses them or the
    database stores them (money in integer fen): the one place where fen becomes the library's yuan.
    Every path — estimate, ``ipfin valuate``, portfolio runs — builds its records here."""
    record = {name: fields.get(name) for name in PATENT_FIELDS if name != "annual_revenue_fen"}
    record["annual_revenue_yuan"] = _yuan(fields.get("annual_revenue_fen"))
    record["pledged"] = pledged
    record["max_pledge_amount_yuan"] = _yuan(max_pledge_fen)
    return record


def valuation_columns(columns: Mapping[str, tuple[list, Any]]) -> dict[str, tuple[list, Any]]:
    """``valuation_record`` column by column, for ``Portfolio.from_columns``: the parsed patent
    columns as (values, codes), money in yuan (not pledged, no registered amount: a file's patents)."""
    record = {name: columns[name] for name in PATENT_FIELDS if name != "annual_revenue_fen"}
    fen, codes = columns["annual_revenue_fen"]
    record["annual_revenue_yuan"] = ([_yuan(value) for value in fen], codes)
    return record
