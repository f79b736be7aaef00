"""Search index: FTS5 over segmented text on SQLite, a tsvector table with a GIN index on
PostgreSQL (see storage/search). Records which tokenizer version built the index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from newsbot.core.query_text import INDEX_VERSION

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSION_KEY = "search_index_version"
SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5("
    "title, points, body, tokenize = 'unicode61 remove_diacritics 0')"
)
# Lets the search join answer from the index instead of each article's text pages.
SQLITE_COVER_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_articles_search_cover ON articles "
    "(id, duplicate_of, published_at, fetched_at, section, source_id)"
)
# Deleting an article removes its index row (PostgreSQL does this with ON DELETE CASCADE).
SQLITE_DELETE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles "
    "BEGIN DELETE FROM article_search WHERE rowid = old.id; END"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_table(
            "article_search",
            sa.Column(
                "article_id",
                sa.Integer,
                sa.ForeignKey("articles.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("tsv", postgresql.TSVECTOR, nullable=False),
        )
        op.create_index("ix_article_search_tsv", "article_search", ["tsv"], postgresql_using="gin")
    else:
        op.execute(SQLITE_TABLE)
        op.execute(SQLITE_DELETE_TRIGGER)
        op.execute(SQLITE_COVER_INDEX)
    # An archive that existed before the index must be rebuilt (`newsbot search --reindex`).
    existing = bind.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
    version = INDEX_VERSION if existing == 0 else "unbuilt"
    op.execute(
        sa.text("INSERT INTO meta (key, value) VALUES (:key, :value)").bindparams(
            key=VERSION_KEY, value=version
        )
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_table("article_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS article_search_delete")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_cover")
        op.execute("DROP TABLE IF EXISTS article_search")
    op.execute(sa.text("DELETE FROM meta WHERE key = :key").bindparams(key=VERSION_KEY))
