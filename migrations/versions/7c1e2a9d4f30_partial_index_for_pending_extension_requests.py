"""a partial index for pending extension requests (replaces the full one); problems by state and raise time; running clocks by due time; escalated ones by raise time; reopening events by time; ratings by enterprise

Revision ID: 7c1e2a9d4f30
Revises: 54d0b1e41c5b
Create Date: 2026-11-27 10:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e2a9d4f30'
down_revision = '54d0b1e41c5b'
branch_labels = None
depends_on = None

PENDING = sa.text("extension_requested_until IS NOT NULL")
REOPENED = sa.text("to_state = 'reopened'")
CLOCK = sa.text("state IN ('dispatched', 'returned', 'in_progress', 'reopened')")


def upgrade():
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.create_index('ix_issue_events_reopened', ['at'], unique=False,
                              sqlite_where=REOPENED, postgresql_where=REOPENED)
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_extension_requested_until')
        batch_op.create_index('ix_issues_extension_pending', ['extension_requested_until'],
                              unique=False, sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('ix_issues_state_raised', ['state', 'raised_at'], unique=False)
        batch_op.create_index('ix_issues_enterprise_rated', ['enterprise_id', 'rated_at'],
                              unique=False)
        batch_op.create_index('ix_issues_clock_due', ['due_at'], unique=False,
                              sqlite_where=CLOCK, postgresql_where=CLOCK)
        batch_op.create_index('ix_issues_escalated_raised', ['raised_at'], unique=False,
                              sqlite_where=sa.text("is_escalated IS 1"),
                              postgresql_where=sa.text("is_escalated IS true"))


def downgrade():
    with op.batch_alter_table('issue_events', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_events_reopened')
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_escalated_raised')
        batch_op.drop_index('ix_issues_clock_due')
        batch_op.drop_index('ix_issues_enterprise_rated')
        batch_op.drop_index('ix_issues_state_raised')
        batch_op.drop_index('ix_issues_extension_pending')
        batch_op.create_index('ix_issues_extension_requested_until',
                              ['extension_requested_until'], unique=False)
