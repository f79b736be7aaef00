"""`newsbot summarize [--json] PATH...`: key points and figures of HTML or plain-text files.

Runs the same summarizer as ingest. HTML (by extension, else by a leading tag) goes through
newsbot.extract.extract_article; plain text must be UTF-8 (a BOM is fine): a first line followed
by an empty line is the title, otherwise the file has no title and all of it is body. Each file
is handled on its own: a bad one is reported (stderr, and an {"path", "error"} line with --json)
and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from newsbot.cli import CliState, pass_state
from newsbot.config import Settings
from newsbot.core.models import Figure, Summary
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.core.text import display_text
from newsbot.errors import ConfigError, NewsbotError

_HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp"}
_MAX_BYTES = 20 * 1024 * 1024


class InputError(Exception):
    """A file that cannot be summarized; the message says why."""


@click.command("summarize")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input per line.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_state
def summarize(state: CliState, as_json: bool, paths: tuple[Path, ...]) -> None:
    """Summarize HTML or plain-text files: key points, figures, headline figures."""
    settings = _settings(state)
    summarizer = ExtractiveSummarizer(settings.summary if settings else None)
    summarizer.warm_up()  # so that elapsed_ms measures each file, not the dictionary load
    failed = 0
    for path in paths:
        try:
            started = time.perf_counter()
            title, paragraphs = read_article(path, settings)
            result = summarizer.summarize(title, paragraphs)
            elapsed = (time.perf_counter() - started) * 1000
        except InputError as exc:
            failed += 1
            click.echo(f"newsbot: {path}: {exc}", err=True)
            if as_json:
                click.echo(json.dumps({"path": str(path), "error": str(exc)}, ensure_ascii=False))
            continue
        if as_json:
            click.echo(json.dumps(as_record(path, title, result, elapsed), ensure_ascii=False))
        else:
            click.echo(render_text(path, title, result, elapsed))
    if failed:
        raise SystemExit(1)


def _settings(state: CliState) -> Settings | None:
    """The configured settings if a config file is there; summarizing files needs none."""
    try:
        return state.settings
    except ConfigError:
        if state.config is not None:
            raise  # a config file was named explicitly: its errors matter
        return None


def read_article(path: Path, settings: Settings | None) -> tuple[str, list[str]]:
    """(title, paragraphs) of an HTML or plain-text file; InputError if it cannot be read."""
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(f"larger than {_MAX_BYTES // (1024 * 1024)} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if _looks_like_html(path, data):
        title, paragraphs = _html_article(path, data, settings)
    else:
        title, paragraphs = split_plain_text(_decode_text(data))
    # The same Chinese typography as at ingest (core.text.display_text).
    return display_text(title), [display_text(p) for p in paragraphs]


def _looks_like_html(path: Path, data: bytes) -> bool:
    if path.suffix.lower() in _HTML_SUFFIXES:
        return True
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta"))


def _html_article(path: Path, data: bytes, settings: Settings | None) -> tuple[str, list[str]]:
    from newsbot.extract import extract_article, profile_for

    url = path.resolve().as_uri()
    profile = profile_for(url, settings.extraction) if settings else None
    try:
        page = extract_article(data, url, profile=profile)
    except NewsbotError as exc:
        raise InputError(f"not an article page: {exc}") from None
    return page.title, list(page.paragraphs)


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("binary file, not text")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (bad byte at offset {exc.start})") from None


def split_plain_text(text: str) -> tuple[str, list[str]]:
    """A text capture of a page: the generic boilerplate rules drop the site's title, the meta
    line and the footer (newsbot.extract.text_capture); a plain text whose first line is
    followed by an empty line has that line as its title."""
    from newsbot.extract.text_capture import split_text_capture

    return split_text_capture(text)


def as_record(path: Path, title: str, summary: Summary, elapsed_ms: float) -> dict[str, object]:
    data = summary.as_dict()
    return {
        "path": str(path),
        "title": title,
        "key_points": data["key_points"],
        "figures": data["figures"],
        "headline_figures": data["headline_figures"],
        "elapsed_ms": round(elapsed_ms, 2),
    }


def render_text(path: Path, title: str, summary: Summary, elapsed_ms: float) -> str:
    """A readable zh-CN block for one file."""
    lines = [f"== {path}", f"标题：{title or '（无）'}"]
    if summary.key_points:
        lines.append("要点：")
        lines.extend(f"  {i}. {point}" for i, point in enumerate(summary.key_points, 1))
    else:
        lines.append("要点：（正文为空）")
    if summary.headline_figures:
        lines.append("数字：" + "；".join(_figure_text(f) for f in summary.headline_figures))
    lines.append(f"（共 {len(summary.figures)} 个数字，用时 {elapsed_ms:.1f} 毫秒）")
    return "\n".join(lines) + "\n"


def _figure_text(figure: Figure) -> str:
    return f"{figure.label} {figure.text}" if figure.label else figure.text


COMMANDS = [summarize]
