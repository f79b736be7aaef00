"""WeChat API error codes, classified as data (what the sender does about each).

Sources: the Official Account global return codes and customer-service message rules
(docs/wechat.md cites them).
"""

from __future__ import annotations

from enum import Enum


class Outcome(Enum):
    TOKEN = "refresh the access token and retry once"
    WINDOW = "outside the reply window or its quota: hold for the reader's next message"
    GONE = "the reader unfollowed: subscriber inactive"
    RATE = "rate or quota limit: retry later"
    BAD = "the request itself is wrong: do not retry"
    TRANSIENT = "busy or unknown: retry with backoff"


CODES: dict[int, Outcome] = {
    40001: Outcome.TOKEN,  # invalid credential / access_token
    40014: Outcome.TOKEN,  # invalid access_token
    42001: Outcome.TOKEN,  # access_token expired
    45015: Outcome.WINDOW,  # response out of time limit (48 h) or subscription canceled
    45047: Outcome.WINDOW,  # out of response count limit (quota of the window)
    43004: Outcome.GONE,  # require subscribe: the reader unfollowed
    40003: Outcome.GONE,  # invalid openid (not a follower of this account)
    45009: Outcome.RATE,  # reach max api daily quota limit
    45011: Outcome.RATE,  # api minute-quota reach limit
    44002: Outcome.BAD,  # empty post data
    45002: Outcome.BAD,  # content size out of limit
    47001: Outcome.BAD,  # data format error
    40008: Outcome.BAD,  # invalid message type
    -1: Outcome.TRANSIENT,  # system busy
}
RATE_RETRY_SECONDS = 60.0


def classify(errcode: int) -> Outcome:
    return CODES.get(errcode, Outcome.TRANSIENT)


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"wechat api error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.outcome = classify(errcode)
