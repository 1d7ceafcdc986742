"""registered people and activities tallies kept by triggers (dashboard at scale)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 03:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

from hoctap_learn.reports import tallies

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_tallies',
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('scope_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('dim', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cell', sa.String(length=40), nullable=False),
        sa.Column('v1', sa.BigInteger(), nullable=False),
        sa.Column('v2', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('source', 'scope_id', 'dim', 'unit_id', 'cell', name=op.f('pk_report_tallies')),
    )
    connection = op.get_bind()
    tallies.install(connection)
    tallies.rebuild(connection)  # what is already there


def downgrade():
    tallies.uninstall(op.get_bind())
    op.drop_table('report_tallies')
