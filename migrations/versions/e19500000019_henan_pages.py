"""issue 19: triage, boards, meeting and list pages at henan scale

Revision ID: e19500000019
Revises: e19400000019
Create Date: 2026-12-06 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e19500000019'
down_revision = 'e19400000019'
branch_labels = None
depends_on = None

CLOCK = sa.text("state IN ('dispatched', 'returned', 'in_progress', 'reopened')")
RESOLVED = sa.text("state = 'resolved'")


def upgrade():
    with op.batch_alter_table('issues', schema=None) as batch_op:
        # The red problems by due time, now with what the triage board's sections test.
        batch_op.drop_index('ix_issues_clock_due')
        batch_op.create_index('ix_issues_clock_due', ['due_at', 'supervise_count', 'is_escalated'],
                              unique=False, sqlite_where=CLOCK, postgresql_where=CLOCK)
        batch_op.create_index('ix_issues_unit_resolved', ['lead_unit_id', 'resolved_at'],
                              unique=False, sqlite_where=RESOLVED, postgresql_where=RESOLVED)
    with op.batch_alter_table('financing_needs', schema=None) as batch_op:
        batch_op.create_index('ix_financing_needs_state_raised', ['state', 'raised_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('financing_needs', schema=None) as batch_op:
        batch_op.drop_index('ix_financing_needs_state_raised')
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_unit_resolved')
        batch_op.drop_index('ix_issues_clock_due')
        batch_op.create_index('ix_issues_clock_due', ['due_at'], unique=False,
                              sqlite_where=CLOCK, postgresql_where=CLOCK)
