"""A digest as a mobile-first HTML page (/d/<token>), for WeChat's in-app browser and phones.

Pure: a Digest and a few strings in, one HTML document out. No JavaScript, no external
resources (WeChat's browser may block them; a page must render offline), every text escaped
(titles and key points come from feeds), links only to http(s) URLs. Long unbroken runs
(URLs, long figures) wrap instead of widening the page (overflow-wrap: anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from newsbot.core.digest import Digest, DigestItem, grouped

PAGE_TEXTS = {
    "zh": {
        "site": "山西大院资讯网",
        "title": "每日摘要 · {date}",
        "count": "共 {n} 篇",
        "figures": "数据",
        "read": "阅读原文",
        "expires": "本页 {date} 后失效。",
        "empty": "今天暂无新的文章。",
        "expired_title": "摘要已过期",
        "expired": "这份摘要页已过期（保留 {days} 天）。回到公众号发送“日报”即可查看最新摘要。",
        "missing_title": "摘要已过期或不存在",
        "missing": "链接不完整，或这份摘要已过期删除。回到公众号发送“日报”即可查看最新摘要。",
    },
    "en": {
        "site": "Shanxi Dayuan News",
        "title": "Daily digest · {date}",
        "count": "{n} articles",
        "figures": "Figures",
        "read": "Read the article",
        "expires": "This page expires after {date}.",
        "empty": "No new articles today.",
        "expired_title": "This digest has expired",
        "expired": "This digest page has expired (kept {days} days). Send “digest” to get the latest.",
        "missing_title": "Digest expired or not found",
        "missing": "The link is incomplete, or the digest expired and was deleted. Send “digest” to get the latest.",
    },
}

_STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;padding:0 14px 32px;font:16px/1.6 -apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1f2328;background:#f6f7f9;overflow-wrap:anywhere;word-break:break-word}
header{padding:18px 2px 8px}
.site{font-size:13px;color:#6a737d}
h1{font-size:21px;line-height:1.35;margin:4px 0}
.count{font-size:13px;color:#6a737d}
h2{font-size:15px;color:#b3261e;margin:22px 2px 8px}
article{background:#fff;border-radius:10px;padding:12px 14px;margin:0 0 10px;
box-shadow:0 1px 2px rgba(0,0,0,.06)}
h3{font-size:17px;line-height:1.45;margin:0 0 6px}
h3 a{color:#1a4fa0;text-decoration:none}
ul{margin:6px 0;padding-left:20px}
li{margin:3px 0}
.figs{margin:8px 0 2px;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:6px}
.figs li{margin:0;padding:2px 8px;border-radius:12px;background:#fdf0ef;color:#8c1d18;
font-size:14px;max-width:100%}
.read{font-size:14px}
footer{margin-top:20px;font-size:12px;color:#6a737d;text-align:center}
""".replace("\n", "")


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the page says besides the digest: when it expires (reader's local date)."""

    expires_on: str


def digest_page_html(digest: Digest, info: PageInfo) -> str:
    texts = PAGE_TEXTS["en" if digest.language == "en" else "zh"]
    title = texts["title"].format(date=digest.local_date)
    body = [
        "<header>",
        f'<div class="site">{escape(texts["site"])}</div>',
        f"<h1>{escape(title)}</h1>",
        f'<div class="count">{escape(texts["count"].format(n=len(digest.items)))}</div>',
        "</header>",
    ]
    if not digest.items:
        body.append(f"<p>{escape(texts['empty'])}</p>")
    for name, items in grouped(digest):
        body.append(f"<section><h2>{escape(name)}</h2>")
        body.extend(_item_html(item, texts) for item in items)
        body.append("</section>")
    body.append(f"<footer>{escape(texts['expires'].format(date=info.expires_on))}</footer>")
    return _document(title, "".join(body), digest.language)


def _item_html(item: DigestItem, texts: dict[str, str]) -> str:
    url = _safe_url(item.url)
    heading = f'<a href="{escape(url)}">{escape(item.title)}</a>' if url else escape(item.title)
    parts = [f"<article><h3>{heading}</h3>"]
    if item.key_points:
        points = "".join(f"<li>{escape(point)}</li>" for point in item.key_points)
        parts.append(f"<ul>{points}</ul>")
    if item.figures:
        label = escape(texts["figures"])
        figures = "".join(f'<li class="fig">{escape(f)}</li>' for f in item.figures)
        parts.append(f'<ul class="figs" aria-label="{label}">{figures}</ul>')
    if url:
        parts.append(f'<a class="read" href="{escape(url)}">{escape(texts["read"])} ›</a>')
    parts.append("</article>")
    return "".join(parts)


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def notice_page_html(language: str, kind: str, *, days: float = 7) -> str:
    """The page for an expired ("expired") or unknown ("missing") digest."""
    texts = PAGE_TEXTS["en" if language == "en" else "zh"]
    title = texts[f"{kind}_title"]
    text = texts[kind].format(days=f"{days:g}")
    body = f"<header><h1>{escape(title)}</h1></header><p>{escape(text)}</p>"
    return _document(title, body, language)


def _document(title: str, body: str, language: str) -> str:
    lang = "en" if language == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
