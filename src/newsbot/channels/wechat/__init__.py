"""The WeChat Official Account channel (公众号): the /wechat callback on the HTTP front, the
customer-service and menu API, and delivery within the platform's reply window.
docs/wechat.md has the rules and decisions."""

from newsbot.channels.wechat.channel import WeChatChannel
from newsbot.config import Settings


def build(settings: Settings) -> WeChatChannel:
    return WeChatChannel(settings)


__all__ = ["WeChatChannel", "build"]
