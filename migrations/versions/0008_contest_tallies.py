"""contest participation tallies kept by triggers (report figures at a million attempts)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from hoctap_learn.contests import tallies, tally_triggers

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contest_tally_ledger',
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('dim', sa.String(length=20), nullable=False),
        sa.Column('item', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('cell', sa.String(length=60), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'campaign_id', 'dim', 'item', name=op.f('pk_contest_tally_ledger')),
    )
    op.create_index('ix_contest_tally_ledger_campaign', 'contest_tally_ledger', ['campaign_id'], unique=False)
    op.create_table(
        'contest_tallies',
        sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('dim', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cell', sa.String(length=60), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('campaign_id', 'dim', 'unit_id', 'cell', name=op.f('pk_contest_tallies')),
    )
    op.create_table(
        'contest_tally_stale',
        sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_contest_tally_stale')),
    )
    connection = op.get_bind()
    # Counted as attempts end, as then (0014 queues them for the next reader instead).
    tally_triggers.install(connection, deferred=False)
    # Existing attempts are counted now (about 20 s for a million on SQLite).
    for (campaign_id,) in connection.exec_driver_sql('SELECT id FROM campaigns').fetchall():
        tallies.rebuild(campaign_id, connection, queued=False)


def downgrade():
    tally_triggers.uninstall(op.get_bind())
    op.drop_table('contest_tally_stale')
    op.drop_table('contest_tallies')
    op.drop_index('ix_contest_tally_ledger_campaign', table_name='contest_tally_ledger')
    op.drop_table('contest_tally_ledger')
