"""the enterprise code channel, follow-up calls and appeals, unit scorecards, weekly bulletin, case groups

Revision ID: e18000000018
Revises: e17000000017
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e18000000018'
down_revision = 'e17000000017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
