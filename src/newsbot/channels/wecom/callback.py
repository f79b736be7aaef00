"""The /wecom callback on the HTTP front: URL verification and members' messages (AES only).

WeCom encrypts everything (there is no plain mode): the URL check sends an encrypted `echostr`
signed as msg_signature = SHA-1(sorted token, timestamp, nonce, echostr), and we answer its
decrypted text; a message arrives as <xml><ToUserName/><AgentID/><Encrypt/></xml> signed the
same way over Encrypt. Checks in order, each refusing before anything changes: the body size
(the front, 64 KiB), the timestamp (5 minutes), msg_signature (constant time; 403), decryption
with the corp id as receiver (400), the XML (no DTD or entities; 400), the AgentID (ours).

WeCom waits 5 seconds for an answer and retries, three times in all. We answer at once with an
empty body (no passive reply) and answer the member by app message; the first request for a
MsgId (events: FromUserName + CreateTime + Event + EventKey) records it in the database, so a
retry reaching any process does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from newsbot.channels.wecom.dialog import WeComDialog
from newsbot.channels.wecom.profile import NAME
from newsbot.channels.weixin.crypto import CallbackCrypto, CallbackRefused
from newsbot.channels.weixin.xmlsafe import UnsafeXml, parse_flat_xml
from newsbot.front.routes import HttpRequest, HttpResponse, Route
from newsbot.ports import Clock, InboundLedger

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class WeComCallback:
    def __init__(
        self,
        crypto: CallbackCrypto,
        dialog: WeComDialog,
        ledger: InboundLedger,
        clock: Clock,
        *,
        agent_id: int,
        path: str = "/wecom",
    ) -> None:
        self.crypto = crypto
        self.dialog = dialog
        self.ledger = ledger
        self.clock = clock
        self.agent_id = str(agent_id)
        self.path = path
        self._background: set[asyncio.Task[Any]] = set()

    def routes(self) -> list[Route]:
        return [
            Route("GET", self.path, self.verify_url, max_body=0, name=NAME),
            Route("POST", self.path, self.receive, max_body=MAX_BODY, name=NAME),
        ]

    async def verify_url(self, request: HttpRequest) -> HttpResponse:
        """The check WeCom makes when the callback URL is saved: decrypt and echo echostr."""
        query = request.query
        echostr = query.get("echostr", "")
        try:
            self._check(query, echostr)
            plain = self.crypto.decrypt(echostr)
        except CallbackRefused as exc:
            log.warning("wecom: URL verification refused: %s", exc.reason)
            return HttpResponse.text(f"{exc.reason}\n", exc.status)
        return HttpResponse.text(plain)

    async def receive(self, request: HttpRequest) -> HttpResponse:
        query = request.query
        try:
            self.crypto.check_timestamp(query.get("timestamp", ""), self._now())
            xml = self.crypto.open_envelope(request.body, query)
            fields = parse_flat_xml(xml.encode("utf-8"))
        except CallbackRefused as exc:
            log.warning("wecom: request refused: %s", exc.reason)
            return HttpResponse.text(f"{exc.reason}\n", exc.status)
        except UnsafeXml as exc:
            log.warning("wecom: unreadable message refused: %s", exc.reason)
            return HttpResponse.text("bad message\n", 400)
        if fields.get("AgentID", self.agent_id) != self.agent_id:
            log.warning("wecom: a message for another app (AgentID) refused")
            return HttpResponse.text("wrong AgentID\n", 403)
        if await self._first_time(fields):
            self._keep(asyncio.create_task(self._answer(fields)))
        return HttpResponse(200, b"", "text/plain; charset=utf-8")

    def _check(self, query: Mapping[str, str], signed: str) -> None:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        self.crypto.check_timestamp(timestamp, self._now())
        self.crypto.verify(query.get("msg_signature", ""), timestamp, nonce, signed)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def _first_time(self, fields: Mapping[str, str]) -> bool:
        key = fields.get("MsgId") or ":".join(
            fields.get(name, "") for name in ("FromUserName", "CreateTime", "Event", "EventKey")
        )
        now = self.clock.now()
        inbound = await asyncio.to_thread(self.ledger.begin, NAME, key, now)
        if inbound.first:  # the answer goes by app message: the ledger only marks it taken
            await asyncio.to_thread(self.ledger.answer, NAME, key, "", now)
        return inbound.first

    async def _answer(self, fields: Mapping[str, str]) -> None:
        try:
            await self.dialog.respond(fields)
        except Exception:  # the top of a handler: log it, keep serving
            log.exception("wecom: answering a %s message failed", fields.get("MsgType", "?"))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for answers still being sent (at shutdown and in tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
