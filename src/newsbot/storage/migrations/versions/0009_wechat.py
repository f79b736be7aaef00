"""WeChat and WeCom: inbound message dedupe, API tokens, numbered choices, reply windows (all
shared by every process through the database).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from newsbot.storage.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reply", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("answered_at", UTCDateTime),
        sa.UniqueConstraint("channel", "dedupe_key", name="uq_inbound_messages_channel_dedupe_key"),
    )
    op.create_index("ix_inbound_messages_created_at", "inbound_messages", ["created_at"])
    op.create_table(
        "api_tokens",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "chat_choices",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("chat_id", sa.String(128), primary_key=True),
        sa.Column("choices", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "reply_windows",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("chat_id", sa.String(128), primary_key=True),
        sa.Column("quota_left", sa.Integer, nullable=False),
        sa.Column("open_until", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("reply_windows", "chat_choices", "api_tokens"):
        op.drop_table(table)
    op.drop_table("inbound_messages")
