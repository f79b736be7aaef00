"""A portal origin server on 127.0.0.1 for ingest tests and the poll benchmark.

A real threaded HTTP/1.1 server with per-path behaviours:

    with Origin() as origin:
        origin.route("/feed.xml", Reply(body=rss, etag='"v1"'))     # conditional GET -> 304
        origin.route("/busy", Reply(status=429, headers={"Retry-After": "120"}))
        origin.route("/slow", Reply(body=b"x" * 100, drip=0.5))       # one byte every 0.5 s
        origin.route("/big", Reply(size=6 * 1024 * 1024))             # a generated 6 MiB body
        origin.route("/r1", Reply(status=302, headers={"Location": "/r2"}))
        url = origin.url("/feed.xml")
        origin.requests                                               # [(path, headers)], in order

Reply(gzip=True) compresses the body; `delay` waits before answering. A callable route gets the
request path and headers and returns a Reply. `Origin.portal(feeds, items)` serves a generated
portal: /feeds/{i}.xml (RSS, ETag -> 304) linking /articles/{i}/{j}.html.

Run as a script (`python tests/fakes/origin.py --feeds 500 --items 20 [--slow-hosts 20]`) it
serves that portal in its own process and prints its base URL, then (second line) the feed URLs
of the slow-drip origins on 127.0.0.2, 127.0.0.3 ..., for the benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip as gzip_module
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    drip: float | None = None  # seconds between single bytes of the body
    size: int | None = None  # generate a body of this many bytes
    delay: float = 0.0


Route = Reply | Callable[[str, Mapping[str, str]], Reply]


class Origin:
    """The server; routes may be added while it runs."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.prefixes: list[tuple[str, Route]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, reply: Route) -> str:
        self.routes[path] = reply
        return self.url(path)

    def route_prefix(self, prefix: str, reply: Route) -> None:
        self.prefixes.append((prefix, reply))

    def start(self) -> Origin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Origin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def requested(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [headers for p, headers in self.requests if p == path]

    def resolve(self, path: str, headers: Mapping[str, str]) -> Reply:
        with self._lock:
            self.requests.append((path, dict(headers)))
        route = self.routes.get(path)
        if route is None:
            route = next((r for prefix, r in self.prefixes if path.startswith(prefix)), None)
        if route is None:
            return Reply(status=404, body=b"not found")
        return route(path, headers) if callable(route) else route

    # --- a generated portal -----------------------------------------------------------------------

    def portal(self, feeds: int, items: int) -> list[str]:
        """Serve /feeds/{i}.xml and /articles/{i}/{j}.html; returns the feed URLs."""
        self.route_prefix("/feeds/", lambda path, _h: feed_reply(self.base_url, path, items))
        self.route_prefix("/articles/", lambda path, _h: Reply(body=article_page(path)))
        return [self.url(f"/feeds/{i}.xml") for i in range(feeds)]

    def slow_portal(self, items: int, drip: float = 1.0) -> str:
        """Serve /slow.xml listing `items` article links that drip one byte per `drip` seconds
        (an hour's worth of body: they never finish within a poll); returns the feed URL."""
        links = [(f"/slow/{j}.html", f"慢稿{j}") for j in range(items)]
        self.route("/slow.xml", Reply(body=rss(self.base_url, links)))
        self.route_prefix("/slow/", Reply(body=b"<html>" + b" " * 3600, drip=drip))
        return self.url("/slow.xml")


def rss(base: str, entries: list[tuple[str, str]], title: str = "大院网") -> bytes:
    """A small RSS 2.0 document of (link, title) entries."""
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(base + link)}</link>"
        f"<guid isPermaLink='true'>{escape(base + link)}</guid>"
        f"<pubDate>Wed, 06 Jul 2022 02:10:33 GMT</pubDate></item>"
        for link, t in entries
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>{base}/</link>{items}</channel></rss>"
    ).encode()


