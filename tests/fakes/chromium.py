"""Real headless Chromium driven over the DevTools protocol (aiohttp's WebSocket client).

`Browser.open(url, width)` loads a page at a phone's width and returns what the tests need:
the final layout widths, the text of chosen elements, and a PNG screenshot. Tests skip with a
clear reason when Debian's `chromium` is not installed (the Makefile and .ci/run install it).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

import aiohttp

MEASURE = """JSON.stringify({
  viewport: document.documentElement.clientWidth,
  scroll: document.documentElement.scrollWidth,
  bodyScroll: document.body.scrollWidth,
  overflowing: Array.from(document.querySelectorAll('body *')).filter(
      e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
  ).map(e => e.tagName + '.' + e.className).slice(0, 10),
  figures: Array.from(document.querySelectorAll('li.fig')).map(e => e.textContent),
  titles: Array.from(document.querySelectorAll('h3')).map(e => e.textContent),
  links: Array.from(document.querySelectorAll('a')).map(e => e.href),
  scripts: document.scripts.length,
  heading: (document.querySelector('h1') || {}).textContent || ''
})"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageView:
    layout: dict[str, Any]
    screenshot: bytes


class Browser:
    def __init__(self, process: asyncio.subprocess.Process, ws_url: str, profile: Any) -> None:
        self.process, self.ws_url, self._profile = process, ws_url, profile
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    @classmethod
    async def launch(cls) -> Browser:
        path = chromium_path()
        assert path is not None
        profile = tempfile.TemporaryDirectory()
        process = await asyncio.create_subprocess_exec(
            path,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile.name}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        while True:
            line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return cls(process, match.group(1), profile)
            if not line:
                raise RuntimeError("chromium exited before listening")

    async def close(self) -> None:
        self.process.terminate()
        await self.process.wait()
        self._profile.cleanup()

    async def open(self, url: str, width: int = 375, height: int = 812) -> PageView:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self.ws_url, max_msg_size=64 * 1024 * 1024) as ws,
        ):
            target = await self._call(ws, "Target.createTarget", {"url": "about:blank"})
            attached = await self._call(
                ws, "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )
            page = attached["sessionId"]
            metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
            await self._call(ws, "Emulation.setDeviceMetricsOverride", metrics, page)
            await self._call(ws, "Page.enable", {}, page)
            await self._call(ws, "Page.navigate", {"url": url}, page)
            await self._wait_event(ws, "Page.loadEventFired", page)
            value = await self._call(
                ws, "Runtime.evaluate", {"expression": MEASURE, "returnByValue": True}, page
            )
            shot = await self._call(
                ws, "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, page
            )
            await self._call(ws, "Target.closeTarget", {"targetId": target["targetId"]})
        return PageView(json.loads(value["result"]["value"]), base64.b64decode(shot["data"]))

    async def _call(
        self, ws: Any, method: str, params: dict[str, Any], session: str | None = None
    ) -> dict[str, Any]:
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await ws.send_json(message)
        while True:
            data = json.loads((await asyncio.wait_for(ws.receive(), 30)).data)
            if "method" in data:
                self._events.append(data)
            if data.get("id") == number:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return dict(data.get("result", {}))

    async def _wait_event(self, ws: Any, name: str, session: str) -> None:
        def seen(data: dict[str, Any]) -> bool:
            return data.get("method") == name and data.get("sessionId") == session

        if any(seen(event) for event in self._events):
            return
        while not seen(json.loads((await asyncio.wait_for(ws.receive(), 30)).data)):
            pass
