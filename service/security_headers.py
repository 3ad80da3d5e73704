"""Security headers on every answer, errors and 404s included (the app's `before_send` hook sees
every response the server sends), and `Cache-Control: no-store` on every answer to a request that
carried an API key: staff and bank answers hold what anonymous ones do not, and no proxy or
browser cache may keep them.

The Content-Security-Policy is chosen by path from CONTENT_SECURITY_POLICIES, the one place to
change it: the JSON API loads nothing (`default-src 'none'`); the /schema documentation page
loads Swagger UI from this origin (scripts and styles 'self', no inline script); pages under /ui
serve everything from this origin (`default-src 'self'`).
"""

from __future__ import annotations

from litestar.types import Message, Scope

_NO_FRAMES = "frame-ancestors 'none'; base-uri 'none'"

API_POLICY = f"default-src 'none'; {_NO_FRAMES}; form-action 'none'"
# Swagger UI from this origin (service/api_docs): its bundle, stylesheet and starter script are
# files here; it draws its icons as data: images and reads /schema/openapi.json with fetch.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    f"connect-src 'self'; {_NO_FRAMES}; form-action 'none'"
)
PAGES_POLICY = f"default-src 'self'; object-src 'none'; {_NO_FRAMES}; form-action 'self'"

# (path prefix, policy), first match wins; the last entry ("") is everything else.
CONTENT_SECURITY_POLICIES: tuple[tuple[str, str], ...] = (
    ("/schema/openapi.", API_POLICY),
    ("/schema", DOCS_POLICY),
    ("/ui", PAGES_POLICY),
    ("", API_POLICY),
)

SECURITY_HEADERS: dict[str, str] = {
    # HTTPS only for a year once a browser has seen it over HTTPS (browsers ignore the header on
    # plain HTTP, RFC 6797 §8.1: a local `ipfin run` is unaffected); no includeSubDomains, which
    # would bind the county's other sites on the same domain.
    "strict-transport-security": "max-age=31536000",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def content_security_policy(path: str) -> str:
    return next(policy for prefix, policy in CONTENT_SECURITY_POLICIES if path.startswith(prefix))


def _carries_key(scope: Scope) -> bool:
    return any(name == b"authorization" for name, _ in scope.get("headers", ()))


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Set the headers on the response's start message (replacing any a handler set)."""
    if message["type"] != "http.response.start":
        return
    ours = SECURITY_HEADERS | {"content-security-policy": content_security_policy(scope.get("path", ""))}
    if _carries_key(scope):
        ours["cache-control"] = "no-store"
    kept = [(name, value) for name, value in message.get("headers", ()) if name.decode("latin-1").lower() not in ours]
    message["headers"] = kept + [(name.encode(), value.encode()) for name, value in ours.items()]
