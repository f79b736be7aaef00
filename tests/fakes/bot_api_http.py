"""The fake Bot API's HTTP side: decoding PTB's form/JSON/multipart bodies, the request handler."""

from __future__ import annotations

import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs

try:  # tests/ is on sys.path under pytest; benchmarks may import tests.fakes.* instead
    from fakes.bot_api_rules import ApiError
except ImportError:  # pragma: no cover
    from tests.fakes.bot_api_rules import ApiError

# Parameters that PTB JSON-encodes inside form data.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
    }
)
_INT_PARAMS = frozenset({"offset", "limit", "timeout", "message_id", "cache_time"})


class Api(Protocol):
    response_delay: float

    def handle(self, token: str, method: str, params: dict[str, Any]) -> Any: ...

    def count_rejected(self) -> None: ...


def _decode_params(handler: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
    content_type = handler.headers.get("Content-Type", "")
    if "json" in content_type:
        raw: dict[str, Any] = json.loads(body or b"{}")
        return raw
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields = {
            part.get_param("name", header="content-disposition"): part.get_content()
            for part in message.iter_parts()
        }
        return _typed({str(k): v if isinstance(v, str) else v.decode() for k, v in fields.items()})
    query = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return _typed({key: values[-1] for key, values in query.items()})


def _typed(fields: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = dict(fields)
    for key, value in fields.items():
        if key in _JSON_PARAMS:
            params[key] = json.loads(value)
        elif key in _INT_PARAMS and value.lstrip("-").isdigit():
            params[key] = int(value)
    return params


def make_handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, the client's delayed ACK adds
        # ~40 ms to every answer on loopback (measured: 48 ms -> about 1 ms per sendMessage).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            status, payload = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if len(parts) == 2 and parts[0].startswith("bot"):
                status, payload = self._answer(parts[0][3:], parts[1], body)
            if api.response_delay:
                time.sleep(api.response_delay)
            try:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: escaped (\udfff), as Telegram sends it
                data = json.dumps(payload).encode("ascii")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. a long poll cut at stop)

        def _answer(self, token: str, method: str, body: bytes) -> tuple[int, dict[str, Any]]:
            try:
                params = _decode_params(self, body)
                return 200, {"ok": True, "result": api.handle(token, method, params)}
            except ApiError as exc:
                if exc.status != 429:
                    api.count_rejected()
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": exc.status,
                    "description": exc.description,
                }
                if exc.parameters:
                    payload["parameters"] = exc.parameters
                return exc.status, payload
            except (ValueError, KeyError) as exc:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
