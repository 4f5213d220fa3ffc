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

# The milestone template the admin starts from (crm.taskforces.models.DEFAULT_TEMPLATE).
TEMPLATE = ("立项", "用地", "环评", "施工许可", "开工", "竣工", "投产")


def upgrade():
    # A task force's rhythm meetings are meetings of their own kind.
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meetings_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_meetings_kind'), "kind IN ('joint', 'review', 'special', 'taskforce')")
    op.create_table('milestone_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_kinds')),
    sa.UniqueConstraint('name', name=op.f('uq_milestone_kinds_name'))
    )
    op.create_table('inspection_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['head_id'], ['users.id'], name=op.f('fk_inspection_groups_head_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_inspection_groups_name'))
    )
    op.create_table('task_forces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('weekly_on', sa.Boolean(), nullable=False),
    sa.Column('weekly_day', sa.Integer(), nullable=False),
    sa.Column('fortnightly_on', sa.Boolean(), nullable=False),
    sa.Column('fortnightly_day', sa.Integer(), nullable=False),
    sa.Column('monthly_on', sa.Boolean(), nullable=False),
    sa.Column('monthly_day', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('work', 'project')", name=op.f('ck_task_forces_kind')),
    sa.CheckConstraint("state IN ('active', 'closed')", name=op.f('ck_task_forces_state')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_task_forces_period')),
    sa.CheckConstraint('weekly_day BETWEEN 0 AND 6 AND fortnightly_day BETWEEN 0 AND 6 AND monthly_day BETWEEN 0 AND 6', name=op.f('ck_task_forces_weekdays')),
    sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_task_forces_deputy_id_users')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_task_forces_lead_unit_id_units')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_task_forces_leader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_forces')),
    sa.UniqueConstraint('name', name=op.f('uq_task_forces_name'))
    )
    with op.batch_alter_table('task_forces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_forces_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_forces_lead_unit_id'), ['lead_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_forces_leader_id'), ['leader_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_forces_state'), ['state'], unique=False)

    op.create_table('inspection_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_inspection_group_members_group_id_inspection_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_group_members_user_id_users')),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_inspection_group_members'))
    )
    with op.batch_alter_table('inspection_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('investment', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('investment IS NULL OR investment >= 0', name=op.f('ck_projects_investment')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_projects_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_projects_task_force_id_task_forces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_task_force_id'), ['task_force_id'], unique=False)

    op.create_table('rhythm_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('rhythm', sa.String(length=12), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.CheckConstraint("rhythm IN ('weekly', 'fortnightly', 'monthly')", name=op.f('ck_rhythm_meetings_rhythm')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_rhythm_meetings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_rhythm_meetings_task_force_id_task_forces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rhythm_meetings')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_rhythm_meetings_meeting_id')),
    sa.UniqueConstraint('task_force_id', 'day', name='uq_rhythm_meetings_task_force_day')
    )
    with op.batch_alter_table('rhythm_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rhythm_meetings_task_force_id'), ['task_force_id'], unique=False)

    op.create_table('task_force_enterprises',
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_task_force_enterprises_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_task_force_enterprises_task_force_id_task_forces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_force_id', 'enterprise_id', name=op.f('pk_task_force_enterprises'))
    )
    with op.batch_alter_table('task_force_enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_force_enterprises_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('task_force_members',
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_task_force_members_task_force_id_task_forces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_force_members_user_id_users')),
    sa.PrimaryKeyConstraint('task_force_id', 'user_id', name=op.f('pk_task_force_members'))
    )
    with op.batch_alter_table('task_force_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_force_members_user_id'), ['user_id'], unique=False)

    op.create_table('task_force_units',
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_task_force_units_task_force_id_task_forces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_task_force_units_unit_id_units')),
    sa.PrimaryKeyConstraint('task_force_id', 'unit_id', name=op.f('pk_task_force_units'))
    )
    with op.batch_alter_table('task_force_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_force_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('inspection_scopes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('task_force_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(CASE WHEN task_force_id IS NULL THEN 0 ELSE 1 END + CASE WHEN project_id IS NULL THEN 0 ELSE 1 END + CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_inspection_scopes_one_target')),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_inspection_scopes_group_id_inspection_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_inspection_scopes_project_id_projects')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_inspection_scopes_task_force_id_task_forces')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inspection_scopes_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_scopes'))
    )
    with op.batch_alter_table('inspection_scopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_scopes_group_id'), ['group_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('task_force_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(CASE WHEN task_force_id IS NULL THEN 0 ELSE 1 END + CASE WHEN project_id IS NULL THEN 0 ELSE 1 END + CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_inspections_one_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspections_created_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['inspection_groups.id'], name=op.f('fk_inspections_group_id_inspection_groups')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_inspections_project_id_projects')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_inspections_task_force_id_task_forces')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_inspections_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_group_id'), ['group_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('count_mode', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(state = 'done') = (done_on IS NOT NULL)", name=op.f('ck_milestones_done_on')),
    sa.CheckConstraint("count_mode IN ('working', 'calendar')", name=op.f('ck_milestones_count_mode')),
    sa.CheckConstraint("state IN ('open', 'done')", name=op.f('ck_milestones_state')),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_milestones_issue_id_issues')),
    sa.ForeignKeyConstraint(['kind_id'], ['milestone_kinds.id'], name=op.f('fk_milestones_kind_id_milestone_kinds')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_milestones_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    sa.UniqueConstraint('issue_id', name=op.f('uq_milestones_issue_id'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_unit_id'), ['unit_id'], unique=False)

    op.create_table('inspection_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('problem', 'supervise')", name=op.f('ck_inspection_findings_kind')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_findings_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], name=op.f('fk_inspection_findings_issue_id_issues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_findings'))
    )
    with op.batch_alter_table('inspection_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_findings_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_findings_issue_id'), ['issue_id'], unique=False)

    op.create_table('milestone_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('instruction', 'progress')", name=op.f('ck_milestone_notes_kind')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_milestone_notes_author_id_users')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_notes_milestone_id_milestones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_notes'))
    )
    with op.batch_alter_table('milestone_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_notes_milestone_id'), ['milestone_id'], unique=False)

    kinds = sa.table('milestone_kinds', sa.column('name', sa.String),
                     sa.column('position', sa.Integer), sa.column('is_active', sa.Boolean))
    op.bulk_insert(kinds, [{'name': name, 'position': i + 1, 'is_active': True}
                           for i, name in enumerate(TEMPLATE)])


def downgrade():
    op.drop_table('milestone_notes')
    op.drop_table('inspection_findings')
    op.drop_table('milestones')
    op.drop_table('inspections')
    op.drop_table('inspection_scopes')
    op.drop_table('task_force_units')
    op.drop_table('task_force_members')
    op.drop_table('task_force_enterprises')
    op.drop_table('rhythm_meetings')
    op.drop_table('projects')
    op.drop_table('inspection_group_members')
    op.drop_table('task_forces')
    op.drop_table('inspection_groups')
    op.drop_table('milestone_kinds')
    op.execute("DELETE FROM meetings WHERE kind = 'taskforce'")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meetings_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_meetings_kind'), "kind IN ('joint', 'review', 'special')")
