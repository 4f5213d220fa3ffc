"""packets: protocol order, short unit names, document numbers, agenda, attendees, minutes, written analysis

Revision ID: e15000000015
Revises: e14000000014
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e15000000015'
down_revision = 'e14000000014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
