"""issue 18 remainder: appeal evidence files, rating through the enterprise code

Revision ID: e18100000018
Revises: e18000000018
Create Date: 2026-12-06 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e18100000018'
down_revision = 'e18000000018'
branch_labels = None
depends_on = None


def upgrade():
    # -- 申诉: files of evidence (photos re-encoded, or PDF) ----------------------------------
    op.create_table(
        'appeal_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appeal_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=150), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name=op.f('ck_appeal_files_content_type')),
        sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'],
                                name=op.f('fk_appeal_files_appeal_id_appeals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_files')),
    )
    with op.batch_alter_table('appeal_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_files_appeal_id'), ['appeal_id'],
                              unique=False)

    # -- 企业码: one rating per problem through the code -------------------------------------
    op.create_table(
        'code_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('rated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_code_ratings_rating')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_code_ratings_enterprise_id_enterprises'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_code_ratings_issue_id_issues'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code_ratings')),
        sa.UniqueConstraint('issue_id', name=op.f('uq_code_ratings_issue_id')),
    )
    with op.batch_alter_table('code_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_ratings_enterprise_id'), ['enterprise_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('code_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_ratings_enterprise_id'))
    op.drop_table('code_ratings')
    with op.batch_alter_table('appeal_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_files_appeal_id'))
    op.drop_table('appeal_files')
