"""One turn of a conversation: who is talking, in which language, and the helpers handlers use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from newsbot.conversation.callbacks import CallbackSigner
from newsbot.conversation.incoming import Incoming, Response
from newsbot.conversation.services import Services
from newsbot.core.i18n import normalize_language, t
from newsbot.core.models import Subscriber
from newsbot.core.replies import Button, Message

T = TypeVar("T")
MAX_LISTED = 20  # long lists (500 refused keywords) are shown shortened; nothing is lost


@dataclass(frozen=True, slots=True)
class Turn:
    incoming: Incoming
    subscriber: Subscriber
    services: Services
    signer: CallbackSigner

    @property
    def lang(self) -> str:
        return normalize_language(self.subscriber.language)

    def t(self, key: str, /, **params: object) -> str:
        return t(self.lang, key, **params)

    def tw(self, key: str, /, **params: object) -> str:
        """t(), in the form that names what this reader types: 帮助 or /help."""
        return self.t(f"{key}.words" if self.incoming.command_words else key, **params)

    def say(self, *keys_or_texts: str) -> Response:
        return Response((Message.plain(*keys_or_texts),), language=self.lang)

    def button(self, label: str, payload: str) -> Button:
        """A button whose callback data is signed for this chat."""
        return Button(label, data=self.signer.sign(self.incoming.chat_id, payload))

    async def db(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking (database) call off the event loop."""
        return await asyncio.to_thread(func, *args, **kwargs)

    def with_subscriber(self, subscriber: Subscriber) -> Turn:
        return Turn(self.incoming, subscriber, self.services, self.signer)


def listing(words: tuple[str, ...] | list[str], sep: str = "、") -> str:
    """Words for a reply, shortened past MAX_LISTED (the count is always given alongside)."""
    shown = sep.join(words[:MAX_LISTED])
    return shown + (f"{sep}…(+{len(words) - MAX_LISTED})" if len(words) > MAX_LISTED else "")
