"""cameras (rate, state, owner) and idempotent job sightings

Revision ID: 7c1e5a9b3d20
Revises: 2d3a865a14ed
Create Date: 2026-11-23 18:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '7c1e5a9b3d20'
down_revision = '2d3a865a14ed'
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detect_fps', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('camera_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('camera_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('camera_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('camera_state_at', UtcDateTime, nullable=True))
        batch_op.add_column(sa.Column('camera_owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('camera_heartbeat', UtcDateTime, nullable=True))
    with op.batch_alter_table('sightings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('track_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_sightings_job_track', ['job_id', 'track_id'])


def downgrade():
    with op.batch_alter_table('sightings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sightings_job_track', type_='unique')
        batch_op.drop_column('track_id')
        batch_op.drop_column('job_id')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        for name in ('camera_heartbeat', 'camera_owner', 'camera_state_at', 'camera_error', 'camera_state',
                     'camera_enabled', 'detect_fps'):
            batch_op.drop_column(name)
