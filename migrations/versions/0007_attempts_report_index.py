"""covering index on attempts for the report figures (people vs lượt per participant)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 00:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_report', ['user_id', 'status', 'round_id', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_report')
