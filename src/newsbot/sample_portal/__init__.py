"""The bundled sample portal: an offline snapshot in the structure of 山西大院资讯网.

Home page, section list pages, article pages (some GBK-encoded) and rss.xml. Every link inside is
relative, so the site works under file:// and when served over HTTP on loopback.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent
SECTIONS = ("gsyl/yangquan", "gsyl/taiyuan", "jingji")


def root() -> Path:
    """The folder holding index.html and rss.xml."""
    return _ROOT


def article_pages() -> list[Path]:
    """Every article page of the snapshot (numbered .html files inside the section folders)."""
    pages = [p for p in _ROOT.rglob("*.html") if p.stem.isdigit()]
    return sorted(pages, key=lambda p: (int(p.stem), str(p)))
