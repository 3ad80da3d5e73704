"""Password hashing with scrypt (hashlib, RFC 7914): memory-hard, no extra dependency.

Stored as ``scrypt$n$r$p$salt$hash`` (salt and hash base64), so the cost can be raised later and
old hashes still verify. n=2**14, r=8, p=1 takes 16 MiB and ~50 ms here: slow for a guesser,
quick enough for a sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:  # a malformed stored hash never verifies
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when the user does not exist, so an unknown name costs the same time as a wrong password.
DUMMY_HASH = hash_password(secrets.token_hex(16))
