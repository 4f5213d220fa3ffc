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

FLAGS = "'orders', 'labour', 'funding', 'power', 'relocating', 'cutting', 'expanding'"


def upgrade():
    op.create_table('visit_flags',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('flag', sa.String(length=12), nullable=False),
    sa.CheckConstraint(f"flag IN ({FLAGS})", name=op.f('ck_visit_flags_flag')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_flags_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'flag', name=op.f('pk_visit_flags'))
    )
    with op.batch_alter_table('visit_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_flags_flag'), ['flag'], unique=False)

    op.create_table('visit_appends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_appends_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_appends')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_visit_appends_client_uuid'))
    )
    with op.batch_alter_table('visit_appends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_appends_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_caps',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('per_week', sa.Integer(), nullable=False),
    sa.Column('unless_problem', sa.Boolean(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('per_week BETWEEN 1 AND 7', name=op.f('ck_visit_caps_per_week')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_visit_caps_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_visit_caps_set_by_id_users')),
    sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_visit_caps'))
    )

    op.create_table('unit_webhooks',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('dingtalk', 'wecom')", name=op.f('ck_unit_webhooks_kind')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_webhooks_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_unit_webhooks_updated_by_id_users')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_webhooks'))
    )


def downgrade():
    op.drop_table('unit_webhooks')
    op.drop_table('visit_caps')
    with op.batch_alter_table('visit_appends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_appends_visit_id'))
    op.drop_table('visit_appends')
    with op.batch_alter_table('visit_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_flags_flag'))
    op.drop_table('visit_flags')
