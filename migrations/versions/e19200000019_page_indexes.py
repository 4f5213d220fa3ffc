"""issue 19: page indexes — an enterprise's problems by state, and its running clocks

Revision ID: e19200000019
Revises: e19100000019
Create Date: 2026-12-06 10:40:00

``ix_issues_enterprise_state`` serves an enterprise's open problems (its page, the
leader's portfolio cards, the leader's problem list and the board filtered by leader);
``ix_issues_enterprise_clock`` lets the portfolio count each enterprise's red and yellow
problems from the index alone (running clocks only, a partial index).
"""
from alembic import op
import sqlalchemy as sa


revision = 'e19200000019'
down_revision = 'e19100000019'
branch_labels = None
depends_on = None

CLOCK = sa.text("state IN ('dispatched', 'returned', 'in_progress', 'reopened')")


def upgrade():
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.create_index('ix_issues_enterprise_state', ['enterprise_id', 'state'],
                              unique=False)
        batch_op.create_index('ix_issues_enterprise_clock', ['enterprise_id', 'due_at', 'warn_at'],
                              unique=False, sqlite_where=CLOCK, postgresql_where=CLOCK)


def downgrade():
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_index('ix_issues_enterprise_clock')
        batch_op.drop_index('ix_issues_enterprise_state')
