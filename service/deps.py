"""Request-scoped dependencies: the unit of work and the caller's identity.

The transaction boundary is the request: handlers and services never commit; this dependency
commits once the handler has returned, before the response is sent, and rolls back on any
exception, so a failed request never leaves a partial write.

Authentication comes first and covers every route: `authenticate_request` (the app's
`before_request`) resolves a presented key before any handler or dependency runs, so a wrong or
revoked key is a 401 on public endpoints too, not silently treated as "no key". Handlers read
the result through the `principal` dependency.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from anyio import CapacityLimiter, to_thread
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlmodel import Session

from service.auth.keys import Principal, authenticate
from service.db import transaction
from service.errors import ApiError
from service.models.enums import ApiRole


# Ending a transaction never waits for the handlers' thread pool (DESIGN.md §10): a request that
# holds SQLite's write lock must be able to commit while every handler thread is busy waiting for
# that lock. Commits, rollbacks and closes are short and never wait for a lock themselves, so a
# limiter of their own (made on start-up, in the server's event loop) is enough.
def make_session_limiter(state: State) -> None:
    state.session_ending = CapacityLimiter(16)


async def provide_session(state: State) -> AsyncGenerator[Session, None]:
    session = Session(state.engine, expire_on_commit=False)
    ending = getattr(state, "session_ending", None)  # None: anyio's default limiter
    try:
        yield session
        if session.in_transaction():  # a request that never used the database has nothing to end
            await to_thread.run_sync(session.commit, limiter=ending)
    except BaseException:
        if session.in_transaction():
            await to_thread.run_sync(session.rollback, limiter=ending)
        raise
    finally:
        if session.in_transaction():
            await to_thread.run_sync(session.close, limiter=ending)
        else:
            session.close()  # holds no connection: nothing that could block


def _presented_key(request: Request) -> str | None:
    """The bearer token, None when no Authorization header is sent; any other scheme is a 401."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "invalid_api_key",
            "请以 Authorization: Bearer <key> 发送 API 密钥 / send the API key as Authorization: Bearer <key>",
        )
    return token.strip()


def _lookup(engine, token: str) -> Principal | None:
    with transaction(engine) as session:
        return authenticate(session, token)


async def authenticate_request(request: Request) -> None:
    """Resolve the caller's key once per request; a presented key that is unknown or revoked is 401."""
    if hasattr(request.state, "principal"):  # already resolved (service.auth.rate_limits runs first)
        return
    token = _presented_key(request)
    principal = None
    if token is not None:
        if len(token) > 200:  # keys are ~45 characters; do not hash megabytes
            raise ApiError(401, "invalid_api_key", "API 密钥无效或已吊销 / the API key is unknown or revoked")
        principal = await to_thread.run_sync(_lookup, request.app.state.engine, token)
        if principal is None:
            raise ApiError(401, "invalid_api_key", "API 密钥无效或已吊销 / the API key is unknown or revoked")
    request.state.principal = principal


# How handlers declare what they need from these providers (by name, as Litestar 3 requires).
DbSession = NamedDependency[Session]
Caller = NamedDependency[Principal | None]  # whoever sent a valid key, or None
Authorized = NamedDependency[Principal]  # a caller `require(...)` let through


def provide_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


# The roles that see what the service holds about firms, loans and decisions (contacts, credit
# loans, proposals, pledges, the audit trail); banks see only their own entries and products.
STAFF_ROLES: tuple[str, ...] = (ApiRole.admin.value, ApiRole.reviewer.value)


def is_staff(principal: Principal | None) -> bool:
    """Whether the caller may read the staff-only fields of public answers (README "Who may read what")."""
    return principal is not None and principal.role in STAFF_ROLES


def require(*roles: str) -> Provide:
    """A dependency that yields the caller when it holds one of `roles`, else 401/403."""

    def check(principal: Caller) -> Principal:
        if principal is None:
            raise ApiError(401, "unauthorized", "请发送 API 密钥 / send an API key: Authorization: Bearer <key>")
        if principal.role not in roles:
            raise ApiError(403, "forbidden", f"权限不足 / this needs the role {' or '.join(roles)}")
        return principal

    return Provide(check, sync_to_thread=False)


# The three audiences of the API, as handler dependencies.
STAFF = require(*STAFF_ROLES)
BANK = require(ApiRole.bank.value)
ANYONE_WITH_A_KEY = require(ApiRole.bank.value, *STAFF_ROLES)

DEPENDENCIES: dict[str, Provide] = {
    "db_session": Provide(provide_session),
    "principal": Provide(provide_principal, sync_to_thread=False),
}
