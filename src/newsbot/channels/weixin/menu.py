"""The custom menu both Tencent apps share: what a CLICK event's key means.

The WeChat Official Account (`newsbot wechat menu`) and the WeCom app (its menu set in the admin
console or with `menu/create`) send the same keys, so a click is the same command on both.
"""

from __future__ import annotations

MENU_COMMANDS = {"DIGEST": "/digest", "SETTINGS": "/settings", "HELP": "/help", "LATEST": "/latest"}
MENU_HINTS = {"SEARCH": "wechat.hint"}  # a hint of what to type, from core.i18n

# The menu both install (`newsbot wechat menu`, `newsbot wecom menu`): the same JSON shape for
# the Official Account's menu/create and WeCom's menu/create?agentid=.
MENU = {
    "button": [
        {"type": "click", "name": "日报", "key": "DIGEST"},
        {"type": "click", "name": "搜索", "key": "SEARCH"},
        {"type": "click", "name": "设置", "key": "SETTINGS"},
    ]
}
