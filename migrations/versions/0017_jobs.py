"""background jobs: queued harvest runs with a heartbeat, source schedules, worker
heartbeats

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('running', 'succeeded', 'partial', 'failed')"
NEW_STATUSES = "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')"
SCHEDULE_FIELDS = (
    "(schedule IS NULL AND schedule_time IS NULL AND schedule_weekday IS NULL)"
    " OR (schedule = 'daily' AND schedule_time IS NOT NULL"
    " AND schedule_weekday IS NULL)"
    " OR (schedule = 'weekly' AND schedule_time IS NOT NULL"
    " AND schedule_weekday BETWEEN 0 AND 6)"
)


def upgrade():
    op.create_table('worker_heartbeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_heartbeats')),
    sa.UniqueConstraint('name', name=op.f('uq_worker_heartbeats_name'))
    )
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeats_beat_at'), ['beat_at'], unique=False)

    with op.batch_alter_table('harvest_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('schedule_time', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('schedule_weekday', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_run_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_harvest_sources_next_run_at'), ['next_run_at'], unique=False)
        batch_op.create_check_constraint(
            op.f('ck_harvest_sources_schedule'), "schedule IS NULL OR schedule IN ('daily', 'weekly')"
        )
        batch_op.create_check_constraint(op.f('ck_harvest_sources_schedule_fields'), SCHEDULE_FIELDS)

    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_harvest_runs_one_running', sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_harvest_runs_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_harvest_runs_status'), NEW_STATUSES)
        batch_op.create_index('uq_harvest_runs_one_active', ['source_id'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))


def downgrade():
    # A queued run has no meaning without the worker: it is failed, as the sweep would.
    op.execute(
        "UPDATE harvest_runs SET status = 'failed', message = 'Hủy khi hạ phiên bản CSDL.'"
        " WHERE status = 'queued'"
    )
    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_harvest_runs_one_active', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_constraint(op.f('ck_harvest_runs_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_harvest_runs_status'), OLD_STATUSES)
        batch_op.drop_column('heartbeat_at')
        batch_op.create_index('uq_harvest_runs_one_running', ['source_id'], unique=True, sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))

    with op.batch_alter_table('harvest_sources', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_harvest_sources_schedule_fields'), type_='check')
        batch_op.drop_constraint(op.f('ck_harvest_sources_schedule'), type_='check')
        batch_op.drop_index(batch_op.f('ix_harvest_sources_next_run_at'))
        batch_op.drop_column('next_run_at')
        batch_op.drop_column('schedule_weekday')
        batch_op.drop_column('schedule_time')
        batch_op.drop_column('schedule')

    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeats_beat_at'))

    op.drop_table('worker_heartbeats')
