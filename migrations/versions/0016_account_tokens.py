"""api_tokens.session_version and last_used_at: a token is live only while its account's
session_version is the one it was issued under (a password, role or active change, or
"log out everywhere", ends every token), and the profile shows when each was last used

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Existing tokens were issued under version 1 at the earliest: those of accounts whose
    # version moved on since end, which errs on the side of ending a credential.
    op.add_column('api_tokens', sa.Column('session_version', sa.Integer(), nullable=False,
                                          server_default='1'))
    op.add_column('api_tokens', sa.Column('last_used_at', sa.DateTime(),
                                          nullable=True))


def downgrade():
    op.drop_column('api_tokens', 'last_used_at')
    op.drop_column('api_tokens', 'session_version')
