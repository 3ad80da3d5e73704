"""File downloads (CSV, XLSX): one response builder and their OpenAPI description, so every
export says what it answers (a file, not JSON — schemathesis checks it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from litestar import Response
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": CSV, "xlsx": XLSX}


def download(body: bytes, filename: str, format: Literal["csv", "xlsx"]) -> Response:
    """The file as an attachment (Litestar adds "; charset=utf-8" to the CSV's text type)."""
    return Response(
        body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _file_operation(*media: str) -> type[Operation]:
    @dataclass
    class FileOperation(Operation):
        def __post_init__(self) -> None:
            if self.responses and "200" in self.responses:
                self.responses["200"].content = {
                    m: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY if m == XLSX else None)
                    )
                    for m in media
                }

    return FileOperation


CsvOrXlsx = _file_operation(CSV, XLSX)  # operation_class of a download chosen by `format`
XlsxOnly = _file_operation(XLSX)
