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

ROLES_BEFORE = "role IN ('commissioner', 'leader', 'handler', 'coordinator', 'admin')"
ROLES_AFTER = "role IN ('commissioner', 'leader', 'handler', 'coordinator', 'admin', 'bank')"
KINDS_BEFORE = "kind IN ('town', 'department')"
KINDS_AFTER = "kind IN ('town', 'department', 'bank')"


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_units_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_units_kind'), KINDS_AFTER)
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role'), ROLES_AFTER)

    op.create_table(
        'financing_needs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('term_months', sa.Integer(), nullable=False),
        sa.Column('urgency', sa.String(length=10), nullable=False),
        sa.Column('offers', sa.String(length=100), nullable=False),
        sa.Column('tax_grade', sa.String(length=1), nullable=True),
        sa.Column('tax_paid', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('has_consent', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('close_reason', sa.String(length=20), nullable=True),
        sa.Column('close_note', sa.String(length=500), nullable=True),
        sa.Column('raised_by_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("purpose IN ('working_capital', 'upgrade', 'project', 'other')",
                           name=op.f('ck_financing_needs_purpose')),
        sa.CheckConstraint("urgency IN ('normal', 'soon', 'urgent')",
                           name=op.f('ck_financing_needs_urgency')),
        sa.CheckConstraint("state IN ('open', 'met', 'closed')",
                           name=op.f('ck_financing_needs_state')),
        sa.CheckConstraint("tax_grade IS NULL OR tax_grade IN ('A', 'B', 'M', 'C', 'D')",
                           name=op.f('ck_financing_needs_tax_grade')),
        sa.CheckConstraint('amount > 0', name=op.f('ck_financing_needs_amount')),
        sa.CheckConstraint('term_months > 0', name=op.f('ck_financing_needs_term')),
        sa.CheckConstraint("(state = 'open') = (closed_at IS NULL)",
                           name=op.f('ck_financing_needs_closed')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ondelete='CASCADE',
                                name=op.f('fk_financing_needs_enterprise_id_enterprises')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'],
                                name=op.f('fk_financing_needs_raised_by_id_users')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], ondelete='SET NULL',
                                name=op.f('fk_financing_needs_visit_id_visits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_needs')),
    )
    with op.batch_alter_table('financing_needs', schema=None) as batch_op:
        for col in ('enterprise_id', 'visit_id', 'state', 'raised_by_id', 'raised_at'):
            batch_op.create_index(batch_op.f(f'ix_financing_needs_{col}'), [col], unique=False)

    op.create_table(
        'bank_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('bank_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('pushed_by_id', sa.Integer(), nullable=True),
        sa.Column('pushed_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('diligence_at', sa.DateTime(), nullable=True),
        sa.Column('granted_at', sa.DateTime(), nullable=True),
        sa.Column('granted_amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('rate', sa.Numeric(precision=6, scale=3), nullable=True),
        sa.Column('disbursed_at', sa.DateTime(), nullable=True),
        sa.Column('disbursed_amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('disbursed_on', sa.Date(), nullable=True),
        sa.Column('declined_at', sa.DateTime(), nullable=True),
        sa.Column('decline_reason', sa.String(length=20), nullable=True),
        sa.Column('decline_note', sa.String(length=500), nullable=True),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('warn_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('pushed', 'accepted', 'diligence', 'granted', 'disbursed', "
                           "'declined', 'withdrawn')", name=op.f('ck_bank_responses_state')),
        sa.CheckConstraint("state NOT IN ('granted', 'disbursed') OR "
                           "(granted_amount IS NOT NULL AND granted_at IS NOT NULL)",
                           name=op.f('ck_bank_responses_granted')),
        sa.CheckConstraint("state <> 'disbursed' OR "
                           "(disbursed_amount IS NOT NULL AND disbursed_on IS NOT NULL)",
                           name=op.f('ck_bank_responses_disbursed')),
        sa.CheckConstraint("state <> 'declined' OR decline_reason IS NOT NULL",
                           name=op.f('ck_bank_responses_declined')),
        sa.ForeignKeyConstraint(['need_id'], ['financing_needs.id'], ondelete='CASCADE',
                                name=op.f('fk_bank_responses_need_id_financing_needs')),
        sa.ForeignKeyConstraint(['bank_id'], ['units.id'],
                                name=op.f('fk_bank_responses_bank_id_units')),
        sa.ForeignKeyConstraint(['pushed_by_id'], ['users.id'],
                                name=op.f('fk_bank_responses_pushed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_responses')),
        sa.UniqueConstraint('need_id', 'bank_id', name=op.f('uq_bank_responses_need_id')),
    )
    with op.batch_alter_table('bank_responses', schema=None) as batch_op:
        for col in ('need_id', 'bank_id', 'state', 'pushed_at', 'due_at'):
            batch_op.create_index(batch_op.f(f'ix_bank_responses_{col}'), [col], unique=False)

    op.create_table(
        'financing_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('from_state', sa.String(length=12), nullable=True),
        sa.Column('to_state', sa.String(length=12), nullable=True),
        sa.Column('text', sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(['need_id'], ['financing_needs.id'], ondelete='CASCADE',
                                name=op.f('fk_financing_events_need_id_financing_needs')),
        sa.ForeignKeyConstraint(['response_id'], ['bank_responses.id'], ondelete='CASCADE',
                                name=op.f('fk_financing_events_response_id_bank_responses')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_financing_events_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_events')),
    )
    with op.batch_alter_table('financing_events', schema=None) as batch_op:
        for col in ('need_id', 'response_id'):
            batch_op.create_index(batch_op.f(f'ix_financing_events_{col}'), [col], unique=False)

    op.create_table(
        'support_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('reason_note', sa.String(length=500), nullable=True),
        sa.Column('resumed_on', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("reason IN ('orders', 'funds', 'materials', 'labour', 'energy', "
                           "'environment', 'other')", name=op.f('ck_support_cases_reason')),
        sa.CheckConstraint("status IN ('halted', 'reduced')",
                           name=op.f('ck_support_cases_status')),
        sa.CheckConstraint('resumed_on IS NULL OR resumed_on >= since',
                           name=op.f('ck_support_cases_resumed')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ondelete='CASCADE',
                                name=op.f('fk_support_cases_enterprise_id_enterprises')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_support_cases_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_cases')),
    )
    with op.batch_alter_table('support_cases', schema=None) as batch_op:
        for col in ('enterprise_id', 'resumed_on'):
            batch_op.create_index(batch_op.f(f'ix_support_cases_{col}'), [col], unique=False)

    op.create_table(
        'match_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_match_sessions_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_sessions')),
    )
    with op.batch_alter_table('match_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_sessions_held_on'), ['held_on'], unique=False)
    op.create_table(
        'match_session_banks',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('bank_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['match_sessions.id'], ondelete='CASCADE',
                                name=op.f('fk_match_session_banks_session_id_match_sessions')),
        sa.ForeignKeyConstraint(['bank_id'], ['units.id'],
                                name=op.f('fk_match_session_banks_bank_id_units')),
        sa.PrimaryKeyConstraint('session_id', 'bank_id', name=op.f('pk_match_session_banks')),
    )
    op.create_table(
        'match_invites',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['match_sessions.id'], ondelete='CASCADE',
                                name=op.f('fk_match_invites_session_id_match_sessions')),
        sa.ForeignKeyConstraint(['need_id'], ['financing_needs.id'], ondelete='CASCADE',
                                name=op.f('fk_match_invites_need_id_financing_needs')),
        sa.PrimaryKeyConstraint('session_id', 'need_id', name=op.f('pk_match_invites')),
    )
    with op.batch_alter_table('match_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_invites_need_id'), ['need_id'], unique=False)
    op.create_table(
        'match_outcomes',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('bank_id', sa.Integer(), nullable=False),
        sa.Column('result', sa.String(length=10), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.CheckConstraint("result IN ('intent', 'follow_up', 'no_match')",
                           name=op.f('ck_match_outcomes_result')),
        sa.ForeignKeyConstraint(['session_id'], ['match_sessions.id'], ondelete='CASCADE',
                                name=op.f('fk_match_outcomes_session_id_match_sessions')),
        sa.ForeignKeyConstraint(['need_id'], ['financing_needs.id'], ondelete='CASCADE',
                                name=op.f('fk_match_outcomes_need_id_financing_needs')),
        sa.ForeignKeyConstraint(['bank_id'], ['units.id'],
                                name=op.f('fk_match_outcomes_bank_id_units')),
        sa.PrimaryKeyConstraint('session_id', 'need_id', 'bank_id',
                                name=op.f('pk_match_outcomes')),
    )


def downgrade():
    op.drop_table('match_outcomes')
    op.drop_table('match_invites')
    op.drop_table('match_session_banks')
    op.drop_table('match_sessions')
    op.drop_table('support_cases')
    op.drop_table('financing_events')
    op.drop_table('bank_responses')
    op.drop_table('financing_needs')
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role'), ROLES_BEFORE)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_units_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_units_kind'), KINDS_BEFORE)
