"""One JSON error body for every 4xx/5xx: {"code": ..., "message": ..., "details": ...}."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

log = logging.getLogger("ipfin")


class ApiError(Exception):
    """A domain error with its HTTP status and machine-readable code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found(what: str, key: object) -> ApiError:
    return ApiError(404, "not_found", f"未找到 / {what} {key} not found")


def _body(status: int, code: str, message: str, details: Any = None) -> Response:
    return Response(
        {"code": code, "message": message, "details": details}, status_code=status, media_type=MediaType.JSON
    )


# Litestar's own English details for the statuses it raises itself, and their Chinese.
_HTTP_ZH = {
    405: ("请求方法不被允许", "Method Not Allowed"),
    413: ("请求体过大", "Request Entity Too Large"),
    415: ("不支持的请求体类型", "Unsupported Media Type"),
    429: ("请求过于频繁，请稍后重试", "Too Many Requests"),
}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    503: "unavailable",
}


# An error answer never grows with the input (issue 10: a 7 MB body gave a 48 MB 422): a list of
# problems keeps its first MAX_DETAILS and says how many there were, and a text inside a problem
# (a field name, a quoted value) keeps its first MAX_DETAIL_TEXT characters.
MAX_DETAILS = 200
MAX_DETAIL_TEXT = 200


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
        return value[:MAX_DETAIL_TEXT] + f"… ({len(value)} characters)"
    if isinstance(value, dict):
        return {_short(k): _short(v) for k, v in value.items()}
    return value


def handle_api_error(_: Request, exc: ApiError) -> Response:
    message, details = exc.message, exc.details
    if isinstance(details, list):
        if len(details) > MAX_DETAILS:
            listed = (
                f"列出 {len(details)} 处中的前 {MAX_DETAILS} 处 / the first {MAX_DETAILS} of {len(details)} are listed"
            )
            message = f"{message} ({listed})"
        details = [_short(item) for item in details[:MAX_DETAILS]]
    return _body(exc.status, exc.code, message, details)


def handle_validation(request: Request, exc: ValidationException) -> Response:
    # Litestar reports a missing body as a bare problem with the handler's `data` parameter.
    sent = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if request.method in ("POST", "PUT", "PATCH") and not sent:
        return _body(
            400,
            "body_required",
            "此请求须附 JSON 请求体 / this request needs a JSON body (Content-Type: application/json)",
        )
    return _body(400, "invalid_request", "请求参数有误，详见 details / the request is invalid; see details", exc.extra)


def handle_http(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = exc.detail if status != HTTP_500_INTERNAL_SERVER_ERROR else "内部错误 / internal error"
    if status in _HTTP_ZH and message == _HTTP_ZH[status][1]:
        message = " / ".join(_HTTP_ZH[status])
    response = _body(status, _CODES.get(status, "error"), message, exc.extra or None)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def handle_not_found(_: Request, exc: NotFoundException) -> Response:
    detail = exc.detail if exc.detail and exc.detail != "Not Found" else "not found"
    return _body(404, "not_found", f"未找到 / {detail}")


def handle_integrity(request: Request, exc: IntegrityError) -> Response:
    # A database rule caught what the checks before it could not see, typically a concurrent
    # write (two imports pledging the same patent). The transaction was rolled back.
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    return _body(
        409,
        "conflict",
        "数据已被同时修改或违反数据库规则，未写入任何数据 / "
        "the data changed concurrently or breaks a database rule; nothing was written",
    )


def handle_data_error(request: Request, exc: DataError) -> Response:
    # The database refused a value the checks before it let through (out of range, a NUL byte).
    log.warning("data error on %s %s: %s", request.method, request.url.path, exc.orig)
    return _body(
        400,
        "invalid_value",
        "某个值超出范围或无法存储，未写入任何数据 / a value is out of range or not storable; nothing was written",
    )


def handle_operational(request: Request, exc: OperationalError) -> Response:
    # The database did not answer in time: SQLite's busy timeout ran out waiting for the write
    # lock, or PostgreSQL is unreachable. Nothing was written; the client may retry. Any other
    # SQLite operational error is a bug of ours (a statement it cannot run): 500.
    sqlite = type(exc.orig).__module__.startswith("sqlite3")
    if sqlite and not any(word in str(exc.orig) for word in ("locked", "busy")):
        return handle_unexpected(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
    response = _body(
        503,
        "database_unavailable",
        "数据库繁忙或无法连接，请稍后重试 / the database is busy or unreachable; retry shortly",
    )
    response.headers["Retry-After"] = "1"
    return response


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _body(500, "internal_error", "内部错误，已记录 / internal error; it has been logged")


def handle_recursion(request: Request, exc: RecursionError) -> Response:
    # msgspec refuses a JSON body nested deeper than the interpreter's recursion limit this way.
    log.warning("recursion error on %s %s", request.method, request.url.path)
    return _body(400, "invalid_request", "请求体嵌套过深 / the request body is nested too deeply")


def handle_overflow(request: Request, exc: OverflowError) -> Response:
    # A number past what the database holds (an id or offset beyond 64 bits reaching SQLite).
    log.warning("overflow on %s %s: %s", request.method, request.url.path, exc)
    return _body(400, "invalid_value", "数字超出范围 / a number is out of range")


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    ValidationException: handle_validation,
    NotFoundException: handle_not_found,
    HTTPException: handle_http,
    IntegrityError: handle_integrity,
    DataError: handle_data_error,
    OperationalError: handle_operational,
    OverflowError: handle_overflow,
    RecursionError: handle_recursion,
    Exception: handle_unexpected,
}


class ErrorBody(msgspec.Struct):
    code: str
    message: str
    details: Any = None


_DESCRIPTIONS = {
    400: "the request cannot be read as declared: malformed JSON, no body, a wrong type or format, an unknown "
    "field, a parameter out of range",
    401: "missing or unknown API key",
    403: "the key's role may not do this",
    404: "not found (or not visible to this key)",
    409: "conflict with the current state",
    413: "the request body is larger than this endpoint accepts",
    422: "well-formed but refused by a domain rule; details list each problem",
    429: "rate limited: too many requests from this key or address; retry after Retry-After seconds",
    503: "database busy or unavailable; retry after Retry-After seconds",
}


def error_responses(
    *statuses: int, examples: dict[int, list[tuple[str, str]]] | None = None
) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error statuses a handler can answer, all with the one error body;
    `examples` maps a status to the (code, message) pairs it may carry."""
    examples = examples or {}
    # Any request may be rate limited (service/auth/rate_limits.py) or meet a busy database.
    statuses = tuple(dict.fromkeys((*statuses, 429, 503)))
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            description=_DESCRIPTIONS[status],
            generate_examples=status not in examples,
            examples=[
                Example(summary=code, value={"code": code, "message": message, "details": None})
                for code, message in examples.get(status, [])
            ]
            or None,
        )
        for status in statuses
    }


# The usual sets: public reads, staff reads, and writes.
PUBLIC_READ = error_responses(400, 401, 404)  # 401: a presented key that is wrong
STAFF_READ = error_responses(400, 401, 403, 404)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 422)  # 413: a body over the size limit
