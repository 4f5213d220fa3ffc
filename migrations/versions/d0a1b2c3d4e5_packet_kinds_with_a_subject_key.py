"""packet kinds beyond meetings and portfolios: a subject key (a task force's week, a
matchmaking session, a week's bulletin), the kinds the database accepts, and one
subject per kind

Revision ID: d0a1b2c3d4e5
Revises: c2d3e4f5a6b7
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd0a1b2c3d4e5'
down_revision = 'c2d3e4f5a6b7'
branch_labels = None
depends_on = None

KINDS = "'joint', 'review', 'minutes', 'portfolio', 'taskforce', 'matching', 'bulletin', 'inspection'"
SUBJECT = (
    "(kind IN ('joint', 'review', 'minutes') AND meeting_id IS NOT NULL AND leader_id IS NULL"
    " AND subject_key IS NULL)"
    " OR (kind IN ('portfolio') AND leader_id IS NOT NULL AND meeting_id IS NULL"
    " AND subject_key IS NULL)"
    " OR (kind IN ('taskforce', 'matching', 'bulletin', 'inspection') AND subject_key IS NOT NULL"
    " AND meeting_id IS NULL AND leader_id IS NULL)"
)


def upgrade():
    with op.batch_alter_table('briefings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_key', sa.String(length=80), nullable=True))
        batch_op.drop_constraint(op.f('ck_briefings_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_briefings_subject'), type_='check')
        batch_op.create_check_constraint(op.f('ck_briefings_kind'), f"kind IN ({KINDS})")
        batch_op.create_check_constraint(op.f('ck_briefings_subject'), SUBJECT)
        batch_op.create_index('ix_briefings_key_version', ['kind', 'subject_key', 'version'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('briefings', schema=None) as batch_op:
        batch_op.drop_index('ix_briefings_key_version')
        batch_op.drop_constraint(op.f('ck_briefings_subject'), type_='check')
        batch_op.drop_constraint(op.f('ck_briefings_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_briefings_kind'),
                                         "kind IN ('joint', 'review', 'portfolio')")
        batch_op.create_check_constraint(
            op.f('ck_briefings_subject'),
            "(kind = 'portfolio') = (leader_id IS NOT NULL AND meeting_id IS NULL)")
        batch_op.drop_column('subject_key')
