"""search_abbreviations: the abbreviations search expands both ways (CNTT ⇄ công nghệ
thông tin), loaded from content/search/abbreviations.yaml

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_abbreviations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('abbreviation', sa.String(length=20), nullable=False),
    sa.Column('expansions', sa.Text(), nullable=False),
    sa.Column('case_sensitive', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_abbreviations')),
    sa.UniqueConstraint('abbreviation', name=op.f('uq_search_abbreviations_abbreviation'))
    )


def downgrade():
    op.drop_table('search_abbreviations')
