"""Subscribers and their keywords.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from newsbot.storage.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("digest_time", sa.String(5), nullable=False),
        sa.Column("digest_enabled", sa.Boolean, nullable=False),
        sa.Column("sections", sa.Text, nullable=False),
        sa.Column("alert_mode", sa.String(8), nullable=False),
        sa.Column("quiet_start", sa.String(5)),
        sa.Column("quiet_end", sa.String(5)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("last_digest_at", UTCDateTime),
        sa.Column("last_query", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime),
        sa.UniqueConstraint("channel", "chat_id", name="uq_subscribers_channel_chat_id"),
    )
    op.create_table(
        "keywords",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("keyword", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("subscriber_id", "keyword", name="uq_keywords_subscriber_id_keyword"),
    )


def downgrade() -> None:
    op.drop_table("keywords")
    op.drop_table("subscribers")
