"""What goes into the index for one article: its fields in compact form, prepared once."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from newsbot.core.models import Article
from newsbot.core.query_text import compact, unit_grams

TITLE, POINTS, BODY = 0, 1, 2
FIELD_SEPARATOR = "|"  # never inside a field: compact text holds only units and spaces


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """query_text.compact() of title, key points and body: the substring truth."""

    article_id: int
    fields: tuple[str, str, str]

    @property
    def stored(self) -> str:
        """The one text both databases keep per article: the fields joined by "|"."""
        return FIELD_SEPARATOR.join(self.fields)

    def grams(self, field: int) -> str:
        """The field's bigram stream (query_text.gram_stream), space-joined."""
        return field_grams(self.fields[field])


def field_grams(compact_field: str) -> str:
    return " ".join(unit_grams(compact_field.split()))


def stored_grams(stored: str, field: int) -> str:
    """The bigram stream of one field of a stored text (rebuilding what was indexed)."""
    fields = stored.split(FIELD_SEPARATOR)
    return field_grams(fields[field]) if field < len(fields) else ""


def gram_keys(text: str) -> list[int]:
    """Distinct 32-bit keys of the character pairs of a compact text (pairs across a space or
    "|" do not count): what PostgreSQL's GIN index narrows by."""
    chars = text
    keys = {
        _key(chars[i : i + 2])
        for i in range(len(chars) - 1)
        if chars[i] not in " |" and chars[i + 1] not in " |"
    }
    return sorted(keys)


# PostgreSQL: each article's key array also holds the key of its id bucket (BUCKET ids each), so
# one GIN scan can narrow to the newest ids (`grams && range_keys(low, top)`) as well as by the
# pairs. Bucket keys take the bottom 2**20 integers (ids below 2**31); pair keys are moved out
# of that range, so a bucket condition never admits a row by one of its pairs.
BUCKET_BITS = 11
BUCKET_BASE = -(2**31)
BUCKETS_END = BUCKET_BASE + 2 ** (31 - BUCKET_BITS)


def bucket_key(article_id: int) -> int:
    return BUCKET_BASE + (article_id >> BUCKET_BITS)


def bucket_start(article_id: int) -> int:
    """The first id of the article's bucket."""
    return (article_id >> BUCKET_BITS) << BUCKET_BITS


def range_keys(low: int, top: int) -> list[int]:
    """The bucket keys of ids low..top."""
    return list(range(bucket_key(low), bucket_key(top) + 1))


def row_keys(doc: IndexDoc) -> list[int]:
    """What PostgreSQL's article_search.grams holds for the document."""
    return [*gram_keys(doc.stored), bucket_key(doc.article_id)]


def _key(pair: str) -> int:
    value = zlib.crc32(pair.encode())
    value = value - 2**32 if value >= 2**31 else value
    return value + (BUCKETS_END - BUCKET_BASE) if value < BUCKETS_END else value


def prepare_fields(article_id: int, title: str, points: str, body: str) -> IndexDoc:
    return IndexDoc(article_id, (compact(title), compact(points), compact(body)))


def prepare(article: Article) -> IndexDoc:
    points = "\n".join(article.summary.key_points) if article.summary else ""
    return prepare_fields(article.id, article.title, points, article.text)
