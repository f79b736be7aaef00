"""One JSON call to a Tencent-style API (WeChat's and WeCom's share the shape): an answer is
JSON with `errcode` (0 or absent on success) and `errmsg`. Each channel keeps its own error
types; what counts as unreachable (network, 5xx, not JSON) and what as an API error is decided
here once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


async def call_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    label: str,
    unreachable: Callable[[str], Exception],
    api_error: Callable[[int, str], Exception],
    **kwargs: Any,
) -> dict[str, Any]:
    """The answer's JSON object; raises `unreachable(reason)` or `api_error(errcode, errmsg)`."""
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise unreachable(f"{label} {path}: {type(exc).__name__}") from None
    if response.status_code >= 500:
        raise unreachable(f"{label} {path}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise unreachable(f"{label} {path}: not JSON") from None
    if not isinstance(data, dict):
        raise unreachable(f"{label} {path}: unexpected answer")
    errcode = int(data.get("errcode", 0) or 0)
    if errcode:
        raise api_error(errcode, str(data.get("errmsg", "")))
    return data
