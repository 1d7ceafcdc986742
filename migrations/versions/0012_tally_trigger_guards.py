"""attempts' tally trigger skips, on PostgreSQL, the statements that have nothing to do
(taking back an attempt that was not finished, counting one that is not)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:00:00.000000

"""
from alembic import op

from hoctap_learn.contests import tally_triggers as contest_tallies


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Re-created as contests/tallies.py now writes them (on SQLite: the same triggers).
    contest_tallies.install(op.get_bind(), deferred=False)  # as then (0014 defers)


def downgrade():
    # Nothing to undo: the guarded function counts exactly as the one it replaced (its
    # guards only skip statements whose own conditions match no row).
    pass
