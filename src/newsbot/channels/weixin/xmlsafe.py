"""Parse the small XML documents Tencent's callbacks send, refusing anything unusual.

The callbacks are one flat <xml> element of text children (some events nest one level, e.g.
ScanCodeInfo). Anything with a DTD or entity declaration is refused before parsing (billion
laughs, external entities), and lxml parses with entity resolution, DTD loading and network
access off, so nothing can reach the file system or the network whatever the input.
"""

from __future__ import annotations

import re

from lxml import etree

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class UnsafeXml(ValueError):
    """The body is not the flat XML a callback sends; `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_flat_xml(body: bytes) -> dict[str, str]:
    """<xml><A>1</A><B><![CDATA[x]]></B></xml> -> {"A": "1", "B": "x"}; nested children are
    flattened with their own tag names (ScanCodeInfo/ScanResult -> "ScanResult")."""
    if _DECLARATION.search(body):
        raise UnsafeXml("DTD or entity declarations are not accepted")
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnsafeXml(f"malformed XML: {str(exc)[:80]}") from None
    if root.tag != "xml":
        raise UnsafeXml(f"root element is <{str(root.tag)[:20]}>, not <xml>")
    fields: dict[str, str] = {}
    for element in root.iter():
        if element is root or not isinstance(element.tag, str):
            continue
        if len(element) == 0:
            fields.setdefault(element.tag, (element.text or "").strip())
    return fields


def to_xml(fields: dict[str, str | int]) -> str:
    """A flat <xml> document: numbers bare, text in CDATA (split where it contains ']]>')."""
    parts = ["<xml>"]
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            safe = value.replace("]]>", "]]]]><![CDATA[>")
            parts.append(f"<{name}><![CDATA[{safe}]]></{name}>")
    parts.append("</xml>")
    return "".join(parts)
