"""attempts.save_count: the autosaves an attempt has had, so a submit that scored what it
read can tell in its ending statement whether an autosave came in since

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases (no table copy): the triggers on attempts stay.
    op.add_column('attempts', sa.Column('save_count', sa.Integer(), nullable=False,
                                        server_default='0'))


def downgrade():
    op.drop_column('attempts', 'save_count')  # SQLite 3.35+ drops a column in place
