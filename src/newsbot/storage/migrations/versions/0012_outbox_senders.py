"""Partitioned sending: the senders table, each outbox row's chat bucket, and an index on who
sent to a chat last (docs/delivery.md, "More than one process").

Unsent rows get their bucket computed here (core.shares.chat_bucket); sent and failed rows keep
0, which nothing reads.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from newsbot.core.shares import chat_bucket
from newsbot.storage.schema import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None
BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "outbox_senders",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("pace", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    )
    op.add_column(
        "outbox", sa.Column("chat_bucket", sa.Integer, nullable=False, server_default="0")
    )
    op.create_index("ix_outbox_chat_id_sent_at", "outbox", ["chat_id", "sent_at"])
    bind = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("chat_id", sa.String),
        sa.column("state", sa.String),
        sa.column("chat_bucket", sa.Integer),
    )
    unsent = (
        sa.select(outbox.c.id, outbox.c.channel, outbox.c.chat_id)
        .where(outbox.c.state.in_(["pending", "sending", "held"]))
        .order_by(outbox.c.id)
    )
    rows = [(r.id, r.channel, r.chat_id) for r in bind.execute(unsent)]
    update = (
        sa.update(outbox)
        .where(outbox.c.id == sa.bindparam("row_id"))
        .values(chat_bucket=sa.bindparam("bucket"))
    )
    for start in range(0, len(rows), BATCH):
        batch_rows = rows[start : start + BATCH]
        bind.execute(
            update, [{"row_id": i, "bucket": chat_bucket(c, chat)} for i, c, chat in batch_rows]
        )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_id_sent_at", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("chat_bucket")
    op.drop_table("outbox_senders")
