"""Importing banks, products, enterprises, credit loans, patents and pledges from CSV/XLSX.

The names below are loaded when first used: ``ipfin valuate`` parses a file without a database,
and importing the loader (SQLAlchemy, the tables) would cost it most of its start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.imports.columns import RowError, parse_rows
    from service.imports.kinds import KINDS, LOAD_ORDER
    from service.imports.loader import ImportRejected, ImportReport, import_batch, import_table
    from service.imports.reader import Table, UnreadableFile, read_path, read_table

_WHERE = {
    "KINDS": "kinds",
    "LOAD_ORDER": "kinds",
    "ImportRejected": "loader",
    "ImportReport": "loader",
    "RowError": "columns",
    "Table": "reader",
    "UnreadableFile": "reader",
    "import_batch": "loader",
    "import_table": "loader",
    "parse_rows": "columns",
    "read_path": "reader",
    "read_table": "reader",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"service.imports.{_WHERE[name]}"), name)


__all__ = [
    "KINDS",
    "LOAD_ORDER",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "Table",
    "UnreadableFile",
    "import_batch",
    "import_table",
    "parse_rows",
    "read_path",
    "read_table",
]
