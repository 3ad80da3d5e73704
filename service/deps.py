"""Request-scoped dependencies: the unit of work and the caller's identity.

The transaction boundary is the request: handlers and services never commit; this dependency
commits once the handler has returned, before the response is sent, and rolls back on any
exception, so a failed request never leaves a partial write.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from anyio import to_thread
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlmodel import Session

from service.auth.keys import Principal, authenticate
from service.errors import ApiError


async def provide_session(state: State) -> AsyncGenerator[Session, None]:
    session = Session(state.engine, expire_on_commit=False)
    try:
        yield session
        await to_thread.run_sync(session.commit)
    except BaseException:
        await to_thread.run_sync(session.rollback)
        raise
    finally:
        await to_thread.run_sync(session.close)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# How handlers declare what they need from these providers (by name, as Litestar 3 requires).
DbSession = NamedDependency[Session]
Caller = NamedDependency[Principal | None]  # whoever sent a valid key, or None
Authorized = NamedDependency[Principal]  # a caller `require(...)` let through


def provide_principal(request: Request, db_session: DbSession) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None
    principal = authenticate(db_session, token)
    if principal is None:
        raise ApiError(401, "invalid_api_key", "the API key is unknown or revoked")
    return principal


def require(*roles: str) -> Provide:
    """A dependency that yields the caller when it holds one of `roles`, else 401/403."""

    def check(principal: Caller) -> Principal:
        if principal is None:
            raise ApiError(401, "unauthorized", "send an API key: Authorization: Bearer <key>")
        if principal.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)}")
        return principal

    return Provide(check, sync_to_thread=False)


DEPENDENCIES: dict[str, Provide] = {
    "db_session": Provide(provide_session),
    "principal": Provide(provide_principal, sync_to_thread=True),
}
