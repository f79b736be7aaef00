"""A fake Telegram Bot API: a real HTTP/1.1 server on 127.0.0.1 for tests and benchmarks.

It speaks the Bot API the way python-telegram-bot uses it (form-encoded or JSON bodies, JSON-encoded
nested parameters, `{"ok": ..., "result": ...}` answers, dates in seconds) and runs in a background
thread, so sync tests, async tests and benchmarks can all use it.

    from fakes.bot_api import FakeBotAPI, RateLimits   # tests/ is on sys.path under pytest
    with FakeBotAPI() as api:                          # or api.start() ... api.stop()
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        api.inject_message(42, "/start")               # a private message from user 42
        api.wait_for(lambda: len(api.messages(42)) >= 1)
        api.messages(42)[-1]["text"]                   # the HTML the bot sent

Methods served: getMe, deleteWebhook, setWebhook, getUpdates (offset confirms, limit, long-poll
`timeout`), sendMessage, editMessageText, answerCallbackQuery, setMyCommands, getMyCommands,
deleteMyCommands, getChat, getChatMember (set_chat_admins(chat_id, [user ids]) decides who
is an administrator). Anything else is 404 "Not Found"; a wrong token is 401.

Checks like Telegram's: parse_mode=HTML is validated (tests/fakes/telegram_html.py: allowed
tags, nesting, entities); text must be non-empty and <= 4096 UTF-16 units after entity parsing;
editMessageText needs an existing message and a change ("message is not modified").
Failures -> 400 "Bad Request: can't parse entities: ...", "Bad Request: message is too long", etc.

Injecting updates (each returns the update dict; ids and dates are filled in):
    inject_message(chat_id, text, *, chat_type="private", user_id=None, first_name="Tester",
                   language_code="zh-hans", title=None, edited=False)
    inject_edited_message(...), inject_channel_post(chat_id, text),
    inject_callback_query(chat_id, data, *, message_id, user_id=None),
    inject_my_chat_member(chat_id, status)  (the bot blocked: "kicked"; removed from a group: "left")
    inject_update(raw_update_dict)

Failures on demand (answer before any validation; counted down, None = forever):
    fail_next(method, status, description, *, retry_after=None, migrate_to=None, count=1)
    fail_chat(chat_id, status, description, *, retry_after=None, migrate_to=None, count=None)
    clear_failures()
  e.g. fail_chat(7, 403, "Forbidden: bot was blocked by the user"),
       fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3).

Rate-limit enforcement (for the delivery benchmark): FakeBotAPI(rate_limits=RateLimits(
global_per_second=30, per_chat_per_second=1, group_per_minute=20)) answers sendMessage /
editMessageText past a limit with 429 and parameters.retry_after; `stats.too_many` counts them.
`response_delay` (seconds) adds latency to every answer.

(The rules live in bot_api_rules.py, the HTTP side in bot_api_http.py.)

Records (thread-safe reads; copies): messages(chat_id) -> list of sent-message records
{"message_id", "chat_id", "text" (as sent), "plain" (after parsing), "parse_mode",
"reply_markup", "link_preview_options", "date", "edits": [...]}; all_messages(); edits (list of
editMessageText params); callback_answers; commands (dict keyed by (scope_type, language_code));
calls (list of (method, params)); stats (counters). wait_for(predicate, timeout=5) and
`await async_wait_for(predicate, timeout=5)` poll until the predicate holds (AssertionError after).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

try:  # tests/ is on sys.path under pytest; benchmarks may import tests.fakes.bot_api instead
    from fakes.bot_api_http import make_handler
    from fakes.bot_api_rules import (
        ApiError,
        Failure,
        RateLimiter,
        RateLimits,
        Stats,
        validated_text,
    )
    from fakes.telegram_html import utf16_len
except ImportError:  # pragma: no cover
    from tests.fakes.bot_api_http import make_handler
    from tests.fakes.bot_api_rules import (
        ApiError,
        Failure,
        RateLimiter,
        RateLimits,
        Stats,
        validated_text,
    )
    from tests.fakes.telegram_html import utf16_len

__all__ = ["ApiError", "FakeBotAPI", "RateLimits", "Stats"]

BOT_ID = 777000111
_RATE_LIMITED = frozenset({"sendMessage", "editMessageText"})


class _Server(ThreadingHTTPServer):
    """Remembers its open connections, so stop() can close the kept-alive ones as well."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class FakeBotAPI:
    """The fake server; see the module docstring for its API."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        rate_limits: RateLimits | None = None,
        response_delay: float = 0.0,
        username: str = "newsbot_test_bot",
    ) -> None:
        self.token = token
        self.username = username
        self.response_delay = response_delay
        self._limiter = RateLimiter(rate_limits) if rate_limits else None
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id: dict[str, int] = defaultdict(lambda: 1000)
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._fail_next: dict[str, list[Failure]] = defaultdict(list)
        self._fail_chat: dict[str, Failure] = {}
        self._chat_admins: dict[str, set[str]] = {}
        self.edits: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stats = Stats()
        self.webhook_url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.port_was = 0  # the port of the last run, for start(port) after an outage

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeBotAPI:
        """Serve on `port` (0: any free one). After stop(), start(api.port_was) brings the
        same API back where the bot expects it (an outage test); its records are kept."""
        handler = make_handler(self)
        with self._lock:
            self._closing = False
        server = _Server(("127.0.0.1", port), handler, bind_and_activate=False)
        server.request_queue_size = 1024
        server.daemon_threads = True
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._server is not None:
            self.port_was = self.port
            self._server.shutdown()
            self._server.close_connections()  # kept-alive connections end too: a real outage
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to give ApplicationBuilder().base_url(...) (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # --- injecting updates -----------------------------------------------------------------

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id = update["update_id"] + 1
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def inject_message(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        first_name: str = "Tester",
        language_code: str | None = "zh-hans",
        title: str | None = None,
        edited: bool = False,
    ) -> dict[str, Any]:
        user = _user(user_id if user_id is not None else abs(chat_id), first_name, language_code)
        chat = _chat(chat_id, chat_type, first_name, title)
        message: dict[str, Any] = {
            "message_id": self._take_message_id(str(chat_id)),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if edited:
            message["edit_date"] = int(time.time())
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        return self.inject_update({"edited_message" if edited else "message": message})

    def inject_edited_message(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.inject_message(chat_id, text, edited=True, **kwargs)

    def inject_channel_post(
        self, chat_id: int, text: str, *, title: str = "A channel"
    ) -> dict[str, Any]:
        post: dict[str, Any] = {
            "message_id": self._take_message_id(str(chat_id)),
            "date": int(time.time()),
            "chat": _chat(chat_id, "channel", "", title),
            "sender_chat": _chat(chat_id, "channel", "", title),
            "text": text,
        }
        entities = _command_entities(text)
        if entities:
            post["entities"] = entities
        return self.inject_update({"channel_post": post})

    def inject_callback_query(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        user_id: int | None = None,
        first_name: str = "Tester",
    ) -> dict[str, Any]:
        with self._lock:
            original = self._find_message(str(chat_id), message_id)
            text = original["plain"] if original else "..."
        chat_type = "private" if chat_id > 0 else "supergroup"
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, first_name, None if chat_id > 0 else "A group"),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "newsbot",
                "username": self.username,
            },
            "text": text,
        }
        query = {
            "id": f"cq{self._next_update_id}",
            "from": _user(user_id if user_id is not None else abs(chat_id), first_name, "zh-hans"),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self.inject_update({"callback_query": query})

    def inject_my_chat_member(
        self, chat_id: int, status: str, *, chat_type: str = "private"
    ) -> dict[str, Any]:
        """The bot's own membership changed: status "kicked" (blocked / removed), "member" ..."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "newsbot", "username": self.username}
        user = _user(abs(chat_id), "Tester", "zh-hans")
        change = {
            "chat": _chat(
                chat_id, chat_type, "Tester", None if chat_type == "private" else "A group"
            ),
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot, "until_date": 0}
            if status == "kicked"
            else {"status": status, "user": bot},
        }
        return self.inject_update({"my_chat_member": change})

    # --- failures on demand ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to: int | None = None,
        count: int | None = 1,
    ) -> None:
        with self._lock:
            self._fail_next[method].append(
                Failure(status, description, retry_after, migrate_to, count)
            )

    def fail_chat(
        self,
        chat_id: int | str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to: int | None = None,
        count: int | None = None,
    ) -> None:
        with self._lock:
            self._fail_chat[str(chat_id)] = Failure(
                status, description, retry_after, migrate_to, count
            )

    def clear_failures(self) -> None:
        with self._lock:
            self._fail_next.clear()
            self._fail_chat.clear()

    # --- records ---------------------------------------------------------------------------

    def messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages.get(str(chat_id), [])]

    def all_messages(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {chat: [dict(m) for m in msgs] for chat, msgs in self._messages.items()}

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached within timeout")
            time.sleep(0.01)

    async def async_wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached within timeout")
            await asyncio.sleep(0.01)

    # --- request handling (called from server threads) ------------------------------------

    def count_rejected(self) -> None:
        with self._lock:
            self.stats.rejected += 1

    def handle(self, token: str, method: str, params: dict[str, Any]) -> Any:
        """Answer one Bot API call; raise ApiError for an error answer."""
        with self._lock:
            self.stats.requests += 1
            self.stats.by_method[method] += 1
            self.calls.append((method, params))
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if method == "getUpdates":
            return self._get_updates(params)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        with self._lock:
            self._check_failures(method, params)
            return handler(params)

    def _check_failures(self, method: str, params: dict[str, Any]) -> None:
        queue = self._fail_next.get(method)
        if queue:
            failure = queue[0]
            if failure.count is not None:
                failure.count -= 1
                if failure.count <= 0:
                    queue.pop(0)
            raise failure.answer()
        chat_id = str(params.get("chat_id", ""))
        failure = self._fail_chat.get(chat_id)
        if failure is not None and method not in ("getChat",):
            if failure.count is not None:
                failure.count -= 1
                if failure.count <= 0:
                    del self._fail_chat[chat_id]
            raise failure.answer()
        if self._limiter is not None and method in _RATE_LIMITED:
            try:
                self._limiter.check(chat_id, time.monotonic())
            except ApiError:
                self.stats.too_many += 1
                raise

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._lock:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(min(remaining, 0.1))
            return [dict(u) for u in self._updates[:limit]]

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "newsbot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url", ""))
        return True

    def set_chat_admins(self, chat_id: int, user_ids: list[int]) -> None:
        """Who getChatMember reports as an administrator of a group (everyone else: member)."""
        with self._lock:
            self._chat_admins[str(chat_id)] = {str(u) for u in user_ids}

    def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id", ""))
        user = _user(int(user_id or 0), "Tester", None)
        if user_id not in self._chat_admins.get(str(params.get("chat_id", "")), set()):
            return {"status": "member", "user": user}
        rights = [
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            **dict.fromkeys(rights, True),
        }

    def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return _chat(chat_id, "private" if chat_id > 0 else "supergroup", "Tester", "A group")

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params.get("chat_id", ""))
        if not chat_id:
            raise ApiError(400, "Bad Request: chat_id is empty")
        plain = validated_text(params)
        record = {
            "message_id": self._take_message_id(chat_id),
            "chat_id": chat_id,
            "text": params["text"],
            "plain": plain,
            "parse_mode": params.get("parse_mode"),
            "reply_markup": params.get("reply_markup"),
            "link_preview_options": params.get("link_preview_options"),
            "date": int(time.time()),
            "edits": [],
        }
        self._messages[chat_id].append(record)
        self.stats.sent += 1
        return self._message_json(record)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params.get("chat_id", ""))
        record = self._find_message(chat_id, int(params.get("message_id") or 0))
        if record is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        plain = validated_text(params)
        if (
            params["text"] == record["text"]
            and params.get("reply_markup") == record["reply_markup"]
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        record["edits"].append(dict(record))
        record.update(
            text=params["text"],
            plain=plain,
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
        )
        self.edits.append(dict(params))
        return {**self._message_json(record), "edit_date": int(time.time())}

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(dict(params))
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not (1 <= len(command.get("command", "")) <= 32) or not command.get("description"):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[_commands_key(params)] = list(commands)
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(_commands_key(params), [])

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    # --- helpers ---------------------------------------------------------------------------

    def _take_message_id(self, chat_id: str) -> int:
        with self._lock:
            self._next_message_id[chat_id] += 1
            return self._next_message_id[chat_id]

    def _find_message(self, chat_id: str, message_id: int) -> dict[str, Any] | None:
        for record in self._messages.get(chat_id, []):
            if record["message_id"] == message_id:
                return record
        return None

    def _message_json(self, record: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(record["chat_id"])
        message: dict[str, Any] = {
            "message_id": record["message_id"],
            "date": record["date"],
            "chat": _chat(chat_id, "private" if chat_id > 0 else "supergroup", "Tester", "A group"),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "newsbot",
                "username": self.username,
            },
            "text": record["plain"],
        }
        if record["reply_markup"]:
            message["reply_markup"] = record["reply_markup"]
        return message


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return str(scope.get("type", "default")), str(params.get("language_code") or "")


def _user(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, chat_type: str, first_name: str, title: str | None) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": title or "A group"}


def _command_entities(text: str) -> list[dict[str, Any]]:
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]
