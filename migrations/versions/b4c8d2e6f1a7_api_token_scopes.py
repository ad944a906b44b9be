"""API token scopes: read, upload or manage (tokens made before keep what they could do: manage)

Revision ID: b4c8d2e6f1a7
Revises: 9e4b2f7a1c30
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b4c8d2e6f1a7'
down_revision = '9e4b2f7a1c30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=16), server_default='manage', nullable=False))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scope')
