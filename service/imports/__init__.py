"""Importing banks, products, enterprises, credit loans, patents and pledges from CSV/XLSX."""

from service.imports.kinds import KINDS, LOAD_ORDER
from service.imports.loader import ImportRejected, ImportReport, RowError, import_batch, import_table, parse_rows
from service.imports.reader import Table, UnreadableFile, read_path, read_table

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
