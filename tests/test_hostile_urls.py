"""Server-side request forgery: hostile links and redirects in a feed never reach an internal
address. Real servers on 127.0.0.1 only; every refusal ends in a recorded reason."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from fakes.origin import Origin, Reply, article_page
from newsbot.adapters.http import Fetcher
from newsbot.adapters.urlpolicy import UrlPolicy, address_kind
from newsbot.app import build_newsroom
from newsbot.config import PollingSettings, Settings
from newsbot.errors import UrlRefused

FAST = {"total_timeout": 3.0, "read_timeout": 3.0, "connect_timeout": 2.0, "jitter": 0.0}


def rss_of(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>条目{i}</title><link>{escape(link)}</link></item>"
        for i, link in enumerate(links)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"{items}</channel></rss>"
    ).encode()


@pytest.fixture
def internal() -> Iterator[Origin]:
    """The operator's internal service: nothing may ever be requested from it."""
    with Origin() as server:
        server.route_prefix(
            "/", Reply(body="<html><body><p>INTERNAL SECRET 内部</p></body></html>".encode())
        )
        yield server


@pytest.fixture
def feed_origin() -> Iterator[Origin]:
    with Origin() as server:
        server.route_prefix("/articles/", lambda path, _h: Reply(body=article_page(path)))
        yield server


def hostile_links(internal_port: int, feed: Origin, internal: Origin) -> list[str]:
    p = internal_port
    feed.route("/go-internal", Reply(status=302, headers={"Location": internal.url("/secret")}))
    feed.route("/go-metadata", Reply(status=301, headers={"Location": "http://169.254.169.254/"}))
    feed.route("/go-decimal", Reply(status=307, headers={"Location": f"http://2130706433:{p}/"}))
    return [
        f"http://127.0.0.1:{p}/secret",
        f"http://0x7f.1:{p}/secret",
        f"http://2130706433:{p}/secret",
        f"http://127.1:{p}/secret",
        f"http://[::1]:{p}/secret",
        f"http://[::ffff:127.0.0.1]:{p}/secret",
        f"http://localhost:{p}/secret",
        f"http://localhost.:{p}/secret",
        f"http://user:pw@127.0.0.1:{p}/secret",
        f"http://{feed.base_url[7:]}@127.0.0.1:{p}/secret",  # looks like the feed's host
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud's metadata (CGNAT range)
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://192.168.1.1/",
        f"http://0.0.0.0:{p}/",
        "http://224.0.0.1/",
        feed.url("/go-internal"),  # same origin as the feed: allowed, its redirect is not
        feed.url("/go-metadata"),
        feed.url("/go-decimal"),
    ]


