"""issue 19: month rollups of closed months' figures by unit

Revision ID: e19100000019
Revises: e19000000019
Create Date: 2026-12-06 10:32:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e19100000019'
down_revision = 'e19000000019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rollup_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.Column('stale_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_rollup_months')),
    )
    op.create_table(
        'rollup_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('key', sa.Integer(), nullable=True),
        sa.Column('a', sa.Integer(), nullable=False),
        sa.Column('b', sa.Integer(), nullable=False),
        sa.Column('c', sa.Integer(), nullable=False),
        sa.Column('d', sa.Integer(), nullable=False),
        sa.Column('e', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_rows')),
    )
    op.create_index('ix_rollup_rows_day_kind', 'rollup_rows', ['day', 'kind'], unique=False)


def downgrade():
    op.drop_index('ix_rollup_rows_day_kind', table_name='rollup_rows')
    op.drop_table('rollup_rows')
    op.drop_table('rollup_months')
