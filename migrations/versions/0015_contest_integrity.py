"""contest integrity: each drawn question keeps a snapshot of itself (type, text, options
with per-attempt option ids, answer, feedback) so re-importing or editing the bank never
changes an attempt, and the prediction tie-break lives on the attempt that carries it
(contest_predictions, one value per participant and round that any later attempt could
overwrite, goes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_SNAPSHOT = (
    ('type', sa.String(length=20)),
    ('text', sa.Text()),
    ('options', sa.JSON()),
    ('answer', sa.JSON()),
    ('feedback', sa.Text()),
)
_SOURCE = {'type': 'type', 'text': 'text', 'options': 'options', 'answer': 'answer',
           'feedback': 'general_feedback'}


def upgrade():
    # Plain ADD COLUMNs on both databases (no table copy): the triggers on attempts stay.
    for name, type_ in _SNAPSHOT:
        op.add_column('attempt_questions', sa.Column(name, type_, nullable=True))
    op.add_column('attempts', sa.Column('prediction', sa.Integer(), nullable=True))
    # Existing attempts keep the question as it is now, their option ids stay bank
    # indices (option_order) and their answers and points are unchanged: old results stand.
    assignments = ', '.join(
        f'{name} = (SELECT q.{source} FROM questions AS q '
        f'WHERE q.id = attempt_questions.question_id)'
        for name, source in _SOURCE.items()
    )
    op.execute(f'UPDATE attempt_questions SET {assignments}')
    # The one prediction a participant had for a round goes onto each of their attempts of
    # that round: the ranking keeps the value it used.
    op.execute(
        'UPDATE attempts SET prediction = (SELECT p.value FROM contest_predictions AS p '
        'WHERE p.round_id = attempts.round_id AND p.user_id = attempts.user_id)'
    )
    with op.batch_alter_table('contest_predictions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_predictions_user_id'))
        batch_op.drop_index(batch_op.f('ix_contest_predictions_round_id'))
    op.drop_table('contest_predictions')


def downgrade():
    op.create_table('contest_predictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_contest_predictions_value_non_negative')),
    sa.ForeignKeyConstraint(['round_id'], ['contest_rounds.id'], name=op.f('fk_contest_predictions_round_id_contest_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_predictions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_predictions')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_contest_predictions_round_id_user_id'))
    )
    with op.batch_alter_table('contest_predictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_predictions_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contest_predictions_user_id'), ['user_id'], unique=False)
    # Back to one prediction per participant and round: their latest attempt's.
    op.execute(
        'INSERT INTO contest_predictions (round_id, user_id, value, created_at) '
        'SELECT a.round_id, a.user_id, a.prediction, a.started_at FROM attempts AS a '
        'WHERE a.prediction IS NOT NULL AND a.number = (SELECT MAX(b.number) FROM attempts '
        'AS b WHERE b.round_id = a.round_id AND b.user_id = a.user_id '
        'AND b.prediction IS NOT NULL)'
    )
    op.drop_column('attempts', 'prediction')  # SQLite 3.35+ drops a column in place
    for name, _type in reversed(_SNAPSHOT):
        op.drop_column('attempt_questions', name)
