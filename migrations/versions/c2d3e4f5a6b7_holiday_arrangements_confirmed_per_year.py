"""holiday arrangements: the admin's confirmation, per year the holiday package does not know, that the State Council's notice (its 调休) has been entered

Revision ID: c2d3e4f5a6b7
Revises: b1c2d3e4f5a6
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2d3e4f5a6b7'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday_arrangements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('notice', sa.String(length=120), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_holiday_arrangements_confirmed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_arrangements')),
    sa.UniqueConstraint('year', name=op.f('uq_holiday_arrangements_year'))
    )


def downgrade():
    op.drop_table('holiday_arrangements')
