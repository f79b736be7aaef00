"""Telegram webhook mode on the HTTP front: POST /telegram feeds PTB's update queue.

PTB's own webhook server (tornado, its own port) is not used: every inbound request arrives
through the one front (docs/http.md). Telegram signs nothing, so the route compares the
X-Telegram-Bot-Api-Secret-Token header (set with setWebhook) in constant time and refuses
anything else with 403 before parsing the body.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from telegram import Update

from newsbot.front.routes import HttpRequest, HttpResponse, Route

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # Telegram's updates are a few KiB; this only bounds abuse


def webhook_routes(app: Any, secret: str) -> list[Route]:
    """The /telegram route that hands each update to the running PTB Application."""
    expected = secret.encode("utf-8")

    async def receive(request: HttpRequest) -> HttpResponse:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return HttpResponse.text("forbidden\n", 403)
        try:
            data = json.loads(request.body)
            update = Update.de_json(data, app.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("telegram webhook: unreadable update refused: %s", type(exc).__name__)
            update = None
        if update is None:
            return HttpResponse.text("bad update\n", 400)
        await app.update_queue.put(update)
        return HttpResponse.text("ok\n")

    return [Route("POST", "/telegram", receive, max_body=MAX_UPDATE_BYTES, name="telegram")]


def webhook_url(configured: str | None, public_url: str | None) -> str | None:
    """Where Telegram should post: the configured URL, else the front's public URL."""
    if configured:
        return configured
    return f"{public_url}/telegram" if public_url else None
