"""issue 19: the month overview at henan scale

Revision ID: e19600000019
Revises: e19500000019
Create Date: 2026-12-06 11:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e19600000019'
down_revision = 'e19500000019'
branch_labels = None
depends_on = None


def upgrade():
    # The running month's pending count (every open problem by lead unit) from the
    # index alone.
    op.create_index("ix_issues_state_dispatched_unit", "issues",
                    ["state", "dispatched_at", "lead_unit_id"])
    # The rollup now holds the pending count at the end of every day (kind
    # "pending_eod") and the county's month totals for the trend: months written
    # before lack them, so they are marked stale and the
    # worker (or ``crm.meetings.rollups.rebuild_all()``) writes them again; until then
    # the overview counts them live.
    op.execute("UPDATE rollup_months SET stale_at = CURRENT_TIMESTAMP, version = version + 1 "
               "WHERE stale_at IS NULL")


def downgrade():
    op.drop_index("ix_issues_state_dispatched_unit", table_name="issues")
