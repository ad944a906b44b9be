"""uploads by content: the sha256 of each counted picture or video, so the same file counts once

Revision ID: c7d1e9f3a2b5
Revises: b4c8d2e6f1a7
Create Date: 2026-12-03 10:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'c7d1e9f3a2b5'
down_revision = 'b4c8d2e6f1a7'
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('job_id', sa.String(length=32), nullable=True),
        sa.Column('sightings', sa.Integer(), nullable=False),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_uploads_sha256_kind', 'uploads', ['sha256', 'kind'], unique=False)


def downgrade():
    op.drop_index('ix_uploads_sha256_kind', table_name='uploads')
    op.drop_table('uploads')
