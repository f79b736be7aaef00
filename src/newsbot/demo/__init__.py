"""The live demo: the bundled sample portal served on loopback and moved into the present.

`newsbot run` with `[demo] live_portal = true` (config/demo.toml; `newsbot demo` uses the copy
shipped in this package) starts `DemoPortal` before anything else and points every source that
reads the bundled portal's files at the same page on the portal instead. See docs/demo.md.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from importlib import resources
from pathlib import Path

from newsbot import sample_portal
from newsbot.config import Settings
from newsbot.demo.portal import DemoPortal
from newsbot.demo.timeline import Timeline, sample_articles
from newsbot.ports import Clock

__all__ = ["DemoPortal", "Timeline", "demo_config_path", "live_sources", "start_demo_portal"]


def demo_config_path() -> Path:
    """The demo configuration shipped with the package (what `newsbot demo` runs)."""
    return Path(str(resources.files("newsbot.demo").joinpath("demo.toml")))


async def start_demo_portal(settings: Settings, clock: Clock) -> DemoPortal:
    demo = settings.demo
    root = sample_portal.root()
    timeline = Timeline(
        sample_articles(root),
        start=clock.now(),
        initial=demo.initial_articles,
        every=timedelta(seconds=demo.release_every_seconds),
    )
    portal = DemoPortal(root, timeline, clock.now, listen=demo.listen, port=demo.port)
    await portal.start()
    return portal


def live_sources(settings: Settings, base_url: str) -> Settings:
    """The settings with every source that reads the bundled portal's files pointed at the
    portal on loopback (same page), which the URL policy then has to allow."""
    root = sample_portal.root().resolve()
    sources = []
    for source in settings.sources:
        path = Path(source.url)
        if path.is_absolute() and path.resolve().is_relative_to(root):
            relative = path.resolve().relative_to(root).as_posix()
            source = source.model_copy(update={"url": f"{base_url}/{relative}"})
        sources.append(source)
    host = settings.demo.listen
    entry = f"{host}/32" if _is_ip(host) else host
    polling = settings.polling
    allow = [*polling.private_allowlist, entry] if entry not in polling.private_allowlist else []
    updates: dict[str, object] = {"sources": sources}
    if allow:
        updates["polling"] = polling.model_copy(update={"private_allowlist": allow})
    return settings.model_copy(update=updates)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
