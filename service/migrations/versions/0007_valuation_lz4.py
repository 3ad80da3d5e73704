"""valuations: the result and inputs JSON compressed with lz4 on PostgreSQL

A valuation's stored result (reasons, explanation) is about 2.6 KB, past PostgreSQL's TOAST
threshold, so every stored valuation is compressed. With the default pglz, writing 100,000 results
took 5.0 s of the server's time; with lz4 2.9 s, for a 5 % larger table. Only new values are
compressed the new way. PostgreSQL 14+ built with lz4 (Debian's is); elsewhere, and on SQLite,
nothing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:45:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = ("result", "inputs")


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return False
    # The enum of default_toast_compression lists lz4 only when the server was built with it.
    setting = "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
    return "lz4" in bind.exec_driver_sql(setting).scalar()


def _set(method: str) -> None:
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE valuations ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    if _lz4_available():
        _set("lz4")


def downgrade() -> None:
    if _lz4_available():
        _set("default")
