"""PostgreSQL search: id-bucket keys in article_search.grams and a covering index for the join.

Each article's key array gains the key of its id bucket (documents.bucket_key), so one GIN
scan narrows to the newest ids as well as by character pairs (see docs/search.md), and pair
keys are moved out of the buckets' range. The index is rebuilt in place from the articles,
with progress on stderr; the GIN index is dropped while rows are written and built once at
the end. `ix_articles_search_cover` lets the candidates' join to articles (duplicates, dates,
filters) read a small index instead of each article's row. SQLite is unchanged.

Revision ID: 0010
Revises: 0009
"""

import sys
import time
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from newsbot.storage.search.index import rebuild_in

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GIN_INDEX = "CREATE INDEX ix_article_search_grams ON article_search USING gin (grams)"
COVER_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_articles_search_cover ON articles (id) "
    "INCLUDE (duplicate_of, published_at, fetched_at, section, source_id)"
)


def _say(message: str) -> None:
    print(f"search index (id buckets): {message}", file=sys.stderr, flush=True)


def _progress() -> Callable[[int, int], None]:
    started = time.monotonic()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 2.0:
            return
        last[0] = now
        rate = done / max(now - started, 1e-6)
        _say(f"{done}/{total} articles ({100 * done / max(total, 1):.0f}%), {rate:.0f}/s")

    return show


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_article_search_grams")
    op.execute("TRUNCATE article_search")
    rebuild_in(bind, _progress())
    _say("building the GIN index")
    started = time.monotonic()
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(GIN_INDEX)
    op.execute(COVER_INDEX)
    op.execute("ANALYZE article_search")
    _say(f"GIN index built in {time.monotonic() - started:.1f} s")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_search_cover")
    # The previous format must be rebuilt by the previous code (`newsbot search --reindex`).
    op.execute(sa.text("UPDATE meta SET value = 'unbuilt' WHERE key = 'search_index_version'"))
