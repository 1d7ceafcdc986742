"""attempts lose two indexes that others already cover, and attempt_questions leave room
on each page (PostgreSQL) so autosaves and submits rewrite answers in place

- ix_attempts_round_id: (round_id, user_id, number), the one-attempt-number key, leads
  with round_id; ix_attempts_user_id: ix_attempts_report leads with user_id. Ending an
  attempt changes indexed columns, so every index of the table takes a new entry: two
  fewer on every submit and every start.
- attempt_questions rows are rewritten by every autosave and by the submit. With free room
  on the page PostgreSQL keeps the new version there without new index entries (a "HOT"
  update); packed pages (the default fillfactor 100) send the first rewrite of each row
  elsewhere, with an entry in each of the table's four indexes. Applies to pages written
  from now on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: Share of each attempt_questions page filled by inserts (PostgreSQL).
FILLFACTOR = 80


def upgrade():
    op.drop_index('ix_attempts_round_id', table_name='attempts')
    op.drop_index('ix_attempts_user_id', table_name='attempts')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE attempt_questions SET (fillfactor = {FILLFACTOR})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE attempt_questions RESET (fillfactor)')
    op.create_index('ix_attempts_user_id', 'attempts', ['user_id'], unique=False)
    op.create_index('ix_attempts_round_id', 'attempts', ['round_id'], unique=False)
