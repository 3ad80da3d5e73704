"""Rendering pages: one Jinja environment (autoescaped), number and date filters in Chinese style.

Jinja is used directly (not through the app's template config) so the pages need no app-level
setting; every page gets the signed-in user, the CSRF token and the current path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from service.vocabulary import label

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHINA = ZoneInfo("Asia/Shanghai")  # staff read times in their own zone; stored times stay UTC


def _short(number: Decimal) -> str:
    """Two decimals at most, none when whole: 610 万元, 1.25 亿元."""
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text


def fen_yuan(fen: int | float | None) -> str:
    """Money as staff read it: ¥ below ¥10,000, then 万元, then 亿元."""
    if fen is None:
        return "—"
    yuan = Decimal(str(fen)) / 100
    if abs(yuan) >= 100_000_000:
        return f"{_short(yuan / 100_000_000)} 亿元"
    if abs(yuan) >= 10_000:
        return f"{_short(yuan / 10_000)} 万元"
    return f"¥{_short(yuan)}"


def yuan(value: Any) -> str:
    return "—" if value is None else fen_yuan(Decimal(str(value)) * 100)


def percent(share: float | None, digits: int = 0) -> str:
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M")
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,  # a misspelt name is an error in tests, not a blank on a page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fen=fen_yuan, yuan=yuan, percent=percent, day=day, label=label)
    return env


ENV = _environment()


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    html = ENV.get_template(template).render(
        request_path=request.url.path,
        csrf_token=ScopeState.from_scope(request.scope).csrf_token or "",
        user=context.pop("user", None),
        **context,
    )
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"},  # pages hold staff data; never from a shared cache
    )
