"""A fresh PostgreSQL schema for one test or benchmark run, dropped afterwards.

Tests and benchmarks share one database (`test`); each run works in its own schema (the URL's
search_path), so parallel runs and leftovers never meet.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


@contextlib.contextmanager
def fresh_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """`url` with its search_path set to a new schema, dropped on exit."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