def feed_reply(base: str, path: str, items: int) -> Reply:
    feed = path.removeprefix("/feeds/").removesuffix(".xml")
    entries = [(f"/articles/{feed}/{j}.html", f"第{feed}栏目新闻{j}") for j in range(items)]
    return Reply(
        body=rss(base, entries), content_type="application/rss+xml", etag=f'"feed-{feed}-v1"'
    )


_PARAGRAPHS = (
    "今年以来,阳泉高新区立足全方位推动高质量发展总目标,聚焦创建国家级高新区总航向,着力增强各领域基层党组织的政治领导力。",
    "高新区多渠道征集群众意见,通过督导调研、深入联系点、召开现场会、发放调查问卷等方式,累计征集意见建议约500条。",
    "经过梳理汇总,高新区编制了三级党组织问题清单汇编,共计查摆出问题4804条,其中干部问题1612条。",
    "截至目前,高新区累计摸底合同367份,需清理合同78份;需化解债务3029.56万元,已化解债务503.72万元。",
)


def article_page(path: str, title: str | None = None) -> bytes:
    """An article page in the portal's layout (navigation, body, copyright footer)."""
    seed = int(hashlib.sha256(path.encode()).hexdigest()[:8], 16)
    title = title or f"党建赋能 激活高质量发展 第{seed % 100000}号报道"
    body = "".join(f"<p>{p}(编号{seed % 9973}-{i})</p>" for i, p in enumerate(_PARAGRAPHS))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}-山西大院资讯网</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/gsyl/'>工商要览</a></div>"
        f"<div class='article'><h1>{title}</h1>"
        "<div class='info'>网络编辑 阳泉 2022-07-06 10:10:33</div>"
        f"<div class='content'>{body}</div></div>"
        "<div class='footer'>版权声明:本网站所刊载信息,不代表本站观点。</div></body></html>"
    ).encode()


def _handler_for(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in separate small writes meet Nagle + delayed ACK (40 ms a response).
        disable_nagle_algorithm = True
        wbufsize = 64 * 1024

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def handle_one_request(self) -> None:  # a client that gave up mid-drip closed first
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle_one_request()

        def finish(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().finish()

        def do_GET(self) -> None:
            reply = origin.resolve(self.path, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay:
                time.sleep(reply.delay)
            # The client may give up (a size cap or a deadline): that is the point of some tests.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            if _not_modified(reply, self.headers):
                self.send_response(304)
                self._validators(reply)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"x" * reply.size if reply.size is not None else reply.body
            if reply.gzip:
                body = gzip_module.compress(body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.gzip:
                self.send_header("Content-Encoding", "gzip")
            self._validators(reply)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._write(body, reply.drip)

        def _validators(self, reply: Reply) -> None:
            if reply.etag:
                self.send_header("ETag", reply.etag)
            if reply.last_modified:
                self.send_header("Last-Modified", reply.last_modified)

        def _write(self, body: bytes, drip: float | None) -> None:
            if drip is None:
                self.wfile.write(body)
                return
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(drip)

    return Handler


def _not_modified(reply: Reply, headers: Mapping[str, str]) -> bool:
    if reply.status != 200:
        return False
    if reply.etag and headers.get("If-None-Match") == reply.etag:
        return True
    return bool(reply.last_modified and headers.get("If-Modified-Since") == reply.last_modified)


def http_date(seconds_from_now: float) -> str:
    return formatdate(time.time() + seconds_from_now, usegmt=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument(
        "--slow-hosts", type=int, default=0, help="also serve slow-drip feeds on 127.0.0.2 ..."
    )
    args = parser.parse_args()
    origin = Origin()
    origin.portal(args.feeds, args.items)
    origin.start()
    slow = [Origin(f"127.0.0.{2 + i}").start() for i in range(args.slow_hosts)]
    print(origin.base_url, flush=True)
    print(" ".join(o.slow_portal(args.items) for o in slow), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        origin.stop()


if __name__ == "__main__":
    main()
