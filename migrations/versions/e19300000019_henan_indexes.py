"""issue 19: indexes for the henan-scale visit submit, scorecards and queues

Revision ID: e19300000019
Revises: e19200000019
Create Date: 2026-12-06 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e19300000019'
down_revision = 'e19200000019'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
