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
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=20), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_order', sa.Integer(), nullable=True))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('copies', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('problems_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_steps_text', sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_meetings_copies'),
                                         'copies IS NULL OR copies > 0')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presenting_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('minutes_allotted', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_agenda_items_presenting_unit_id_units'), 'units',
                                    ['presenting_unit_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_agenda_items_minutes_allotted'),
                                         'minutes_allotted IS NULL OR minutes_allotted > 0')
    op.create_table(
        'meeting_attendees',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.CheckConstraint("role IN ('present', 'attending', 'absent')",
                           name=op.f('ck_meeting_attendees_role')),
        sa.CheckConstraint('(user_id IS NULL) <> (unit_id IS NULL)',
                           name=op.f('ck_meeting_attendees_who')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE',
                                name=op.f('fk_meeting_attendees_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_meeting_attendees_unit_id_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_meeting_attendees_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendees')),
        sa.UniqueConstraint('meeting_id', 'unit_id', name='uq_meeting_attendees_unit'),
        sa.UniqueConstraint('meeting_id', 'user_id', name='uq_meeting_attendees_user'),
    )
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendees_meeting_id'), ['meeting_id'],
                              unique=False)
    op.create_table(
        'document_numbers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('series', sa.String(length=10), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("series IN ('packet', 'minutes')",
                           name=op.f('ck_document_numbers_series')),
        sa.CheckConstraint('seq > 0', name=op.f('ck_document_numbers_seq')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE',
                                name=op.f('fk_document_numbers_meeting_id_meetings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_numbers')),
        sa.UniqueConstraint('series', 'meeting_id', name='uq_document_numbers_meeting'),
        sa.UniqueConstraint('series', 'year', 'seq', name='uq_document_numbers_number'),
    )
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_numbers_meeting_id'), ['meeting_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_numbers_meeting_id'))
    op.drop_table('document_numbers')
    with op.batch_alter_table('meeting_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendees_meeting_id'))
    op.drop_table('meeting_attendees')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_items_minutes_allotted'), type_='check')
        batch_op.drop_constraint(op.f('fk_agenda_items_presenting_unit_id_units'),
                                 type_='foreignkey')
        batch_op.drop_column('minutes_allotted')
        batch_op.drop_column('presenting_unit_id')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meetings_copies'), type_='check')
        batch_op.drop_column('next_steps_text')
        batch_op.drop_column('problems_text')
        batch_op.drop_column('copies')
        batch_op.drop_column('chair')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('protocol_order')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('short_name')
