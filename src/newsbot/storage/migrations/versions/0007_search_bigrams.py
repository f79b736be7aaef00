"""Search index of character bigrams (substring semantics for Chinese), rebuilt in place.

SQLite: a contentless FTS5 table of the bigram streams of title, key points and body, plus
article_search_text with each article's compact text (what removing an entry needs, and the
whole-word ranking). PostgreSQL: article_search holds the compact text (kept in the row) and
the keys of its character pairs with a GIN index. Every existing article is re-indexed here, with
progress on stderr.

Revision ID: 0007
Revises: 0006
"""

import sys
import time
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from newsbot.storage.search.index import rebuild_in
from newsbot.storage.search.sqlite import DELETE_TRIGGER, FTS_TABLE, TEXT_TABLE

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_OLD_TABLE = (
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title, points, body, tokenize = 'unicode61 remove_diacritics 0')"
)
SQLITE_OLD_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles "
    "BEGIN DELETE FROM article_search WHERE rowid = old.id; END"
)


def _progress() -> Callable[[int, int], None]:
    started = time.monotonic()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 2.0:
            return
        last[0] = now
        rate = done / max(now - started, 1e-6)
        print(
            f"search index: {done}/{total} articles ({100 * done / max(total, 1):.0f}%), "
            f"{rate:.0f}/s",
            file=sys.stderr,
            flush=True,
        )

    return show


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_table("article_search")
        op.create_table(
            "article_search",
            sa.Column(
                "article_id",
                sa.Integer,
                sa.ForeignKey("articles.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("stored", sa.Text, nullable=False),
            sa.Column("grams", postgresql.ARRAY(sa.Integer), nullable=False),
        )
        # Rows are checked one by one: keep the text in the row rather than in TOAST.
        op.execute("ALTER TABLE article_search ALTER COLUMN stored SET STORAGE MAIN")
        op.create_index(
            "ix_article_search_grams", "article_search", ["grams"], postgresql_using="gin"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS article_search_delete")
        op.execute("DROP TABLE IF EXISTS article_search")
        op.execute(FTS_TABLE)
        op.execute(TEXT_TABLE)
        op.execute(DELETE_TRIGGER)
    rebuild_in(bind, _progress())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_table("article_search")
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
        op.execute("DROP TRIGGER IF EXISTS article_search_delete")
        op.execute("DROP TABLE IF EXISTS article_search")
        op.execute("DROP TABLE IF EXISTS article_search_text")
        op.execute(SQLITE_OLD_TABLE)
        op.execute(SQLITE_OLD_TRIGGER)
    # The old format must be rebuilt by the old code (`newsbot search --reindex`).
    op.execute(sa.text("UPDATE meta SET value = 'unbuilt' WHERE key = 'search_index_version'"))
