"""task forces, key projects and milestones, rhythm meetings, inspection groups

Revision ID: e16000000016
Revises: e15000000015
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e16000000016'
down_revision = 'e15000000015'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
