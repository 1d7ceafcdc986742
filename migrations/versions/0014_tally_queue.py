"""an attempt that ends is queued (contest_tally_pending) and counted into the contest
tallies by the next reader, instead of by a dozen upserts on shared counters in the
statement that ends it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from hoctap_learn.contests import tallies, tally_triggers


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contest_tally_pending',
        sa.Column('attempt_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_contest_tally_pending')),
    )
    tally_triggers.install(op.get_bind())


def downgrade():
    connection = op.get_bind()
    tallies.fold(connection)  # what is queued is counted before the queue goes
    tally_triggers.install(connection, deferred=False)
    op.drop_table('contest_tally_pending')
