"""What goes into the index for one article: its segmented fields, prepared once."""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.core.models import Article
from search_baseline.query_text import document_stream


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """Space-joined index tokens per field (title weighs most, then key points, then body)."""

    article_id: int
    title: str
    points: str
    body: str


def prepare_fields(article_id: int, title: str, points: str, body: str) -> IndexDoc:
    return IndexDoc(
        article_id,
        " ".join(document_stream(title)),
        " ".join(document_stream(points)),
        " ".join(document_stream(body)),
    )


def prepare(article: Article) -> IndexDoc:
    points = "\n".join(article.summary.key_points) if article.summary else ""
    return prepare_fields(article.id, article.title, points, article.text)