def test_hostile_links_in_a_loopback_feed_are_refused_and_recorded(
    tmp_path: Path, feed_origin: Origin, internal: Origin
) -> None:
    port = int(internal.base_url.rsplit(":", 1)[1])
    # distinct paths, so that no two links share a dedupe key
    links = [
        link if link.startswith(feed_origin.base_url) else f"{link}?n={i}"
        for i, link in enumerate(hostile_links(port, feed_origin, internal))
    ]
    good = feed_origin.url("/articles/ok.html")
    feed_origin.route("/feed.xml", Reply(body=rss_of([*links, good])))
    settings = Settings.model_validate(
        {
            "storage": {"database_url": f"sqlite:///{tmp_path / 'n.db'}"},
            "polling": FAST,
            "sources": [
                {"key": "f", "name": "f", "kind": "feed", "url": feed_origin.url("/feed.xml")}
            ],
        }
    )
    newsroom = build_newsroom(settings)
    (report,) = asyncio.run(newsroom.poll_all())
    assert internal.requests == []  # nothing internal was fetched, on any spelling
    assert (report.new, report.refused, report.failed) == (1, len(links), 0)
    assert report.status == "ok" and report.error and "refused" in report.error
    (state,) = newsroom.source_states()
    assert state.last_error and "link(s) refused" in state.last_error
    titles = [a.title for a in newsroom.latest_articles(50)]
    assert not any("INTERNAL" in t for t in titles) and len(titles) == 1


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("fe80::1", "link-local (cloud metadata)"),
        ("fd00:ec2::254", "private"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.100.100.200", "not globally routable"),
        ("1.1.1.1", None),
        ("2400:3200::1", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


def polling(**overrides: object) -> PollingSettings:
    return PollingSettings.model_validate(FAST | overrides)


async def test_a_name_resolving_to_loopback_is_refused(internal: Origin) -> None:
    port = internal.base_url.rsplit(":", 1)[1]

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "news.example.cn" else []

    policy = UrlPolicy.from_settings(False, [], resolver)
    async with Fetcher(polling(), policy=policy) as fetcher:
        with pytest.raises(
            UrlRefused,
            match=re.escape("news.example.cn (127.0.0.1) is an internal address (loopback"),
        ):
            await fetcher.fetch(f"http://news.example.cn:{port}/x")
    assert internal.requests == []


async def test_allowlist_and_allow_private_networks_let_intranet_links_through(
    internal: Origin,
) -> None:
    url = internal.url("/page")
    for overrides in ({"private_allowlist": ["127.0.0.0/8"]}, {"allow_private_networks": True}):
        async with Fetcher(polling(**overrides)) as fetcher:
            assert (await fetcher.fetch(url)).status == 200
    async with Fetcher(polling(private_allowlist=["localhost"])) as fetcher:
        assert (await fetcher.fetch(url.replace("127.0.0.1", "localhost"))).status == 200
    assert len(internal.requests) == 3


async def test_the_configured_origin_may_be_private_but_not_its_neighbours(
    internal: Origin, feed_origin: Origin
) -> None:
    feed_origin.route("/feed.xml", Reply(body=b"<rss/>"))
    feed_origin.route("/moved", Reply(status=302, headers={"Location": internal.url("/x")}))
    async with Fetcher(polling()) as fetcher:
        source = feed_origin.url("/feed.xml")
        assert (await fetcher.fetch(source, source_url=source)).status == 200
        with pytest.raises(UrlRefused, match="loopback"):
            await fetcher.fetch(feed_origin.url("/moved"), source_url=source)
        with pytest.raises(UrlRefused, match="loopback"):
            await fetcher.fetch(internal.url("/x"), source_url=source)  # another port
    assert internal.requests == []


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.server.body  # type: ignore[attr-defined]
        self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _server_pair() -> tuple[ThreadingHTTPServer, ThreadingHTTPServer]:
    """Two servers on the same port: 127.0.0.2 (allow-listed) and 127.0.0.1 (internal)."""
    for _ in range(20):
        allowed = ThreadingHTTPServer(("127.0.0.2", 0), _Recorder)
        port = allowed.server_address[1]
        try:
            internal = ThreadingHTTPServer(("127.0.0.1", port), _Recorder)
        except OSError:
            allowed.server_close()
            continue
        for server, body in ((allowed, b"public page"), (internal, b"INTERNAL SECRET")):
            server.body, server.hits = body, 0  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return allowed, internal
    pytest.skip("no port free on both 127.0.0.1 and 127.0.0.2")


async def test_dns_rebinding_connects_to_the_checked_address() -> None:
    """The first answer is the one checked and connected to; later answers (127.0.0.1) lose."""
    try:
        socket.create_server(("127.0.0.2", 0)).close()
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    allowed, internal = _server_pair()
    answers = iter([["127.0.0.2"]] + [["127.0.0.1"]] * 10)

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    try:
        policy = UrlPolicy.from_settings(False, ["127.0.0.2/32"], rebinding)
        async with Fetcher(polling(), policy=policy) as fetcher:
            url = f"http://rebind.example:{allowed.server_address[1]}/"
            result = await fetcher.fetch(url)
        assert result.body == b"public page"
        assert internal.hits == 0  # type: ignore[attr-defined]
    finally:
        for server in (allowed, internal):
            server.shutdown()
            server.server_close()


async def test_proxy_setting_routes_requests_through_the_proxy(feed_origin: Origin) -> None:
    """A plain-HTTP proxy sees absolute-form requests; the policy still checks the target."""
    proxy = Origin()
    proxy.route_prefix("", Reply(body=b"via proxy"))
    with proxy:
        settings = polling(proxy=proxy.base_url)
        async with Fetcher(settings, environ={}) as fetcher:
            result = await fetcher.fetch("http://93.184.216.34/page")
            with pytest.raises(UrlRefused):
                await fetcher.fetch("http://10.1.1.1/page")
        async with Fetcher(polling(), environ={"HTTP_PROXY": proxy.base_url}) as fetcher:
            await fetcher.fetch("http://93.184.216.34/env")
    assert result.body == b"via proxy"
    assert [path for path, _ in proxy.requests] == [
        "http://93.184.216.34/page",
        "http://93.184.216.34/env",
    ]
