"""One message for a WeChat reader: a text (<= 2048 bytes) or a news card linking to a page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT_BYTES = 2048  # text messages, passive or customer-service


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str = ""
    card: Mapping[str, str] | None = None  # title, description, url, picurl
    kind: str = "reply"  # reply, digest, alert, broadcast
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "kind": self.kind}
        if self.card:
            data["card"] = dict(self.card)
        return data

    @classmethod
    def from_payload(cls, data: Mapping[str, Any], kind: str | None = None) -> Outgoing:
        card = data.get("card")
        return cls(
            text=str(data.get("text", "")),
            card=dict(card) if isinstance(card, Mapping) else None,
            kind=kind or str(data.get("kind", "reply")),
        )


def fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= TEXT_LIMIT_BYTES
