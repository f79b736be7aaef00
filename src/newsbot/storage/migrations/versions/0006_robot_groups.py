"""Robot groups: WeCom, DingTalk and Feishu group subscriptions (each also a subscriber row).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from newsbot.storage.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "robot_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("webhook", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime),
        sa.UniqueConstraint("subscriber_id", name="uq_robot_groups_subscriber_id"),
        sa.UniqueConstraint("name", name="uq_robot_groups_name"),
        sa.UniqueConstraint("webhook", name="uq_robot_groups_webhook"),
    )


def downgrade() -> None:
    op.drop_table("robot_groups")
