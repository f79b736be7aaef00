"""Callback signatures and AES for WeChat Official Accounts and WeCom (wechatpy underneath).

Signatures are SHA-1 over the sorted strings (token, timestamp, nonce[, encrypted body]) and
are compared with hmac.compare_digest (wechatpy's own check uses `!=`). A timestamp more than
`max_skew` seconds from our clock is refused, so a captured request cannot be replayed later.
The AES part (AES-256-CBC, PKCS#7, the 16-byte random prefix, the length and the receiver id)
is wechatpy's PrpCrypto; the receiver id is the app id (Official Account) or corp id (WeCom).
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner, random_string

from newsbot.channels.weixin.xmlsafe import parse_flat_xml, to_xml

DEFAULT_MAX_SKEW = 300.0  # five minutes


class CallbackRefused(Exception):
    """A callback request we do not accept; `status` is the HTTP answer, `reason` is loggable."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


@dataclass(frozen=True)
class CallbackCrypto:
    token: str
    encoding_aes_key: str | None  # 43 characters; None when only plain mode is configured
    receiver_id: str
    max_skew: float = DEFAULT_MAX_SKEW

    def check_timestamp(self, timestamp: str, now: float | None = None) -> None:
        try:
            moment = int(timestamp)
        except ValueError:
            raise CallbackRefused(403, "timestamp is not a number") from None
        if abs((time.time() if now is None else now) - moment) > self.max_skew:
            raise CallbackRefused(403, "timestamp outside the 5-minute window")

    def verify(self, given: str, timestamp: str, nonce: str, *extra: str) -> None:
        """Plain signature (token, timestamp, nonce) or msg_signature (+ the encrypted text)."""
        if not given or not same(given, signature(self.token, timestamp, nonce, *extra)):
            raise CallbackRefused(403, "bad signature")

    def _prp(self) -> PrpCrypto:
        if not self.encoding_aes_key:
            raise CallbackRefused(400, "encrypted message but no EncodingAESKey is configured")
        key = base64.b64decode(self.encoding_aes_key + "=")
        if len(key) != 32:
            raise CallbackRefused(500, "EncodingAESKey is not 43 base64 characters")
        return PrpCrypto(key)

    def decrypt(self, encrypted: str) -> str:
        """The plain XML inside an Encrypt field (whose signature was verified first)."""
        try:
            return str(self._prp().decrypt(encrypted, self.receiver_id))
        except CallbackRefused:
            raise
        except Exception:  # bad base64, padding, length or receiver id: all one answer
            raise CallbackRefused(400, "cannot decrypt the message") from None

    def encrypt_reply(
        self, xml: str, timestamp: str | None = None, nonce: str | None = None
    ) -> str:
        """The reply envelope of safe mode: Encrypt, MsgSignature, TimeStamp, Nonce."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or random_string(16)
        encrypted = self._prp().encrypt(xml, self.receiver_id).decode("ascii")
        return to_xml(
            {
                "Encrypt": encrypted,
                "MsgSignature": signature(self.token, timestamp, nonce, encrypted),
                "TimeStamp": int(timestamp),
                "Nonce": nonce,
            }
        )

    def open_envelope(self, body: bytes, query: Mapping[str, str]) -> str:
        """Verify and decrypt a safe- or compatible-mode body: the message's plain XML."""
        envelope = parse_flat_xml(body)
        encrypted = envelope.get("Encrypt", "")
        if not encrypted:
            raise CallbackRefused(400, "encrypted mode but no Encrypt field")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        self.verify(query.get("msg_signature", ""), timestamp, nonce, encrypted)
        return self.decrypt(encrypted)
