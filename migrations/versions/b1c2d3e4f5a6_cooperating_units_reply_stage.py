"""the cooperating units' (协办) reply stage: when each unit was asked, its reply due and
warn instants and when it replied; the number of working days per deadline rule
(default 2)

Rows of cooperating units written before have no deadline, so they carry no light and
the sweep leaves them alone.

Revision ID: b1c2d3e4f5a6
Revises: 7c1e2a9d4f30
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a6'
down_revision = '7c1e2a9d4f30'
branch_labels = None
depends_on = None

WAITING = sa.text("replied_at IS NULL")


def upgrade():
    with op.batch_alter_table('deadline_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coop_days', sa.Integer(), server_default=sa.text('2'),
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_deadline_rules_coop_positive'), 'coop_days > 0')
    with op.batch_alter_table('issue_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reply_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reply_warn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_issue_units_waiting', ['reply_warn_at'], unique=False,
                              sqlite_where=WAITING, postgresql_where=WAITING)


def downgrade():
    with op.batch_alter_table('issue_units', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_units_waiting')
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply_warn_at')
        batch_op.drop_column('reply_due_at')
        batch_op.drop_column('requested_at')
    with op.batch_alter_table('deadline_rules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deadline_rules_coop_positive'), type_='check')
        batch_op.drop_column('coop_days')
