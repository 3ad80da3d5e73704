"""Settings, read once from the environment (IPFIN_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "ipfin.sqlite3"


# The development secret is public (it is in this file): production refuses it (see production_problem).
DEFAULT_SECRET_KEY = "ipfin-development-secret"
MIN_PRODUCTION_SECRET_LENGTH = 32
ENVIRONMENTS = ("development", "production")


def _default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs the bank feed's opaque cursors; a deployment sets its own.
    secret_key: str = DEFAULT_SECRET_KEY
    # "production" makes `ipfin serve` (and create_app) refuse a default or short secret key.
    environment: str = "development"
    # A whitelist entry without an outcome expires this many days after publication (DESIGN.md §7).
    entry_lifetime_days: int = 90
    # How long a bank's Idempotency-Key is remembered (its stored response replayed) after first use.
    idempotency_key_days: int = 7
    # Requests a minute per API key, and per client address for calls without a valid key
    # (service/auth/rate_limits.py); 0 turns a limit off. Counted per process.
    rate_limit_per_key: int = 1200
    rate_limit_anonymous: int = 300
    # The fee-monitoring job alerts on a watched patent's annual fee this many days before it is due.
    fee_alert_days: int = 60
    # Banks' notification URLs must be HTTPS; plain HTTP to loopback only when this is set (trials, tests).
    webhook_allow_loopback: bool = False
    # Run the scheduler inside the API process (the worker that wins the scheduler lock runs it).
    run_scheduler: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("IPFIN_DATABASE_URL") or _default_database_url(),
            host=env.get("IPFIN_HOST", "127.0.0.1"),
            port=int(env.get("IPFIN_PORT", "8000")),
            secret_key=env.get("IPFIN_SECRET_KEY", DEFAULT_SECRET_KEY),
            environment=_environment(env),
            entry_lifetime_days=_positive_int(env, "IPFIN_ENTRY_LIFETIME_DAYS", 90),
            idempotency_key_days=_positive_int(env, "IPFIN_IDEMPOTENCY_KEY_DAYS", 7),
            rate_limit_per_key=_rate(env, "IPFIN_RATE_LIMIT_PER_KEY", 1200),
            rate_limit_anonymous=_rate(env, "IPFIN_RATE_LIMIT_ANONYMOUS", 300),
            fee_alert_days=_positive_int(env, "IPFIN_FEE_ALERT_DAYS", 60),
            webhook_allow_loopback=_flag(env, "IPFIN_WEBHOOK_ALLOW_LOOPBACK"),
            run_scheduler=_flag(env, "IPFIN_SCHEDULER"),
        )

    def production_problem(self) -> str | None:
        """Why these settings must not serve in production, or None (always None in development)."""
        if self.environment != "production":
            return None
        if self.secret_key == DEFAULT_SECRET_KEY:
            return "IPFIN_SECRET_KEY is the public development default; set a random secret of 32+ characters"
        if len(self.secret_key) < MIN_PRODUCTION_SECRET_LENGTH:
            return (
                f"IPFIN_SECRET_KEY has {len(self.secret_key)} characters; production needs at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return None


def _environment(env) -> str:
    value = (env.get("IPFIN_ENV") or "development").strip().lower()
    if value not in ENVIRONMENTS:
        raise ValueError(f"IPFIN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {value!r}")
    return value


def _flag(env, name: str) -> bool:
    return env.get(name, "").lower() in ("1", "true", "yes")


def _positive_int(env, name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    value = int(raw)
    if not 1 <= value <= 3650:
        raise ValueError(f"{name} must be between 1 and 3650, not {value}")
    return value


def _rate(env, name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    value = int(raw)
    if not 0 <= value <= 1_000_000:
        raise ValueError(f"{name} must be a number of requests a minute from 0 (off) to 1000000, not {value}")
    return value
