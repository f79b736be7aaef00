"""Chinese full-text search over the article archive (see docs/search.md)."""

from newsbot.storage.search.documents import IndexDoc, prepare, prepare_fields
from newsbot.storage.search.index import VERSION_KEY, IndexStatus, SearchIndex

__all__ = ["VERSION_KEY", "IndexDoc", "IndexStatus", "SearchIndex", "prepare", "prepare_fields"]
