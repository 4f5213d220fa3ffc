"""financing needs, banks and their answers, matchmaking sessions, stopped and reduced production

Revision ID: e17000000017
Revises: e16000000016
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e17000000017'
down_revision = 'e16000000016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
