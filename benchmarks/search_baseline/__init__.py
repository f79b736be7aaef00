"""The search index as it was before the bigram index (jieba words + dictionary parts), frozen
here so that bench_search.py can measure it in the same run as today's index.

install(engine) swaps the migrated database's article_search table for the old one; the
modules are copies of storage/search/*, core/query.py and core/query_text.py at that commit.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

SQLITE = [
    "DROP TABLE IF EXISTS article_search",
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title, points, body, tokenize = 'unicode61 remove_diacritics 0')",
]
POSTGRES = [
    "DROP TABLE IF EXISTS article_search",
    "CREATE TABLE article_search (article_id integer PRIMARY KEY REFERENCES articles(id) "
    "ON DELETE CASCADE, tsv tsvector NOT NULL)",
    "CREATE INDEX ix_article_search_tsv ON article_search USING gin (tsv)",
]


def install(engine: Engine) -> None:
    statements = POSTGRES if engine.dialect.name == "postgresql" else SQLITE
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
