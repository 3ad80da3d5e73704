"""Signing in to the pages: the session cookie, who it names, CSRF on every form.

The cookie (``ipfin_session``) is HttpOnly, SameSite=Lax, path /ui, Secure when served over
HTTPS; it names a row in staff_sessions (service/users/service.py). CSRF: Litestar's double-
submit middleware on the /ui router, signed with IPFIN_SECRET_KEY like the session; every form
carries the token in ``_csrf_token``.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.di import NamedDependency, Provide
from litestar.middleware.csrf import CSRFMiddleware

from service.deps import DbSession
from service.users.service import SignedIn, session_user

SESSION_COOKIE = "ipfin_session"
CSRF_COOKIE = "ipfin_csrf"
UI_PATH = "/ui"


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in user; answered with a redirect to the sign-in form."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return f"{UI_PATH}/login?next={quote(safe_next(next_path))}"


def safe_next(candidate: str | None) -> str:
    """Only a path inside /ui is followed after sign-in (never another site: //host, /\\host)."""
    if not candidate or not candidate.startswith(UI_PATH + "/") or "//" in candidate or "\\" in candidate:
        return UI_PATH + "/"
    return candidate


def provide_user(request: Request, db_session: DbSession) -> SignedIn | None:
    secret = request.app.state.settings.secret_key
    return session_user(db_session, request.cookies.get(SESSION_COOKIE), secret)


User = NamedDependency[SignedIn | None]
Staff = NamedDependency[SignedIn]


def provide_staff(request: Request, user: User) -> SignedIn:
    """The signed-in reviewer or admin; anyone else is sent to the sign-in form."""
    if user is None:
        raise SignInRequired(request.url.path)
    return user


DEPENDENCIES = {
    "user": Provide(provide_user, sync_to_thread=True),
    "staff": Provide(provide_staff, sync_to_thread=False),
}


class AppSecretCSRF(CSRFMiddleware):
    """CSRFMiddleware whose secret is the serving app's IPFIN_SECRET_KEY (read on first use: the
    router is declared before any app, and each app builds its own middleware instances)."""

    def __init__(self, app) -> None:
        super().__init__(
            app,
            CSRFConfig(
                secret="set-on-first-request",
                cookie_name=CSRF_COOKIE,
                cookie_path=UI_PATH,
                cookie_httponly=True,
                cookie_samesite="lax",
            ),
        )
        self._secret_set = False

    async def __call__(self, scope, receive, send) -> None:
        if not self._secret_set:
            self.config = replace(self.config, secret=scope["litestar_app"].state.settings.secret_key)
            self._secret_set = True
        await super().__call__(scope, receive, send)
