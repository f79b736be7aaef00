"""Which addresses a fetch may reach: the guard against server-side request forgery.

A feed's item links and every redirect are written by someone else; followed blindly they make
newsbot fetch (and store, and make searchable) pages of the operator's own network: the cloud
metadata service, a router, an admin panel on 127.0.0.1. The rule, in one place:

- a URL the operator configured may reach its own origin (scheme, host, port), whatever address
  that is: an intranet feed is the operator's choice;
- anything else (item links, redirects, pages named by a listing) must resolve to public
  (globally routable) addresses only, unless `polling.allow_private_networks` is set or the
  address / host is on `polling.private_allowlist`;
- the check runs on the resolved addresses, so every spelling of an address (2130706433, 0x7f.1,
  127.1, [::ffff:127.0.0.1], a name that resolves to 10.0.0.5) gets the same answer, and the
  connection is made to the address that was checked (`GuardedBackend`): a name that resolves to
  a public address for the check and to 127.0.0.1 a moment later (DNS rebinding) cannot win.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
import typing
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
DEFAULT_PORTS = {"http": 80, "https": 443}

# The origin the current request may reach even when it is private: set by the Fetcher around
# each hop (same task as the connection), read by GuardedBackend when it connects.
_TRUSTED_ORIGIN: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "newsbot_trusted_origin", default=None
)
# The addresses the current hop's check resolved, so that the connection goes to exactly those.
_CHECKED: contextvars.ContextVar[tuple[str, int, list[str]] | None] = contextvars.ContextVar(
    "newsbot_checked_addresses", default=None
)


class AddressRefused(Exception):
    """The URL or the address it resolves to is not one newsbot may fetch (reason in args)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def address_kind(address: Address) -> str | None:
    """Why `address` is not public ("loopback", "private" ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return address_kind(embedded)
        if address.teredo is not None:
            return address_kind(address.teredo[1])
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local (cloud metadata)", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),  # 100.64/10 (CGNAT, Alibaba metadata)
    )
    return next((kind for kind, hit in checks if hit), None)


def origin_of(url: httpx.URL) -> tuple[str, int]:
    """(host, port) of a URL, the host lower-cased without a trailing dot."""
    host = url.host.lower().rstrip(".")
    return host, url.port or DEFAULT_PORTS.get(url.scheme, 0)


def same_origin(url: str | httpx.URL, other: str | httpx.URL | None) -> bool:
    if other is None:
        return False
    try:
        first, second = httpx.URL(url), httpx.URL(other)
    except httpx.InvalidURL:
        return False
    return first.scheme == second.scheme and origin_of(first) == origin_of(second)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves `host` to (numeric forms included)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class UrlPolicy:
    """The operator's exceptions to the public-only rule, and the resolver to check with."""

    allow_private_networks: bool = False
    allowed_networks: tuple[Network, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(
        cls, allow_private: bool, allowlist: Iterable[str], resolver: Resolver | None = None
    ) -> UrlPolicy:
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in allowlist:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                hosts.add(entry.strip().lower().rstrip("."))
        return cls(allow_private, tuple(networks), frozenset(hosts), resolver or system_resolver)

    def refusal(self, host: str, port: int, address: str) -> str | None:
        """Why connecting to `address` (for `host`:`port`) is refused, or None when it is not."""
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{host} resolved to {address!r}, not an IP address"
        kind = address_kind(parsed)
        if kind is None or self.allow_private_networks:
            return None
        if _TRUSTED_ORIGIN.get() == (host.lower().rstrip("."), port):
            return None  # the configured source's own origin
        if host.lower().rstrip(".") in self.allowed_hosts:
            return None
        if any(parsed in network for network in self.allowed_networks):
            return None
        shown = host if host == address else f"{host} ({address})"
        return f"refused: {shown} is an internal address ({kind})"

    async def check(self, url: httpx.URL) -> None:
        """Raise AddressRefused unless `url` may be fetched under the current trust."""
        if url.scheme not in DEFAULT_PORTS:
            raise AddressRefused(f"refused: scheme {url.scheme!r} is not http(s)")
        host, port = origin_of(url)
        if not host:
            raise AddressRefused("refused: no host in the URL")
        if _TRUSTED_ORIGIN.get() == (host, port) or self.allow_private_networks:
            return
        if url.userinfo:
            raise AddressRefused("refused: credentials (user@) in a link")
        addresses = await self.resolve(host, port)
        for address in addresses:
            reason = self.refusal(host, port, address)
            if reason:
                raise AddressRefused(reason)
        _CHECKED.set((host, port, addresses))

    async def addresses_for(self, host: str, port: int) -> list[str]:
        """What the current hop's check resolved `host` to, else a fresh resolution."""
        checked = _CHECKED.get()
        if checked is not None and checked[:2] == (host.lower().rstrip("."), port):
            return checked[2]
        return await self.resolve(host, port)

    async def resolve(self, host: str, port: int) -> list[str]:
        try:
            addresses = await self.resolver(host.rstrip(".") or host, port)
        except OSError as exc:
            raise AddressRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
        if not addresses:
            raise AddressRefused(f"cannot resolve {host}: no address")
        return addresses


@contextmanager
def trusting(origin: tuple[str, int] | None) -> Iterator[None]:
    """Within the block, connections to `origin` may reach a private address."""
    token = _TRUSTED_ORIGIN.set(origin)
    checked = _CHECKED.set(None)
    try:
        yield
    finally:
        _CHECKED.reset(checked)
        _TRUSTED_ORIGIN.reset(token)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves once, checks, and connects to what it checked."""

    def __init__(self, policy: UrlPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._policy.addresses_for(host, port)
        allowed = [a for a in addresses if self._policy.refusal(host, port, a) is None]
        if not allowed:
            raise AddressRefused(self._policy.refusal(host, port, addresses[0]) or "refused")
        error: Exception | None = None
        for address in allowed:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("refused: unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the connection pool on a GuardedBackend (the pinning seam)."""

    def __init__(self, policy: UrlPolicy, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
