"""What goes into the index for one article: its fields in compact form, prepared once."""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.core.models import Article
from newsbot.core.query_text import compact, unit_grams, word_stream

TITLE, POINTS, BODY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """compact() of title, key points and body (the substring truth), and jieba's words of
    all three (only for ranking whole-word hits)."""

    article_id: int
    fields: tuple[str, str, str]
    words: str

    def grams(self, field: int) -> str:
        """The field's bigram stream (query_text.gram_stream), space-joined."""
        return " ".join(unit_grams(self.fields[field].split()))


def prepare_fields(article_id: int, title: str, points: str, body: str) -> IndexDoc:
    words = [w for text in (title, points, body) for w in word_stream(text)]
    return IndexDoc(
        article_id, (compact(title), compact(points), compact(body)), " ".join(words)
    )


def prepare(article: Article) -> IndexDoc:
    points = "\n".join(article.summary.key_points) if article.summary else ""
    return prepare_fields(article.id, article.title, points, article.text)
