"""WeChat API errors: the errcode and message as data; what they mean is in profile.ERRORS."""

from __future__ import annotations

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential/token, token expired


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"wechat api error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def token_refused(self) -> bool:
        return self.errcode in TOKEN_ERRORS
