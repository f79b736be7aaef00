"""Article decoding and extraction: bytes of a page -> core.models.ExtractedPage.

    decode_html(body, content_type) -> str
    extract_article(body, url, *, content_type=None, profile=None) -> ExtractedPage
    profile_for(url, settings.extraction) -> ExtractionProfile | None

Pure functions (no I/O): the INGEST service fetches, then calls these.
"""

from __future__ import annotations

from newsbot.extract.decode import decode_html
from newsbot.extract.extractor import extract_article
from newsbot.extract.profile import check_profile, profile_for

__all__ = ["check_profile", "decode_html", "extract_article", "profile_for"]
