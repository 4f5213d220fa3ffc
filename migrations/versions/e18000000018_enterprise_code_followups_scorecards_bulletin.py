"""the enterprise code channel, follow-up calls and appeals, unit scorecards, weekly bulletin, case groups

Revision ID: e18000000018
Revises: e17000000017
Create Date: 2026-12-06 08:10:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = 'e18000000018'
down_revision = 'e17000000017'
branch_labels = None
depends_on = None

SOURCES_BEFORE = "source IN ('visit', 'direct', 'decision')"
SOURCES_AFTER = "source IN ('visit', 'direct', 'decision', 'enterprise')"


def _give_codes():
    """Every enterprise already registered gets its own long random code."""
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.text(
        "SELECT id FROM enterprises WHERE channel_code IS NULL"))]
    if ids:
        conn.execute(sa.text("UPDATE enterprises SET channel_code = :code WHERE id = :id"),
                     [{"id": i, "code": secrets.token_urlsafe(24)} for i in ids])


def upgrade():
    # -- 企业码 ----------------------------------------------------------------------------
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_code', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f('uq_enterprises_channel_code'), ['channel_code'])
    _give_codes()
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_issues_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_issues_source'), SOURCES_AFTER)

    op.create_table(
        'retired_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=False),
        sa.Column('retired_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_retired_codes_enterprise_id_enterprises'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'],
                                name=op.f('fk_retired_codes_retired_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retired_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_retired_codes_code')),
    )
    with op.batch_alter_table('retired_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_codes_enterprise_id'), ['enterprise_id'],
                              unique=False)

    op.create_table(
        'channel_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('contact_name', sa.String(length=64), nullable=False),
        sa.Column('contact_phone', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_channel_submissions_enterprise_id_enterprises'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_channel_submissions_issue_id_issues'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_submissions')),
        sa.UniqueConstraint('issue_id', name=op.f('uq_channel_submissions_issue_id')),
    )
    with op.batch_alter_table('channel_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_submissions_enterprise_id'),
                              ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_submissions_created_at'), ['created_at'],
                              unique=False)

    op.create_table(
        'channel_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')",
                           name=op.f('ck_channel_photos_content_type')),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_channel_photos_issue_id_issues'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_photos')),
    )
    with op.batch_alter_table('channel_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_photos_issue_id'), ['issue_id'],
                              unique=False)

    # -- 回访, 申诉, 类案 ---------------------------------------------------------------------
    op.create_table('case_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'answered') = (answered_at IS NOT NULL)", name=op.f('ck_case_groups_answered')),
    sa.CheckConstraint("state IN ('open', 'answered')", name=op.f('ck_case_groups_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_groups_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_case_groups_lead_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_groups'))
    )
    with op.batch_alter_table('case_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_groups_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_groups_lead_unit_id'), ['lead_unit_id'], unique=False)

    op.create_table('case_group_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('progress', 'answer')", name=op.f('ck_case_group_updates_kind')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_group_updates_actor_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['case_groups.id'], name=op.f('fk_case_group_updates_group_id_case_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_group_updates'))
    )
    with op.batch_alter_table('case_group_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_group_updates_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_group_updates_group_id'), ['group_id'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.CheckConstraint("(state = 'pending') = (decided_at IS NULL)", name=op.f('ck_appeals_decided')),
    sa.CheckConstraint("state IN ('pending', 'upheld', 'rejected')", name=op.f('ck_appeals_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_appeals_filed_by_id_users')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_appeals_issue_id_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_appeals_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_appeals_issue_state', ['issue_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_unit_id'), ['unit_id'], unique=False)

    op.create_table('case_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['case_groups.id'], name=op.f('fk_case_group_members_group_id_case_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_case_group_members_issue_id_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'issue_id', name=op.f('pk_case_group_members')),
    sa.UniqueConstraint('issue_id', name=op.f('uq_case_group_members_issue_id'))
    )
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_channel', sa.String(length=10), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('is_reached', sa.Boolean(), nullable=True),
    sa.Column('said', sa.Text(), nullable=True),
    sa.Column('verdict', sa.String(length=12), nullable=True),
    sa.Column('is_self_confirmed', sa.Boolean(), nullable=True),
    sa.Column('is_contradiction', sa.Boolean(), nullable=True),
    sa.Column('is_redone', sa.Boolean(), nullable=False),
    sa.CheckConstraint("source IN ('low_rating', 'unresolved', 'sample')", name=op.f('ck_follow_ups_source')),
    sa.CheckConstraint("verdict IS NULL OR verdict IN ('satisfied', 'dissatisfied')", name=op.f('ck_follow_ups_verdict')),
    sa.CheckConstraint('(done_at IS NULL) = (is_reached IS NULL)', name=op.f('ck_follow_ups_done')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_follow_ups_done_by_id_users')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_follow_ups_issue_id_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_done_at'), ['done_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_follow_ups_waiting', ['due_at'], unique=False, sqlite_where=sa.text('done_at IS NULL'), postgresql_where=sa.text('done_at IS NULL'))

    # -- 周通报 -------------------------------------------------------------------------------
    op.create_table('bulletin_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_bulletin_notes_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_notes')),
    sa.UniqueConstraint('week_start', name=op.f('uq_bulletin_notes_week_start'))
    )


def downgrade():
    op.drop_table('bulletin_notes')
    op.drop_table('follow_ups')
    op.drop_table('case_group_members')
    op.drop_table('appeals')
    op.drop_table('case_group_updates')
    op.drop_table('case_groups')
    op.drop_table('channel_photos')
    op.drop_table('channel_submissions')
    op.drop_table('retired_codes')
    # The problems the enterprises raised stay, as raised directly.
    op.execute("UPDATE issues SET source = 'direct' WHERE source = 'enterprise'")
    with op.batch_alter_table('issues', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_issues_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_issues_source'), SOURCES_BEFORE)
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_enterprises_channel_code'), type_='unique')
        batch_op.drop_column('channel_code')
