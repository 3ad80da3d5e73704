"""matching: rule codes stored before 7b87bf6 in lower_snake, as the library names them

Matching's rule codes were upper-case (``AMOUNT_BELOW_MIN``) until commit 7b87bf6 made them
lower_snake like valuation's. Runs and proposals stored before then still carry the old codes, in
their failures, excluded patents' reasons and any count keyed by code: the API answered two
spellings of one rule to anyone comparing runs. This rewrites every JSON string or key that is
exactly one of the sixteen old codes; nothing else is touched (Chinese messages, product codes).
The audit trail keeps what was recorded at the time. Downgrade restores the upper-case codes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# matching/rules.py's codes (fixed here: a migration must not change when the library does).
CODES = (
    "amount_below_min",
    "amount_above_max",
    "cluster_not_eligible",
    "missing_certifications",
    "not_existing_customer",
    "quota_count_exhausted",
    "quota_amount_insufficient",
    "no_patents",
    "patent_not_eligible",
    "patent_already_pledged",
    "patent_without_value",
    "patent_grade_below_minimum",
    "patent_score_below_minimum",
    "remaining_term_below_minimum",
    "loan_term_beyond_patent_expiry",
    "collateral_insufficient",
)
_COLUMNS = (("match_runs", "summary"), ("match_proposals", "explanation"))


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in value.items()}
    return value


def _rename(names: dict[str, str]) -> None:
    bind = op.get_bind()
    for table_name, column_name in _COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.BigInteger), sa.column(column_name, sa.JSON))
        column = table.c[column_name]
        for row_id, value in bind.execute(sa.select(table.c.id, column)).all():
            renamed = _renamed(value, names)
            if renamed != value:
                bind.execute(sa.update(table).where(table.c.id == row_id).values({column_name: renamed}))


def upgrade() -> None:
    _rename({code.upper(): code for code in CODES})


def downgrade() -> None:
    _rename({code: code.upper() for code in CODES})
