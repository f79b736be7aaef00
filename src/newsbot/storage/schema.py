"""All tables, as SQLAlchemy Core metadata. Migrations in migrations/versions mirror this file.

Timestamps are stored as naive UTC and come back as aware UTC datetimes (UTCDateTime), so SQLite
and PostgreSQL behave the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from newsbot.core.models import (
    DEFAULT_ALERT_MODE,
    DEFAULT_DIGEST_TIME,
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    hhmm,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# --- ingest (migration 0001) -------------------------------------------------------------------

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("kind", String(16), nullable=False),
    Column("url", Text, nullable=False),
    Column("section", String(100), nullable=False, default=""),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_status", String(32)),
    Column("last_error", Text),
    Column("last_polled_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("next_poll_at", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("dedupe_key", String(512), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("guid", Text),
    Column("section", String(100), nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("byline", Text),
    Column("text", Text, nullable=False, default=""),
    Column("lead_image", Text),
    Column("published_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime),
    Column("content_hash", String(64), nullable=False),
    Column("update_count", Integer, nullable=False, default=0),
    Column("simhash", BigInteger),
    Column("duplicate_of", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("summary_json", Text),
    Column("listed_title", Text),  # migration 0005: the title as listed, to notice updates
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_fetched_at", "fetched_at"),
    Index("ix_articles_source_id", "source_id"),
)

# --- subscribers (migration 0003) --------------------------------------------------------------

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("chat_type", String(16), nullable=False, default="private"),
    Column("display_name", String(200)),
    Column("language", String(8), nullable=False, default=DEFAULT_LANGUAGE),
    Column("timezone", String(64), nullable=False, default=DEFAULT_TIMEZONE),
    Column("digest_time", String(5), nullable=False, default=hhmm(DEFAULT_DIGEST_TIME)),
    Column("digest_enabled", Boolean, nullable=False, default=True),
    Column("sections", Text, nullable=False, default=""),
    Column("alert_mode", String(8), nullable=False, default=DEFAULT_ALERT_MODE),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("active", Boolean, nullable=False, default=True),
    Column("last_digest_at", UTCDateTime),
    Column("last_query", Text),  # the last search, for page buttons too long to carry it
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime),
    UniqueConstraint("channel", "chat_id"),
)

keywords = Table(
    "keywords",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("keyword", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscriber_id", "keyword"),
)

# --- delivery (migration 0004) -----------------------------------------------------------------

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("local_date", String(10), nullable=False),
    Column("status", String(16), nullable=False),  # claimed, queued, sent, empty, skipped
    Column("article_count", Integer, nullable=False, default=0),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("subscriber_id", "local_date"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("channel", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # digest, alert, reply, broadcast
    Column("payload", Text, nullable=False),  # JSON: text, format, buttons, preview
    Column(
        "state", String(16), nullable=False, default="pending"
    ),  # pending, sending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("remote_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("claim_token", String(32)),  # which sender holds the row (lease until claimed_until)
    Column("claimed_until", UTCDateTime),
    # core.shares.chat_bucket(channel, chat_id): which sending process owns the chat (0012)
    Column("chat_bucket", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_state_not_before", "state", "not_before"),
    Index("ix_outbox_chat_id_state", "chat_id", "state"),
    Index("ix_outbox_chat_id_sent_at", "chat_id", "sent_at"),  # who sent to a chat just now
)

# The processes that send outbox rows (partitioned sending, storage/senders.py; migration 0012).
outbox_senders = Table(
    "outbox_senders",
    metadata,
    Column("token", String(32), primary_key=True),  # the process's claim token
    Column("label", String(200), nullable=False),  # host and pid, for operators
    Column("pace", Integer, nullable=False),  # it sends at most 1/pace of each channel's rate
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),  # digest or alert
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("subscriber_id", "article_id", "kind"),
)

# --- robot groups (migration 0006) -------------------------------------------------------------

robot_groups = Table(
    "robot_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # wecom, dingtalk, feishu
    Column("webhook", Text, nullable=False, unique=True),  # a secret: printed only masked
    Column("secret", Text),  # the signing secret (DingTalk, Feishu), a secret too
    Column("state", String(16), nullable=False, default="active"),  # active, paused, rejected
    Column("state_reason", Text),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime),
)

# --- digest pages (migration 0008) -------------------------------------------------------------

digest_pages = Table(
    "digest_pages",
    metadata,
    Column("token", String(64), primary_key=True),  # unguessable: 192 random bits, base64url
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("local_date", String(10), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("html", Text, nullable=False),  # rendered once: the page shows what was sent
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_digest_pages_expires_at", "expires_at"),
)

# --- WeChat and WeCom callbacks and API (migration 0009) ---------------------------------------

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("dedupe_key", String(200), nullable=False),  # MsgId, or FromUserName:CreateTime
    Column("state", String(16), nullable=False),  # working, answered
    Column("reply", Text),  # the passive reply (plain XML, or "success")
    Column("created_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime),
    UniqueConstraint("channel", "dedupe_key"),
    Index("ix_inbound_messages_created_at", "created_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("key", String(100), primary_key=True),  # e.g. wechat:<app id>
    Column("token", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

chat_choices = Table(
    "chat_choices",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("chat_id", String(128), primary_key=True),
    Column("choices", Text, nullable=False),  # JSON list of button payloads, numbered from 1
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_chat_choices_updated_at", "updated_at"),  # the purge's (migration 0011)
)

reply_windows = Table(
    "reply_windows",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("chat_id", String(128), primary_key=True),
    Column("quota_left", Integer, nullable=False),
    Column("open_until", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_reply_windows_open_until", "open_until"),  # the purge's (migration 0011)
)
