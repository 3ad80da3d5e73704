"""The API documentation page at /schema: Swagger UI served by the app itself, not from a CDN.

A county intranet may block public CDNs, and the page should need nothing the strict
Content-Security-Policy (`script-src 'self'`, service/security_headers.py) does not allow: the
viewer's bundle and stylesheet come from the `swagger-ui-bundle-v2` package (Swagger UI 5, which
reads OpenAPI 3.1), and the few lines that start it are a file here, not an inline script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

SCHEMA_PATH = "/schema"
ASSETS = f"{SCHEMA_PATH}/assets"
_HERE = Path(__file__).resolve().parent
_FAVICON = "/ui/static/favicon.svg"


class OfflineSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI at /schema and /schema/swagger, every asset from this origin."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon=f'<link rel="icon" href="{_FAVICON}">', style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ipfin 接口文档 / API</title>
{self.favicon}
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="{ASSETS}/api-docs.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{SCHEMA_PATH}/openapi.json"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/api-docs.js"></script>
</body>
</html>
""".encode()


def assets_router():
    """The viewer's files (from the package) and ours, under /schema/assets."""
    return create_static_files_router(
        path=ASSETS,
        directories=[_HERE / "static", Path(str(swagger_ui_path))],
        name="api-docs-assets",
        include_in_schema=False,
    )
