"""Indexes on the dates the housekeeping purge scans in chat_choices (updated_at) and
reply_windows (open_until): each purge batch finds its expired rows by index instead of reading
the whole table (one row per reader who ever used WeChat or WeCom).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_chat_choices_updated_at", "chat_choices", "updated_at"),
    ("ix_reply_windows_open_until", "reply_windows", "open_until"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
