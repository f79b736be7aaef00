"""The WeCom self-built app (企业微信自建应用): members talk to newsbot in WeCom (and in WeChat
through WeCom's WeChat plug-in) and get replies, digests and alerts as app messages.

Modules, each importing only those above it: profile (the app as data: sizes, rates, quotas,
error codes), api (gettoken, message/send with the shared token), sender (one chunk on the
wire), dialog (messages and clicks through the conversation), callback (/wecom: URL check,
AES, dedupe), channel (ports.Channel). docs/wecom.md has the rules and decisions.
"""

from newsbot.channels.wecom.channel import WeComChannel
from newsbot.channels.wecom.profile import NAME, wecom_profile
from newsbot.config import Settings

__all__ = ["NAME", "WeComChannel", "build", "wecom_profile"]


def build(settings: Settings) -> WeComChannel:
    """The registry's entry point (newsbot.app.CHANNELS)."""
    return WeComChannel(settings)
