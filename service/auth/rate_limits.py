"""Rate limits per API key, and per client address for calls without a key (issue 10).

Authentication comes first: this middleware resolves the presented key (the same
`authenticate_request` every route relies on) before it counts, so a caller with a valid key
is counted against its key wherever it connects from, and everyone else — no key, or a wrong
one — against its address. A wrong key is counted before it is refused with 401, so guessing
keys is limited like any anonymous call.

Litestar's `RateLimitMiddleware` keeps a sliding window of request times per identifier in the
app's `rate_limit` store (memory, per process: N workers allow N times the limit; DESIGN.md §10).
Over the limit the answer is 429 with `Retry-After` (seconds until the window frees a request)
and the IETF draft's `RateLimit-*` headers. `/health` is not limited (monitors poll it).
"""

from __future__ import annotations

from time import time
from typing import Any

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DURATION_VALUES, CacheObject, RateLimitConfig, RateLimitMiddleware

from service.deps import authenticate_request
from service.errors import ApiError
from service.settings import Settings

UNLIMITED_PATHS = {"/health"}


def _counted(request) -> bool:
    return request.url.path not in UNLIMITED_PATHS


class KeyOrAddressRateLimit(RateLimitMiddleware):
    """Resolve the caller, then count the request against its key or its address."""

    async def __call__(self, scope, receive, send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        refused: ApiError | None = None
        try:
            await authenticate_request(request)
        except ApiError as exc:  # a wrong key: counted by address, then refused
            refused = exc
            request.state.principal = None
        limits: tuple[int, int] = app.state.rate_limits
        principal = request.state.principal
        identifier, limit = (
            (f"key:{principal.key_id}", limits[0]) if principal else (f"addr:{_address(request)}", limits[1])
        )
        if limit > 0 and await self.should_check_request(request=request):
            store = self.config.get_store_from_app(app)
            key = f"{type(self).__name__}::{identifier}"
            async with self._lock:
                window = await self.retrieve_cached_history(key, store)
                if len(window.history) >= limit:
                    raise TooManyRequestsException(
                        detail=f"more than {limit} requests a minute from this "
                        + ("key" if principal else "address without a valid key"),
                        headers=self._headers(window, limit) | {"Retry-After": str(_retry_after(window))},
                    )
                await self.set_cached_history(key=key, cache_object=window, store=store)
            send = self._with_headers(send, window, limit)
        if refused is not None:
            raise refused
        await self.app(scope, receive, send)

    def _headers(self, window: CacheObject, limit: int) -> dict[str, str]:
        return {
            self.config.rate_limit_policy_header_key: f"{limit}; w={DURATION_VALUES[self.unit]}",
            self.config.rate_limit_limit_header_key: str(limit),
            self.config.rate_limit_remaining_header_key: str(max(0, limit - len(window.history))),
            self.config.rate_limit_reset_header_key: str(max(0, window.reset - int(time()))),
        }

    def _with_headers(self, send, window: CacheObject, limit: int):
        headers = self._headers(window, limit)

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ]
            await send(message)

        return wrapped


def _address(request) -> str:
    return request.client.host if request.client else "unknown"


def _retry_after(window: CacheObject) -> int:
    return max(1, window.reset - int(time()))


def rate_limit_config(settings: Settings) -> RateLimitConfig:
    """The middleware's configuration; the limits themselves are read per request from
    `app.state.rate_limits` (per key, per anonymous address; 0 = unlimited)."""
    return RateLimitConfig(
        rate_limit=("minute", max(settings.rate_limit_per_key, settings.rate_limit_anonymous, 1)),
        check_throttle_handler=_counted,
        middleware_class=KeyOrAddressRateLimit,
    )
