"""Signed callback data: buttons carry `payload|signature`, so a tampered button does nothing.

The signature is HMAC-SHA256 over the chat id and the payload with a key derived from a secret
kept in the database (storage.subscribers.load_or_create_secret), truncated to 12 base64url
characters (72 bits: forging one is out of reach, and it leaves room in Telegram's 64 bytes).
Binding the chat id means a button copied to another chat is refused as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
SIGNATURE_CHARS = 12
SEPARATOR = "|"
MAX_PAYLOAD_BYTES = MAX_CALLBACK_BYTES - SIGNATURE_CHARS - len(SEPARATOR)


class CallbackSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"newsbot callback data v1", hashlib.sha256).digest()

    def fits(self, payload: str) -> bool:
        return len(payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES and SEPARATOR not in payload

    def sign(self, chat_id: str, payload: str) -> str:
        if not self.fits(payload):
            raise ValueError(f"callback payload too long or holds {SEPARATOR!r}: {payload!r}")
        return f"{payload}{SEPARATOR}{self._signature(chat_id, payload)}"

    def verify(self, chat_id: str, data: str) -> str | None:
        """The payload if the signature is right for this chat, else None."""
        payload, sep, signature = data.rpartition(SEPARATOR)
        if not sep or not payload:
            return None
        expected = self._signature(chat_id, payload)
        # compare bytes: compare_digest refuses non-ASCII str (a forged button may hold any text)
        given = signature.encode("utf-8", "replace")
        return payload if hmac.compare_digest(expected.encode("ascii"), given) else None

    def _signature(self, chat_id: str, payload: str) -> str:
        mac = hmac.new(self._key, f"{chat_id}\x00{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii")[:SIGNATURE_CHARS]
