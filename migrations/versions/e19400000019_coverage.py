"""issue 19: coverage at henan scale

Revision ID: e19400000019
Revises: e19300000019
Create Date: 2026-12-06 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e19400000019'
down_revision = 'e19300000019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_rows',
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('scope', sa.String(length=12), nullable=False),
        sa.Column('key', sa.Integer(), nullable=False),
        sa.Column('assigned', sa.Integer(), nullable=False),
        sa.Column('visited', sa.Integer(), nullable=False),
        sa.Column('rate', sa.Float(), nullable=False),
        sa.Column('built_on', sa.Date(), nullable=False),
        sa.Column('units', sa.Integer(), nullable=True),
        sa.Column('commissioners', sa.Integer(), nullable=True),
        sa.Column('leaders', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('week', 'scope', 'key', name=op.f('pk_coverage_rows')),
    )
    op.create_index('ix_coverage_rows_weakest', 'coverage_rows',
                    ['week', 'scope', 'rate', 'key'])


def downgrade():
    op.drop_index('ix_coverage_rows_weakest', table_name='coverage_rows')
    op.drop_table('coverage_rows')
