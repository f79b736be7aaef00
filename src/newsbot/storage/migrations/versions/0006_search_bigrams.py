"""Search index of character bigrams (substring semantics for Chinese), rebuilt in place.

SQLite: the FTS5 table gets bigram streams of title, key points and body plus jieba's words
(ranking only). PostgreSQL: article_search holds the compact fields (the substring truth, kept
inline for row-by-row checks) and a position-less tsvector of bigrams with a GIN index. Every
existing article is re-indexed here, with progress on stderr.

Revision ID: 0006
Revises: 0005
"""

import sys
import time
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from newsbot.storage.search.index import rebuild_in

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title, points, body, words, tokenize = 'unicode61 remove_diacritics 0')"
)
SQLITE_OLD_TABLE = (
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title, points, body, tokenize = 'unicode61 remove_diacritics 0')"
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
            sa.Column("grams", postgresql.TSVECTOR, nullable=False),
            sa.Column("title_c", sa.Text, nullable=False),
            sa.Column("points_c", sa.Text, nullable=False),
            sa.Column("all_c", sa.Text, nullable=False),
            sa.Column("words_c", sa.Text, nullable=False),
        )
        # Rows are checked one by one on all_c: keep it in the row rather than in TOAST.
        for column in ("title_c", "points_c", "all_c"):
            op.execute(f"ALTER TABLE article_search ALTER COLUMN {column} SET STORAGE MAIN")
        op.create_index(
            "ix_article_search_grams", "article_search", ["grams"], postgresql_using="gin"
        )
    else:
        op.execute("DROP TABLE IF EXISTS article_search")
        op.execute(SQLITE_TABLE)
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
        op.execute("DROP TABLE IF EXISTS article_search")
        op.execute(SQLITE_OLD_TABLE)
    # The old format must be rebuilt by the old code (`newsbot search --reindex`).
    op.execute(
        sa.text("UPDATE meta SET value = 'unbuilt' WHERE key = 'search_index_version'")
    )
