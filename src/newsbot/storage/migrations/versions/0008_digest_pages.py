"""Digest pages: one rendered page per sent digest at /d/<token>, expiring.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from newsbot.storage.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_pages",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE")),
        sa.Column("local_date", sa.String(10), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_digest_pages_expires_at", "digest_pages", ["expires_at"])


def downgrade() -> None:
    op.drop_table("digest_pages")
