"""tally trigger functions run with generic plans (PostgreSQL re-planned every statement
of every call with custom ones)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:40:00.000000

"""
from alembic import op

from hoctap_learn.contests import tally_triggers as contest_tallies
from hoctap_learn.reports import tallies as report_tallies


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Re-created as core/triggers.py now writes them (on SQLite: the same triggers again).
    connection = op.get_bind()
    contest_tallies.install(connection, deferred=False)  # as then (0014 defers)
    report_tallies.install(connection)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for module in (contest_tallies, report_tallies):
        for trigger in module.triggers("postgresql"):
            op.execute(f"ALTER FUNCTION {trigger.name}() RESET plan_cache_mode")
