"""valuation 2: patents.dual_filing (一案双申, informed-consent rule of the 2021 pledge registration measures)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('patents') as batch:
        batch.add_column(sa.Column('dual_filing', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('patents') as batch:
        batch.drop_column('dual_filing')
