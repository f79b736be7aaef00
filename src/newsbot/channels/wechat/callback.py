"""The /wechat callback on the HTTP front: URL verification and messages, in plain, compatible
and safe (AES) modes.

Order of checks, each refusing without changing anything: the body size (the front, 64 KiB),
the timestamp (5 minutes), the signature (constant time; 403), then the envelope's
msg_signature and decryption (safe/compatible mode), then the XML (no DTDs or entities; 400).

WeChat retries a message it got no answer to, three times. The first request for a MsgId (or
FromUserName+CreateTime for events) records itself in the database and answers; a retry,
whichever process it reaches, waits for that answer and returns the same (the housekeeping
job deletes the records a day later). The passive answer
must come within 5 s: `budget` seconds after the request arrived (time spent queued counts) we
answer "success" and the reply goes out as a customer-service message when it is ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from wechatpy import parse_message
from wechatpy.replies import ArticlesReply, TextReply

from newsbot.channels.wechat.dialog import WeChatDialog
from newsbot.channels.weixin.crypto import CallbackCrypto, CallbackRefused
from newsbot.channels.weixin.xmlsafe import UnsafeXml, parse_flat_xml
from newsbot.core.channels import Outbound
from newsbot.front.routes import HttpRequest, HttpResponse, Route
from newsbot.ports import ChannelStores, Clock, Offered

log = logging.getLogger(__name__)
CHANNEL = "wechat"
MAX_BODY = 64 * 1024
SUCCESS = "success"  # WeChat's "no passive reply"; it then waits for nothing
SPILL_DELAY = 0.5  # later messages leave after the passive reply has been delivered
SendLater = Callable[[str, Sequence[Outbound]], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Arrival:
    first: bool  # this request is the first for the message: it answers
    reply: str | None  # a retry: the first request's answer, when recorded
    held: list[Outbound] = field(default_factory=list)  # taken for the reader (first only)


class WeChatCallback:
    def __init__(
        self,
        crypto: CallbackCrypto,
        dialog: WeChatDialog,
        stores: ChannelStores,
        send_later: SendLater,
        clock: Clock,
        *,
        budget: float = 4.0,
        path: str = "/wechat",
    ) -> None:
        self.crypto = crypto
        self.dialog = dialog
        self.ledger = stores.inbound
        self.choices = stores.choices
        self.send_later = send_later
        self.clock = clock
        self.budget = budget
        self.path = path
        self._background: set[asyncio.Task[Any]] = set()

    def routes(self) -> list[Route]:
        return [
            Route("GET", self.path, self.verify_url, max_body=0, name=CHANNEL),
            Route("POST", self.path, self.receive, max_body=MAX_BODY, name=CHANNEL),
        ]

    async def verify_url(self, request: HttpRequest) -> HttpResponse:
        """The server check when the URL is saved in the admin console: echo echostr."""
        query = request.query
        try:
            self._check(query)
        except CallbackRefused as exc:
            log.warning("wechat: URL verification refused: %s", exc.reason)
            return HttpResponse.text(f"{exc.reason}\n", exc.status)
        return HttpResponse.text(query.get("echostr", ""))

    async def receive(self, request: HttpRequest) -> HttpResponse:
        deadline = asyncio.get_running_loop().time() + self.budget  # from arrival, not from work
        query = request.query
        safe = query.get("encrypt_type", "raw") == "aes"
        try:
            self._check(query)
            xml = self.crypto.open_envelope(request.body, query) if safe else _text(request.body)
            fields = parse_flat_xml(xml.encode("utf-8"))
            message = parse_message(xml)
            key = fields.get("MsgId") or (
                f"{fields['FromUserName']}:{fields['CreateTime']}:{fields.get('Event', '')}"
            )
        except CallbackRefused as exc:
            log.warning("wechat: request refused: %s", exc.reason)
            return HttpResponse.text(f"{exc.reason}\n", exc.status)
        except (UnsafeXml, KeyError, ValueError) as exc:
            log.warning("wechat: unreadable message refused: %s", _reason(exc))
            return HttpResponse.text("bad message\n", 400)
        reply = await self._reply_once(key, message, deadline)
        return self._passive(reply, query, safe)

    def _check(self, query: Any) -> None:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        self.crypto.check_timestamp(timestamp, self.clock.now().timestamp())
        self.crypto.verify(query.get("signature", ""), timestamp, nonce)

    async def _reply_once(self, key: str, message: Any, deadline: float) -> str:
        arrival = await asyncio.to_thread(self._arrive, key, message)
        if not arrival.first:
            return arrival.reply or await self._answer_of_first(key, deadline)
        late = asyncio.Event()
        task = asyncio.create_task(self._answer(message, arrival.held, late))
        left = max(0.0, deadline - asyncio.get_running_loop().time())
        try:
            reply, offered = await asyncio.wait_for(asyncio.shield(task), left)
        except TimeoutError:
            if task.done():  # finished as the time ran out: its passive answer still counts
                reply, offered = task.result()
            else:
                late.set()  # the task sends everything by customer-service message when done
                self._keep(task)
                reply, offered = SUCCESS, None
                log.info("wechat: answer not ready in %.1f s; replying later", self.budget)
        now = self.clock.now()
        await asyncio.to_thread(self.ledger.answer, CHANNEL, key, reply, now, offered=offered)
        return reply

    def _arrive(self, key: str, message: Any) -> Arrival:
        """In one worker thread: record the message, open the reader's window and take what
        was held for them (one commit). A retry finds the first request's record."""
        now = self.clock.now()
        grant = self.dialog.grant(message, now)
        inbound = self.ledger.begin(CHANNEL, key, now, window=grant, take_held=True)
        if not inbound.first:
            return Arrival(False, inbound.reply)
        return Arrival(True, None, self.dialog.held(inbound.held))

    async def _answer_of_first(self, key: str, deadline: float) -> str:
        """A retry: the first request's answer, once recorded (else "success")."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            reply = await asyncio.to_thread(self.ledger.reply, CHANNEL, key)
            if reply is not None:
                return reply
        return SUCCESS

    async def _answer(
        self, message: Any, held: list[Outbound], late: asyncio.Event
    ) -> tuple[str, Offered | None]:
        """The passive reply's XML (or "success") and the choices it offers; the messages after
        the first go out by customer-service message, and all of them when the passive deadline
        passed (the choices are then saved here)."""
        openid = str(message.source)
        try:
            answer = await self.dialog.respond(message, held)
        except Exception:  # the top of a handler: log and answer nothing rather than 500
            log.exception("wechat: answering %s failed", type(message).__name__)
            if held:  # taken for this reader already: they still go out
                self._keep(asyncio.create_task(self.send_later(openid, held)))
            return SUCCESS, None
        outgoing, offered = answer.messages, answer.offered
        if late.is_set():
            self._keep(asyncio.create_task(self._send_late(openid, outgoing, offered)))
            return SUCCESS, None
        if not outgoing:
            return SUCCESS, offered
        first, rest = outgoing[0], outgoing[1:]
        if rest:
            self._keep(asyncio.create_task(self._spill(openid, rest)))
        return _passive_xml(message, first), offered

    async def _send_late(
        self, openid: str, outgoing: Sequence[Outbound], offered: Offered | None
    ) -> None:
        if offered is not None:
            now = self.clock.now()
            await asyncio.to_thread(
                self.choices.save, CHANNEL, offered.chat_id, offered.choices, now
            )
        await self.send_later(openid, outgoing)

    async def _spill(self, openid: str, rest: Sequence[Outbound]) -> None:
        await asyncio.sleep(SPILL_DELAY)
        await self.send_later(openid, rest)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _passive(self, reply: str, query: Any, safe: bool) -> HttpResponse:
        if reply == SUCCESS or not safe:
            content_type = "text/plain" if reply == SUCCESS else "application/xml"
            return HttpResponse(200, reply.encode("utf-8"), f"{content_type}; charset=utf-8")
        envelope = self.crypto.encrypt_reply(reply)
        return HttpResponse(200, envelope.encode("utf-8"), "application/xml; charset=utf-8")

    async def drain(self) -> None:
        """Wait for replies still being sent in the background (at shutdown and in tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def _passive_xml(message: Any, out: Outbound) -> str:
    if out.card is not None:
        article = {
            "title": out.card.title,
            "description": out.card.description,
            "image": out.card.image,
            "url": out.card.url,
        }
        return str(ArticlesReply(message=message, articles=[article]).render())
    return str(TextReply(message=message, content=out.text).render())


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeXml("body is not UTF-8") from None


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, UnsafeXml) else f"{type(exc).__name__}"
